// Access mode rules per protocol (table-driven).
#include "controller/provision/access.h"

#include <gtest/gtest.h>

namespace tnascsi::controller::provision {
namespace {

using Mode = AccessMode;

Capability cap(AccessMode mode, bool block, const std::string& fs = "") {
  Capability c;
  c.mode = mode;
  c.type = block ? AccessType::kBlock : AccessType::kMount;
  if (!block) c.fsType = fs;
  return c;
}

TEST(Access, Table) {
  struct Case {
    Protocol protocol;
    AccessMode mode;
    bool block;
    std::string fs;
    bool ok;
  } cases[] = {
      {Protocol::kIscsi, Mode::kSingleNodeWriter, false, "ext4", true},
      {Protocol::kIscsi, Mode::kSingleNodeMultiWriter, false, "xfs", true},
      {Protocol::kIscsi, Mode::kMultiNodeReaderOnly, false, "", true},
      {Protocol::kIscsi, Mode::kMultiNodeMultiWriter, false, "ext4", false},  // RWX fs on iSCSI
      {Protocol::kIscsi, Mode::kMultiNodeSingleWriter, false, "ext4", false},
      {Protocol::kIscsi, Mode::kMultiNodeMultiWriter, true, "", true},  // raw block RWX
      {Protocol::kIscsi, Mode::kSingleNodeWriter, false, "btrfs", false},
      {Protocol::kNfs, Mode::kMultiNodeMultiWriter, false, "", true},
      {Protocol::kNfs, Mode::kSingleNodeWriter, true, "", false},  // no block over NFS
      {Protocol::kNfs, Mode::kUnknown, false, "", false},
  };
  for (const auto& c : cases) {
    Status s = validateCapability(c.protocol, cap(c.mode, c.block, c.fs));
    EXPECT_EQ(s.ok(), c.ok) << accessModeName(c.mode) << " block=" << c.block << " " << s;
    if (!c.ok) {
      EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    }
  }
  Capability noType;
  noType.mode = Mode::kSingleNodeWriter;
  EXPECT_FALSE(validateCapability(Protocol::kIscsi, noType).ok());
  Capability unrecognised = cap(Mode::kUnrecognised, true);
  EXPECT_EQ(validateCapability(Protocol::kIscsi, unrecognised).message(),
            "volume capability: unknown access mode");
}

}  // namespace
}  // namespace tnascsi::controller::provision

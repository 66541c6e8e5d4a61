// Access mode rules per protocol (table-driven).
#include "controller/provision/access.h"

#include <gtest/gtest.h>

namespace tnascsi::controller::provision {
namespace {

using Mode = csi::v1::VolumeCapability::AccessMode;

csi::v1::VolumeCapability cap(Mode::Mode mode, bool block, const std::string& fs = "") {
  csi::v1::VolumeCapability c;
  c.mutable_access_mode()->set_mode(mode);
  if (block) {
    c.mutable_block();
  } else {
    c.mutable_mount()->set_fs_type(fs);
  }
  return c;
}

TEST(Access, Table) {
  struct Case {
    Protocol protocol;
    Mode::Mode mode;
    bool block;
    std::string fs;
    bool ok;
  } cases[] = {
      {Protocol::kIscsi, Mode::SINGLE_NODE_WRITER, false, "ext4", true},
      {Protocol::kIscsi, Mode::SINGLE_NODE_MULTI_WRITER, false, "xfs", true},
      {Protocol::kIscsi, Mode::MULTI_NODE_READER_ONLY, false, "", true},
      {Protocol::kIscsi, Mode::MULTI_NODE_MULTI_WRITER, false, "ext4", false},  // RWX fs on iSCSI
      {Protocol::kIscsi, Mode::MULTI_NODE_SINGLE_WRITER, false, "ext4", false},
      {Protocol::kIscsi, Mode::MULTI_NODE_MULTI_WRITER, true, "", true},  // raw block RWX
      {Protocol::kIscsi, Mode::SINGLE_NODE_WRITER, false, "btrfs", false},
      {Protocol::kNfs, Mode::MULTI_NODE_MULTI_WRITER, false, "", true},
      {Protocol::kNfs, Mode::SINGLE_NODE_WRITER, true, "", false},  // no block over NFS
      {Protocol::kNfs, Mode::UNKNOWN, false, "", false},
  };
  for (const auto& c : cases) {
    Status s = validateCapability(c.protocol, cap(c.mode, c.block, c.fs));
    EXPECT_EQ(s.ok(), c.ok) << Mode::Mode_Name(c.mode) << " block=" << c.block << " " << s;
    if (!c.ok) {
      EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    }
  }
  csi::v1::VolumeCapability noType;
  noType.mutable_access_mode()->set_mode(Mode::SINGLE_NODE_WRITER);
  EXPECT_FALSE(validateCapability(Protocol::kIscsi, noType).ok());
}

}  // namespace
}  // namespace tnascsi::controller::provision

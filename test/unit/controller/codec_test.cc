// The Controller service's CSI codecs: shape checks with their messages, the access-mode mapping
// (an undefined number is kUnrecognised, not kUnknown), and the encodings of plain results.
#include <gtest/gtest.h>

#include "controller/service/snapshot_codec.h"
#include "controller/service/volume_codec.h"

namespace tnascsi::controller {
namespace {

using provision::AccessMode;
using provision::AccessType;

TEST(Codec, CapabilityModesAndTypes) {
  csi::v1::VolumeCapability cap;
  auto none = decodeCapability(cap);
  EXPECT_EQ(none.mode, AccessMode::kUnknown);
  EXPECT_EQ(none.type, AccessType::kNone);
  cap.mutable_access_mode()->set_mode(
      csi::v1::VolumeCapability::AccessMode::MULTI_NODE_MULTI_WRITER);
  cap.mutable_mount()->set_fs_type("xfs");
  auto mount = decodeCapability(cap);
  EXPECT_EQ(mount.mode, AccessMode::kMultiNodeMultiWriter);
  EXPECT_EQ(mount.type, AccessType::kMount);
  EXPECT_EQ(mount.fsType, "xfs");
  cap.mutable_access_mode()->set_mode(static_cast<csi::v1::VolumeCapability::AccessMode::Mode>(99));
  cap.mutable_block();
  auto odd = decodeCapability(cap);
  EXPECT_EQ(odd.mode, AccessMode::kUnrecognised);
  EXPECT_EQ(odd.type, AccessType::kBlock);
}

TEST(Codec, CreateVolumeShape) {
  csi::v1::CreateVolumeRequest req;
  EXPECT_EQ(decodeCreateVolume(req).status().message(), "name is required");
  req.set_name("pvc-1");
  EXPECT_EQ(decodeCreateVolume(req).status().message(), "volume_capabilities must not be empty");
  req.add_volume_capabilities()->mutable_block();
  req.mutable_capacity_range()->set_required_bytes(-1);
  EXPECT_EQ(decodeCreateVolume(req).status().message(), "capacity_range must not be negative");
  req.mutable_capacity_range()->set_required_bytes(1 << 30);
  req.mutable_volume_content_source();
  EXPECT_EQ(decodeCreateVolume(req).status().message(),
            "volume_content_source must name a snapshot or a volume");
  req.mutable_volume_content_source()->mutable_volume()->set_volume_id("default/nfs/tank/k/v");
  (*req.mutable_parameters())["protocol"] = "nfs";
  req.mutable_accessibility_requirements()->add_requisite()->mutable_segments()->insert(
      {"zone", "a"});
  auto decoded = decodeCreateVolume(req);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->requiredBytes, 1u << 30);
  ASSERT_TRUE(decoded->source);
  EXPECT_EQ(decoded->source->kind, provision::ContentSource::Kind::kVolume);
  EXPECT_EQ(decoded->parameters.at("protocol"), "nfs");
  ASSERT_EQ(decoded->requisite.size(), 1u);
  EXPECT_EQ(decoded->requisite[0].at("zone"), "a");
}

TEST(Codec, PageAndPublishShape) {
  csi::v1::ListVolumesRequest list;
  list.set_max_entries(-1);
  EXPECT_EQ(decodeListVolumes(list).status().message(), "max_entries must not be negative");
  csi::v1::ControllerPublishVolumeRequest pub;
  pub.set_volume_id("v");
  EXPECT_EQ(decodePublish(pub).status().message(), "node_id is required");
  pub.set_node_id("n");
  EXPECT_EQ(decodePublish(pub).status().message(), "volume_capability is required");
}

TEST(Codec, EncodesSnapshotAndVolume) {
  provision::SnapshotInfo snap{
      "b/nfs/t/v@s", "b/nfs/t/v", 4096,
      std::chrono::system_clock::time_point{} + std::chrono::nanoseconds(1'500'000'123)};
  csi::v1::Snapshot out;
  encodeSnapshot(snap, &out);
  EXPECT_EQ(out.creation_time().seconds(), 1);
  EXPECT_EQ(out.creation_time().nanos(), 500000123);
  EXPECT_TRUE(out.ready_to_use());
  EXPECT_EQ(out.size_bytes(), 4096);

  provision::VolumeInfoResult volume;
  volume.id = "b/iscsi/t/v";
  volume.capacity = 1 << 20;
  volume.source = provision::ContentSource{provision::ContentSource::Kind::kSnapshot, "x@y"};
  csi::v1::Volume v;
  encodeVolume(volume, &v);
  EXPECT_EQ(v.content_source().snapshot().snapshot_id(), "x@y");
  EXPECT_EQ(v.accessible_topology_size(), 0);
}

}  // namespace
}  // namespace tnascsi::controller

// The controller against the simulator on every personality, for real-TrueNAS behaviours the
// driver once got wrong (issue #10): the initiator group comment cap of 25.04+ with many nodes,
// and snapshots taken outside the driver that inherit a volume's user properties.
#include <algorithm>

#include "test/integration/controller/sim_fixture.h"

namespace tnascsi::testing {
namespace {

using Mode = csi::v1::VolumeCapability::AccessMode;
using sim::Json;

class ControllerSimFidelity : public ControllerSimTest {};

// 25.04+ caps strings at 1024 characters; a comment holding whole node ids ran over it at about a
// dozen nodes, so the next ControllerPublishVolume failed.
TEST_P(ControllerSimFidelity, BlockVolumePublishedToManyNodes) {
  csi::v1::CreateVolumeRequest req = createRequest("shared", "iscsi");
  req.clear_volume_capabilities();
  *req.add_volume_capabilities() = blockCapability(Mode::MULTI_NODE_MULTI_WRITER);
  csi::v1::CreateVolumeResponse resp;
  grpc::Status created = create(req, &resp);
  ASSERT_TRUE(created.ok()) << created.error_message();
  const std::string id = resp.volume().volume_id();
  std::vector<std::string> nodes;
  for (int i = 0; i < 16; ++i) {
    std::string n = "worker-" + std::to_string(10 + i);
    nodes.push_back(n + ",iqn.2004-10.com.ubuntu:01:" + n + "-0123456789abcdef");
    grpc::Status s = publish(id, nodes.back(), blockCapability(Mode::MULTI_NODE_MULTI_WRITER));
    ASSERT_TRUE(s.ok()) << "node " << i << ": " << s.error_message();
  }
  ASSERT_TRUE(unpublish(id, nodes[3]).ok());
  csi::v1::ListVolumesResponse list;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(ctl().ListVolumes(&ctx, csi::v1::ListVolumesRequest(), &list).ok());
  }
  ASSERT_EQ(list.entries_size(), 1);
  const auto& published = list.entries(0).status().published_node_ids();
  std::vector<std::string> got(published.begin(), published.end());
  std::vector<std::string> want = nodes;
  want.erase(want.begin() + 3);
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
  for (const auto& n : nodes) ASSERT_TRUE(unpublish(id, n).ok());
  ASSERT_TRUE(del(id).ok());
}

// A snapshot an administrator or a periodic task takes of a driver volume inherits the volume's
// csi:* user properties; it is not the driver's and must not be listed as a CSI snapshot.
TEST_P(ControllerSimFidelity, ForeignSnapshotOfADriverVolumeIsNotListed) {
  for (const char* protocol : {"iscsi", "nfs"}) {
    SCOPED_TRACE(protocol);
    const std::string leaf = std::string("v-") + protocol;
    std::string id = createOk(leaf, protocol);
    const std::string ns = std::string(GetParam()) == "25.10" ? "pool.snapshot" : "zfs.snapshot";
    Json spec = Json::object();
    spec.set("dataset", sim_->parent() + "/" + leaf);
    spec.set("name", "auto-2026-12-04_00-00");
    Json params = Json::array();
    params.push(spec);
    sim_->call(ns + ".create", params);
    csi::v1::CreateSnapshotResponse own;
    ASSERT_TRUE(snapshot(std::string("s-") + protocol, id, &own).ok());
    csi::v1::ListSnapshotsRequest bySource;
    bySource.set_source_volume_id(id);
    csi::v1::ListSnapshotsResponse listed = listSnapshots(bySource);
    ASSERT_EQ(listed.entries_size(), 1);
    EXPECT_EQ(listed.entries(0).snapshot().snapshot_id(), own.snapshot().snapshot_id());
  }
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Personalities, ControllerSimFidelity,
                         ::testing::Values("13.0", "24.10", "25.04", "25.10"), personalityName);

}  // namespace tnascsi::testing

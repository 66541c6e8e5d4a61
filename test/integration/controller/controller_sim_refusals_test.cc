// The controller against the simulator on every personality with hostile and ordinary-but-unlucky
// requests (issue #12): a refused CreateVolume leaves nothing on TrueNAS, DeleteVolume never
// destroys what the driver did not make, and requests have the shapes the real sidecars send
// (external-provisioner strips csi.storage.k8s.io/* keys from the parameters, the fs type is in
// the capability, CHAP is in `secrets`).
#include "controller/truenas/types.h"
#include "test/integration/controller/sim_fixture.h"

namespace tnascsi::testing {
namespace {

using controller::truenas::DatasetCreateSpec;
using controller::truenas::DatasetType;
using controller::truenas::SnapshotCreateSpec;

class ControllerSimRefusals : public ControllerSimTest {
 protected:
  bool datasetExists(const std::string& name) {
    for (const auto& d : sim_->records("datasets")) {
      if (d.value("name").asString() == name) return true;
    }
    return false;
  }
  bool snapshotExists(const std::string& id) {
    for (const auto& s : sim_->records("snapshots")) {
      if (s.value("name").asString() == id || s.value("id").asString() == id) return true;
    }
    return false;
  }
};

// Item 4: an administrator's child dataset and snapshot inside a volume survive DeleteVolume.
TEST_P(ControllerSimRefusals, DeleteNeverDestroysUnmarkedChildrenOrSnapshots) {
  std::string nfs = createOk("pvc-admin", "nfs");
  std::string iscsi = createOk("pvc-admin-blk", "iscsi");
  DatasetCreateSpec child;
  child.name = "tank/k8s/pvc-admin/by-hand";
  ASSERT_TRUE(sim_->api().createDataset(child).ok());
  for (const char* ds : {"tank/k8s/pvc-admin", "tank/k8s/pvc-admin-blk"}) {
    SnapshotCreateSpec snap;
    snap.dataset = ds;
    snap.name = "admin-backup";
    ASSERT_TRUE(sim_->api().createSnapshot(snap).ok());
  }
  grpc::Status s = del(nfs);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_NE(s.error_message().find("tank/k8s/pvc-admin/by-hand"), std::string::npos)
      << s.error_message();
  EXPECT_NE(s.error_message().find("tank/k8s/pvc-admin@admin-backup"), std::string::npos)
      << s.error_message();
  s = del(iscsi);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_TRUE(datasetExists("tank/k8s/pvc-admin/by-hand"));
  EXPECT_TRUE(snapshotExists("tank/k8s/pvc-admin@admin-backup"));
  EXPECT_TRUE(snapshotExists("tank/k8s/pvc-admin-blk@admin-backup"));
  EXPECT_TRUE(datasetExists("tank/k8s/pvc-admin"));
  EXPECT_TRUE(datasetExists("tank/k8s/pvc-admin-blk"));

  // Once the administrator has taken them away, the delete goes through.
  ASSERT_TRUE(sim_->api().deleteDataset("tank/k8s/pvc-admin/by-hand", {}).ok());
  for (const char* snap :
       {"tank/k8s/pvc-admin@admin-backup", "tank/k8s/pvc-admin-blk@admin-backup"})
    ASSERT_TRUE(sim_->api().deleteSnapshot(snap, {}).ok());
  EXPECT_TRUE(del(nfs).ok());
  EXPECT_TRUE(del(iscsi).ok());
  expectNothingLeft();
}

// Item 6: an id with the other protocol's prefix names no volume; nothing is deleted through it.
TEST_P(ControllerSimRefusals, DeleteWithTheOtherProtocolsIdDeletesNothing) {
  std::string nfs = createOk("pvc-swap", "nfs");
  std::string iscsi = createOk("pvc-swap-blk", "iscsi");
  auto swap = [](std::string id, const std::string& from, const std::string& to) {
    return id.replace(id.find(from), from.size(), to);
  };
  EXPECT_TRUE(del(swap(nfs, "/nfs/", "/iscsi/")).ok());
  EXPECT_TRUE(del(swap(iscsi, "/iscsi/", "/nfs/")).ok());
  EXPECT_TRUE(datasetExists("tank/k8s/pvc-swap"));
  EXPECT_TRUE(datasetExists("tank/k8s/pvc-swap-blk"));
  EXPECT_EQ(sim_->count("nfs_shares"), 1u);
  EXPECT_EQ(sim_->count("targets"), 1u);
  ASSERT_TRUE(publish(iscsi, "node-a,iqn.2004-10.com.ubuntu:01:a").ok()) << "still whole";
  EXPECT_TRUE(del(nfs).ok());
  EXPECT_TRUE(del(iscsi).ok());
  expectNothingLeft();
}

INSTANTIATE_TEST_SUITE_P(Personalities, ControllerSimRefusals,
                         ::testing::Values("13.0", "24.10", "25.04", "25.10"), personalityName);

}  // namespace
}  // namespace tnascsi::testing

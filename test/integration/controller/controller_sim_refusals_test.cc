// The controller against the simulator on every personality with hostile and ordinary-but-unlucky
// requests (issue #12): a refused CreateVolume leaves nothing on TrueNAS, DeleteVolume never
// destroys what the driver did not make, and requests have the shapes the real sidecars send
// (external-provisioner strips csi.storage.k8s.io/* keys from the parameters, the fs type is in
// the capability, CHAP is in `secrets`).
#include <chrono>
#include <thread>

#include "controller/provision/iscsi_masking.h"
#include "controller/truenas/dataset_types.h"
#include "controller/truenas/snapshot_types.h"
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

// Item 1: requests TrueNAS refuses permanently leave nothing behind, whether the driver refuses
// them before the first call (over-long names, malformed networks) or TrueNAS refuses a later step
// (an unknown maproot user, a target alias with a double quote) and the create rolls back.
TEST_P(ControllerSimRefusals, RefusedCreatesLeaveNothing) {
  struct Case {
    std::string what;
    csi::v1::CreateVolumeRequest req;
  };
  std::vector<Case> cases;
  cases.push_back({"10 kB iSCSI name", createRequest(std::string(10240, 'a'), "iscsi")});
  cases.push_back({"10 kB NFS name", createRequest(std::string(10240, 'b'), "nfs")});
  auto badNetwork = createRequest("pvc-net", "nfs");
  (*badNetwork.mutable_parameters())["nfsNetworks"] = "10.0.0.0/24,not-a-cidr";
  cases.push_back({"nfsNetworks=not-a-cidr", badNetwork});
  auto badPrefix = createRequest("pvc-prefix", "nfs");
  (*badPrefix.mutable_parameters())["nfsNetworks"] = "10.0.0.0/33";
  cases.push_back({"nfsNetworks=10.0.0.0/33", badPrefix});
  auto badUser = createRequest("pvc-user", "nfs");
  (*badUser.mutable_parameters())["nfsMaprootUser"] = "nonexistent";
  cases.push_back({"nfsMaprootUser=nonexistent", badUser});
  auto badMapall = createRequest("pvc-mapall", "nfs");
  (*badMapall.mutable_parameters())["nfsMapallUser"] = "nobody-here";
  cases.push_back({"nfsMapallUser=nobody-here", badMapall});
  cases.push_back({"double quote in the target alias", createRequest("pvc-\"quoted\"", "iscsi")});
  for (const auto& c : cases) {
    csi::v1::CreateVolumeResponse resp;
    grpc::Status s = create(c.req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << c.what << ": " << s.error_message();
    EXPECT_LT(s.error_message().size(), 2048u) << c.what;
    EXPECT_EQ(sim_->leftovers(), "") << c.what;
  }
}

// Issue #10 item 9: on a dRAID pool TrueNAS refuses zvols below 32K (TS-24.10.2.4:src/middlewared/
// middlewared/plugins/pool_/dataset.py:377-382). The controller reads the pool topology and refuses
// the StorageClass's volblocksize before it makes anything; 32K and NFS are fine.
TEST_P(ControllerSimRefusals, DraidPoolRefusesSmallVolblocksizeBeforeMakingAnything) {
  if (std::string(GetParam()) == "13.0") GTEST_SKIP() << "CORE 13.0 has no dRAID";
  SimBackend::Options options;
  options.personality = GetParam();
  options.draid = true;
  start(options);
  sim_->resetCalls();
  csi::v1::CreateVolumeResponse resp;
  grpc::Status s = create(createRequest("pvc-draid", "iscsi"), &resp);  // default 16K
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_NE(s.error_message().find("volblocksize 16K is below 32K"), std::string::npos)
      << s.error_message();
  EXPECT_NE(s.error_message().find("dRAID"), std::string::npos) << s.error_message();
  auto calls = sim_->callsByMethod();
  EXPECT_EQ(calls["pool.dataset.create"], 0);
  EXPECT_EQ(calls["iscsi.initiator.create"], 0);
  EXPECT_EQ(sim_->leftovers(), "");
  auto big = createRequest("pvc-draid-32k", "iscsi");
  (*big.mutable_parameters())["volblocksize"] = "32K";
  s = create(big, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  createOk("pvc-draid-nfs", "nfs");
}

// Item 2: a clone from a volume that the request's capacity rules out makes no snapshot.
TEST_P(ControllerSimRefusals, RefusedCloneFromVolumeMakesNoSnapshot) {
  for (const char* protocol : {"iscsi", "nfs"}) {
    std::string source = createOk(std::string("src-") + protocol, protocol, 2 * kSimGiB);
    auto below = createRequest(std::string("clone-below-") + protocol, protocol, kSimGiB);
    below.mutable_capacity_range()->set_limit_bytes(kSimGiB);
    below.mutable_volume_content_source()->mutable_volume()->set_volume_id(source);
    auto inverted = createRequest(std::string("clone-inverted-") + protocol, protocol, 3 * kSimGiB);
    inverted.mutable_capacity_range()->set_limit_bytes(2 * kSimGiB);
    inverted.mutable_volume_content_source()->mutable_volume()->set_volume_id(source);
    // Refused by TrueNAS after the clone was made: the clone and its snapshot go again.
    auto refused = createRequest(std::string("clone-\"q\"-") + protocol, protocol, 2 * kSimGiB);
    if (std::string(protocol) == "nfs") {
      (*refused.mutable_parameters())["nfsMaprootUser"] = "nonexistent";
    }
    refused.mutable_volume_content_source()->mutable_volume()->set_volume_id(source);
    for (const auto* req : {&below, &inverted, &refused}) {
      csi::v1::CreateVolumeResponse resp;
      grpc::Status s = create(*req, &resp);
      EXPECT_FALSE(s.ok()) << req->name();
      EXPECT_NE(s.error_code(), grpc::StatusCode::INTERNAL) << s.error_message();
      EXPECT_EQ(sim_->count("snapshots"), 0u) << req->name() << ": " << s.error_message();
      EXPECT_EQ(sim_->count("datasets"), 1u) << req->name();
    }
    ASSERT_TRUE(del(source).ok());
  }
  expectNothingLeft();
}

// Item 3: the same name with another size is ALREADY_EXISTS even when TrueNAS would also refuse
// the new size (the 80 % space rule for zvols).
TEST_P(ControllerSimRefusals, SameNameOtherSizeIsAlreadyExistsBeforeTrueNasRules) {
  std::string id = createOk("pvc-size", "iscsi");
  csi::v1::CreateVolumeResponse resp;
  grpc::Status s = create(createRequest("pvc-size", "iscsi", int64_t{2} << 40), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << s.error_message();
  EXPECT_EQ(sim_->count("datasets"), 1u);
  EXPECT_TRUE(del(id).ok());
  expectNothingLeft();
}

// Item 8: external-provisioner sends the fs type in the capability, not in the parameters; a
// small xfs PVC still gets a zvol mkfs.xfs can format (300 MiB).
TEST_P(ControllerSimRefusals, XfsMinimumFromTheCapabilitysFsType) {
  auto req = createRequest("pvc-xfs", "iscsi", 100 << 20);
  req.clear_volume_capabilities();
  *req.add_volume_capabilities() =
      mountCapability(csi::v1::VolumeCapability::AccessMode::SINGLE_NODE_WRITER, "xfs");
  ASSERT_EQ(req.parameters().count("csi.storage.k8s.io/fstype"), 0u) << "as the sidecar sends it";
  csi::v1::CreateVolumeResponse resp;
  ASSERT_TRUE(create(req, &resp).ok());
  EXPECT_GE(resp.volume().capacity_bytes(), int64_t{300} << 20);
  auto ext4 = createRequest("pvc-ext4", "iscsi", 100 << 20);
  csi::v1::CreateVolumeResponse small;
  ASSERT_TRUE(create(ext4, &small).ok());
  EXPECT_EQ(small.volume().capacity_bytes(), int64_t{100} << 20) << "ext4 keeps the request";
  ASSERT_TRUE(del(resp.volume().volume_id()).ok());
  ASSERT_TRUE(del(small.volume().volume_id()).ok());
  expectNothingLeft();
}

// Item 7: sizes past the documented 1 EiB maximum (2^63-1 rounds past int64; an 8 EiB refquota),
// CHAP secrets with control characters and the reserved placeholder IQN as a node are refused.
TEST_P(ControllerSimRefusals, ExtremeSizesSecretsAndPlaceholderIqnAreRefused) {
  for (const char* protocol : {"iscsi", "nfs"}) {
    for (int64_t size : {INT64_MAX, int64_t{7} << 60, (int64_t{1} << 60) + 1}) {
      csi::v1::CreateVolumeResponse resp;
      grpc::Status s =
          create(createRequest(std::string("pvc-huge-") + protocol, protocol, size), &resp);
      EXPECT_EQ(s.error_code(), grpc::StatusCode::OUT_OF_RANGE)
          << protocol << " " << size << ": " << s.error_message();
    }
  }
  auto chap = createRequest("pvc-ctl", "iscsi");
  (*chap.mutable_secrets())["chapUser"] = "k8s";
  (*chap.mutable_secrets())["chapSecret"] = "0123456\n89ab";
  csi::v1::CreateVolumeResponse resp;
  grpc::Status s = create(chap, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_EQ(s.error_message().find("0123456"), std::string::npos) << "secret leaked";
  EXPECT_EQ(sim_->leftovers(), "");

  std::string id = createOk("pvc-placeholder", "iscsi");
  s = publish(id, std::string("node-x,") + controller::provision::kPlaceholderIqn);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
  ASSERT_TRUE(del(id).ok());
  expectNothingLeft();
}

// Item 10: a 10 kB id or name is echoed shortened, so the status reaches the client intact
// (grpc-message past the client's 8 KiB metadata limit turns into a transport error).
TEST_P(ControllerSimRefusals, HostileLongIdsAreEchoedShortened) {
  const std::string huge(10240, 'x');
  std::string id = createOk("pvc-echo", "iscsi");
  auto expectShort = [&](const grpc::Status& s, grpc::StatusCode code, const char* what) {
    EXPECT_EQ(s.error_code(), code) << what << ": " << s.error_message().substr(0, 200);
    EXPECT_LE(s.error_message().size(), 1100u) << what;
    EXPECT_NE(s.error_message().find("xxxx"), std::string::npos) << what << ": names it";
  };
  expectShort(publish(huge, "node-a,iqn.2004-10.com.ubuntu:01:a"), grpc::StatusCode::NOT_FOUND,
              "publish volume id");
  expectShort(publish(id, "node-a," + huge), grpc::StatusCode::NOT_FOUND, "publish node id");
  {
    auto req = createRequest("pvc-from-huge", "iscsi");
    req.mutable_volume_content_source()->mutable_snapshot()->set_snapshot_id(huge);
    csi::v1::CreateVolumeResponse resp;
    expectShort(create(req, &resp), grpc::StatusCode::NOT_FOUND, "content source snapshot");
    req.mutable_volume_content_source()->mutable_volume()->set_volume_id(huge);
    expectShort(create(req, &resp), grpc::StatusCode::NOT_FOUND, "content source volume");
  }
  {
    grpc::ClientContext ctx;
    csi::v1::ListVolumesRequest req;
    req.set_starting_token(huge);
    csi::v1::ListVolumesResponse resp;
    expectShort(ctl().ListVolumes(&ctx, req, &resp), grpc::StatusCode::ABORTED, "starting token");
  }
  {
    grpc::ClientContext ctx;
    csi::v1::ControllerExpandVolumeRequest req;
    req.set_volume_id(huge);
    req.mutable_capacity_range()->set_required_bytes(2 * kSimGiB);
    csi::v1::ControllerExpandVolumeResponse resp;
    expectShort(ctl().ControllerExpandVolume(&ctx, req, &resp), grpc::StatusCode::NOT_FOUND,
                "expand");
  }
  ASSERT_TRUE(del(id).ok());
  expectNothingLeft();
}

// Item 5: the leftover sweep is not starved by continuous deletes (it runs at most its maximum
// delay after the first delete it serves) and runs after a restart without waiting for a delete.
TEST_P(ControllerSimRefusals, LeftoverSweepHasAMaximumDelayAndRunsAtStartUp) {
  using std::chrono::milliseconds;

  // A debounce longer than the test, a maximum delay of 400 ms: deletes every ~50 ms for 2 s.
  restartController(milliseconds(60000), milliseconds(400));
  auto start = std::chrono::steady_clock::now();
  int cycles = 0;
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(2)) {
    std::string id = createOk("pvc-cycle-" + std::to_string(cycles++), "iscsi");
    ASSERT_TRUE(del(id).ok());
    std::this_thread::sleep_for(milliseconds(40));
  }
  EXPECT_LT(sim_->count("initiators"), static_cast<size_t>(cycles) / 2)
      << cycles << " create/delete cycles; the sweep never ran under continuous deletes";

  // Leftovers of an instance that stopped before its sweep are swept after a restart.
  restartController(milliseconds(60000), milliseconds(60000));
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(del(createOk("pvc-left-" + std::to_string(i), "iscsi")).ok());
  // (24.10 removes a group with its target; the other versions leave it to the sweep.)
  if (std::string(GetParam()) != "24.10") {
    ASSERT_GE(sim_->count("initiators"), 3u);
  }
  restartController(milliseconds(100), milliseconds(1000));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (sim_->count("initiators") > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_EQ(sim_->leftovers(), "") << "no delete after the restart was needed";
}

INSTANTIATE_TEST_SUITE_P(Personalities, ControllerSimRefusals,
                         ::testing::Values("13.0", "24.10", "25.04", "25.10"), personalityName);

}  // namespace
}  // namespace tnascsi::testing

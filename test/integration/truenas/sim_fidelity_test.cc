// TrueNasClient against the simulator on every personality, for the behaviours of the real
// middleware the client once got wrong (issue #10): each test fails with the old client because
// the simulator now does what the cited middleware source does.
#include "test/integration/truenas/sim_client_fixture.h"

namespace tnascsi::controller::truenas {
namespace {

class SimFidelityTest : public SimClientTest {
 protected:
  void makeVolume(const std::string& name, std::map<std::string, std::string> props = {}) {
    DatasetCreateSpec zvol;
    zvol.name = name;
    zvol.type = DatasetType::kVolume;
    zvol.volsize = 1 << 30;
    zvol.sparse = true;
    zvol.userProperties = std::move(props);
    StatusOr<Dataset> d = client_->createDataset(zvol);
    ASSERT_TRUE(d.ok()) << d.status();
  }
  void makeSnapshot(const std::string& dataset, const std::string& name,
                    std::map<std::string, std::string> props = {}) {
    SnapshotCreateSpec snap;
    snap.dataset = dataset;
    snap.name = name;
    snap.userProperties = std::move(props);
    StatusOr<Snapshot> made = client_->createSnapshot(snap);
    ASSERT_TRUE(made.ok()) << made.status();
  }
  void makeFilesystem(const std::string& name) {
    DatasetCreateSpec fs;
    fs.name = name;
    ASSERT_TRUE(client_->createDataset(fs).ok());
  }
};

// 24.10/25.04 stop at the pool roots for retrieve_children:false unless the filter is a lone id
// match, so these queries found nothing and a volume with a clone could never be deleted.
TEST_P(SimFidelityTest, DatasetQueriesBelowTheParentFindNestedDatasets) {
  makeFilesystem("tank/k8s");
  makeVolume("tank/k8s/pvc-1", {{"csi:pvc", "pvc-1"}});
  StatusOr<std::vector<Dataset>> children = client_->listChildDatasets("tank/k8s", {});
  ASSERT_TRUE(children.ok()) << children.status();
  ASSERT_EQ(children->size(), 1u);
  EXPECT_EQ(children->front().name, "tank/k8s/pvc-1");
  auto found = client_->findDatasetsByUserProperty("tank/k8s", "csi:pvc", "pvc-1");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->size(), 1u);
  makeSnapshot("tank/k8s/pvc-1", "s1");
  SnapshotCloneSpec clone;
  clone.snapshot = "tank/k8s/pvc-1@s1";
  clone.datasetDst = "tank/k8s/pvc-2";
  ASSERT_TRUE(client_->cloneSnapshot(clone).ok());
  auto dependents = client_->queryDatasets(
      QueryFilter::where("origin.value", FilterOp::kEq, std::string("tank/k8s/pvc-1@s1")), {});
  ASSERT_TRUE(dependents.ok()) << dependents.status();
  ASSERT_EQ(dependents->size(), 1u);
  EXPECT_EQ(dependents->front().name, "tank/k8s/pvc-2");
  auto n = client_->count(Collection::kDatasets, QueryFilter::where("id", FilterOp::kStartsWith,
                                                                    std::string("tank/k8s/")));
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 2);
}

// CORE 13.0's zfs.snapshot.delete takes only `defer`: sending `recursive` failed every delete.
// The errno decides the code, not the wording: a `get` query without a match is MatchNotFound
// (EINVAL, absence: NOT_FOUND); a refused map group ("Group not found", EINVAL on every version)
// is a bad argument, not a missing object.
TEST_P(SimFidelityTest, EinvalIsAnArgumentErrorExceptMatchNotFound) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  json::ObjectPtr get = new Poco::JSON::Object();
  get->set("get", true);
  StatusOr<json::Var> none = conn_->call(
      "pool.query",
      json::makeArray({json::makeArray({json::makeArray(
                           {std::string("name"), std::string("="), std::string("nope")})}),
                       json::Var(get)}),
      deadline);
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound) << none.status();
  DatasetCreateSpec fs;
  fs.name = "tank/einval";
  ASSERT_TRUE(client_->createDataset(fs).ok());
  NfsShareSpec share;
  share.path = "/mnt/tank/einval";
  share.maprootUser = "root";
  share.maprootGroup = "no-such-group";
  StatusOr<NfsShare> made = client_->createNfsShare(share);
  EXPECT_EQ(made.status().code(), StatusCode::kInvalidArgument) << made.status();
}

TEST_P(SimFidelityTest, SnapshotDeleteWorksOnEveryVersion) {
  makeVolume("tank/pvc-1");
  makeSnapshot("tank/pvc-1", "s1");
  Status deleted = client_->deleteSnapshot("tank/pvc-1@s1", {});
  EXPECT_TRUE(deleted.ok()) << deleted;
  EXPECT_EQ(client_->getSnapshot("tank/pvc-1@s1").status().code(), StatusCode::kNotFound);
}

// A snapshot taken outside the driver (periodic task, admin) inherits the volume's user
// properties; only its own ones may count as the driver's marks.
TEST_P(SimFidelityTest, SnapshotsReportOnlyTheirOwnUserProperties) {
  makeVolume("tank/pvc-1", {{"csi:owner", "driver"}, {"csi:name", "pvc-1"}});
  makeSnapshot("tank/pvc-1", "auto-2026");
  makeSnapshot("tank/pvc-1", "snap-1", {{"csi:owner", "driver"}});
  StatusOr<Snapshot> f = client_->getSnapshot("tank/pvc-1@auto-2026");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE(f->userProperties.empty()) << f->userProperties.begin()->first;
  StatusOr<Snapshot> o = client_->getSnapshot("tank/pvc-1@snap-1");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->userProperties.size(), 1u);
  EXPECT_EQ(o->userProperties["csi:owner"], "driver");
}

// 25.10's service.control job succeeds with result false when the service does not come up.
TEST_P(SimFidelityTest, ServiceThatDoesNotStartIsAnError) {
  server_->model().setFailingServices({"nfs"});
  Status s = client_->ensureServiceRunning("nfs");
  EXPECT_FALSE(s.ok());
  StatusOr<ServiceState> state = client_->getService("nfs");
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_FALSE(state->running);
  server_->model().setFailingServices({});
  EXPECT_TRUE(client_->ensureServiceRunning("nfs").ok());
}

// CORE 13.0's clone takes no dataset_properties: the quota must follow in an update.
TEST_P(SimFidelityTest, CloneGetsItsQuotaOnEveryVersion) {
  makeFilesystem("tank/nfs-1");
  makeSnapshot("tank/nfs-1", "s1");
  SnapshotCloneSpec clone;
  clone.snapshot = "tank/nfs-1@s1";
  clone.datasetDst = "tank/nfs-2";
  clone.datasetProperties = {{"refquota", std::to_string(uint64_t{2} << 30)},
                             {"csi:owner", "driver"}};
  Status cloned = client_->cloneSnapshot(clone);
  ASSERT_TRUE(cloned.ok()) << cloned;
  StatusOr<Dataset> d = client_->getDataset("tank/nfs-2");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->refquota, uint64_t{2} << 30);
  EXPECT_EQ(d->userProperties["csi:owner"], "driver");
  EXPECT_EQ(d->origin, "tank/nfs-1@s1");
}

// CORE: gid 0 is "wheel" and `security` needs NFSv4 (off by default); the client's defaults
// (maproot root:root, security SYS) must still make a share there.
TEST_P(SimFidelityTest, NfsShareWithDefaultMaprootAndSecurity) {
  makeFilesystem("tank/nfs-1");
  NfsShareSpec spec;
  spec.path = "/mnt/tank/nfs-1";
  spec.maprootUser = "root";
  spec.maprootGroup = "root";
  spec.security = {"SYS"};
  StatusOr<NfsShare> share = client_->createNfsShare(spec);
  ASSERT_TRUE(share.ok()) << share.status();
  EXPECT_EQ(share->maprootGroup.value_or(""),
            std::string(std::string(GetParam()) == "13.0" ? "wheel" : "root"));
  if (std::string(GetParam()) != "13.0") return;
  spec.path = "/mnt/tank/nfs-2";
  makeFilesystem("tank/nfs-2");
  spec.security = {"KRB5"};
  EXPECT_EQ(client_->createNfsShare(spec).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Personalities, SimFidelityTest,
                         ::testing::Values("25.04", "25.10", "24.10", "13.0"), simTestName);

}  // namespace tnascsi::controller::truenas

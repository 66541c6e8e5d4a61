// Contract test: every request the TrueNAS client sends in a provisioning scenario, on every
// personality, is checked against the machine-readable API description (test/truenas-api/
// api.json, written from the middleware source), and every method the description covers for the
// personality is exercised. The simulator enforces the same description, so the client, the
// simulator and the description cannot drift apart.
#include "test/truenas-sim/model/contract.h"

#include <set>

#include "test/integration/truenas/sim_client_fixture.h"

namespace tnascsi::controller::truenas {
namespace {

class ContractTest : public SimClientTest {};

TEST_P(ContractTest, EveryRequestConformsToTheDescription) {
  const std::string p = GetParam();
  server_->calls().keepRequests(true);
  DatasetCreateSpec parent;
  parent.name = "tank/k8s";
  ASSERT_TRUE(client_->createDataset(parent).ok());
  DatasetCreateSpec fs;
  fs.name = "tank/k8s/nfs-1";
  fs.refquota = uint64_t{1} << 30;
  fs.userProperties = {{"csi:owner", "driver"}};
  ASSERT_TRUE(client_->createDataset(fs).ok());
  SnapshotCreateSpec snap;
  snap.dataset = fs.name;
  snap.name = "s1";
  snap.userProperties = {{"csi:owner", "driver"}};
  ASSERT_TRUE(client_->createSnapshot(snap).ok());
  SnapshotCloneSpec clone;
  clone.snapshot = "tank/k8s/nfs-1@s1";
  clone.datasetDst = "tank/k8s/nfs-2";
  clone.datasetProperties = {{"refquota", std::to_string(uint64_t{1} << 30)},
                             {"csi:owner", "driver"}};
  ASSERT_TRUE(client_->cloneSnapshot(clone).ok());
  ASSERT_TRUE(client_->promoteDataset("tank/k8s/nfs-2").ok());
  NfsShareSpec share;
  share.path = "/mnt/tank/k8s/nfs-2";
  share.maprootUser = "root";
  share.maprootGroup = "root";
  share.security = {"SYS"};
  ASSERT_TRUE(client_->createNfsShare(share).ok());
  IscsiInitiatorGroupSpec group;
  group.initiators = {"iqn.2000-01.invalid.truenas-csi:no-node"};
  group.comment = "truenas-csi:tank/k8s/v";
  StatusOr<IscsiInitiatorGroup> g = client_->createIscsiInitiatorGroup(group);
  ASSERT_TRUE(g.ok()) << g.status();
  group.comment += " nodes=worker-1";
  group.initiators = {"iqn.2004-10.com.ubuntu:01:worker-1"};
  ASSERT_TRUE(client_->updateIscsiInitiatorGroup(g->id, group).ok());
  ASSERT_TRUE(client_->ensureServiceRunning("nfs").ok());
  DatasetDeleteOptions del;  // nfs-1 is now the clone (of nfs-2@s1)
  del.recursive = true;
  Status deleted = client_->deleteDataset("tank/k8s/nfs-1", del);
  ASSERT_TRUE(deleted.ok()) << deleted;
  Status snapDeleted = client_->deleteSnapshot("tank/k8s/nfs-2@s1", {});
  ASSERT_TRUE(snapDeleted.ok()) << snapDeleted;

  const sim::Contract& contract = sim::Contract::builtIn();
  std::set<std::string> exercised;
  for (const auto& [method, params] : server_->calls().requests()) {
    Status s = contract.check(p, method, params);
    EXPECT_TRUE(s.ok()) << method << " " << params.dump() << ": " << s;
    if (contract.describes(p, method)) exercised.insert(method);
  }
  for (const auto& method : contract.methods(p)) {
    EXPECT_TRUE(exercised.count(method)) << "the scenario never sends " << method << " on " << p;
  }
}

// The shapes the client sent before issue #10 break the description where the real middleware
// refuses them.
TEST_P(ContractTest, DescriptionCatchesTheOldRequests) {
  const std::string p = GetParam();
  const sim::Contract& contract = sim::Contract::builtIn();
  sim::Json options = sim::Json::object();
  options.set("defer", false);
  options.set("recursive", false);
  sim::Json args = sim::Json::array();
  args.push("tank/a@s");
  args.push(options);
  const std::string del = p == "25.10" ? "pool.snapshot.delete" : "zfs.snapshot.delete";
  EXPECT_EQ(contract.check(p, del, args).ok(), p != "13.0");
  sim::Json cloneSpec = sim::Json::object();
  cloneSpec.set("snapshot", "tank/a@s");
  cloneSpec.set("dataset_dst", "tank/b");
  sim::Json props = sim::Json::object();
  props.set("refquota", "1073741824");
  cloneSpec.set("dataset_properties", props);
  sim::Json cloneArgs = sim::Json::array();
  cloneArgs.push(cloneSpec);
  const std::string cl = p == "25.10" ? "pool.snapshot.clone" : "zfs.snapshot.clone";
  EXPECT_EQ(contract.check(p, cl, cloneArgs).ok(), p != "13.0");
  if (p == "25.04" || p == "25.10") {
    sim::Json group = sim::Json::object();
    group.set("comment", std::string(1025, 'x'));
    sim::Json groupArgs = sim::Json::array();
    groupArgs.push(group);
    EXPECT_FALSE(contract.check(p, "iscsi.initiator.create", groupArgs).ok());
  }
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Personalities, ContractTest,
                         ::testing::Values("25.04", "25.10", "24.10", "13.0"), simTestName);

}  // namespace tnascsi::controller::truenas

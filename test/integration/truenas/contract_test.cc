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

class ContractTest : public SimClientTest {
 protected:
  // The iSCSI half of the scenario: every create/update/delete the client can send for portals,
  // CHAP credentials, initiator groups, targets, extents and their mappings, and a zvol update.
  void iscsiScenario() {
    DatasetCreateSpec zvol;
    zvol.name = "tank/k8s/vol-1";
    zvol.type = DatasetType::kVolume;
    zvol.volsize = uint64_t{1} << 30;
    zvol.volblocksize = 16384;
    zvol.sparse = true;
    zvol.compression = "LZ4";
    zvol.userProperties = {{"csi:owner", "driver"}};
    ASSERT_TRUE(client_->createDataset(zvol).ok());
    DatasetUpdateSpec grow;
    grow.volsize = uint64_t{2} << 30;
    grow.setUserProperties = {{"csi:size", "2"}};
    grow.removeUserProperties = {"csi:gone"};
    StatusOr<Dataset> grown = client_->updateDataset(zvol.name, grow);
    ASSERT_TRUE(grown.ok()) << grown.status();
    IscsiPortalCreateSpec ps;
    ps.listenIps = {"0.0.0.0"};
    ps.comment = "truenas-csi";
    StatusOr<IscsiPortal> portal = client_->createIscsiPortal(ps);
    ASSERT_TRUE(portal.ok()) << portal.status();
    IscsiAuthSpec auth;
    auth.tag = 7;
    auth.user = "csi-user";
    auth.secret = "0123456789abcd";
    StatusOr<IscsiAuth> a = client_->createIscsiAuth(auth);
    ASSERT_TRUE(a.ok()) << a.status();
    auth.secret = "abcd0123456789";
    ASSERT_TRUE(client_->updateIscsiAuth(a->id, auth).ok());
    IscsiTargetSpec ts;
    ts.name = "vol-1";
    ts.alias = "vol-1";
    IscsiTargetGroup g;
    g.portal = portal->id;
    g.authMethod = IscsiAuthMethod::kChap;
    g.auth = 7;
    ts.groups = {g};
    ts.authNetworks = {"10.0.0.0/8"};
    StatusOr<IscsiTarget> target = client_->createIscsiTarget(ts);
    ASSERT_TRUE(target.ok()) << target.status();
    IscsiTargetUpdateSpec tu;
    tu.alias = std::optional<std::string>();
    tu.authNetworks = std::vector<std::string>{"10.0.0.0/8", "192.168.0.0/16"};
    ASSERT_TRUE(client_->updateIscsiTarget(target->id, tu).ok());
    IscsiExtentCreateSpec es;
    es.name = "vol-1";
    es.disk = "zvol/tank/k8s/vol-1";
    es.comment = "truenas-csi";
    es.productId = "truenas-csi";
    StatusOr<IscsiExtent> extent = client_->createIscsiExtent(es);
    ASSERT_TRUE(extent.ok()) << extent.status();
    IscsiExtentUpdateSpec eu;
    eu.comment = "truenas-csi vol-1";
    ASSERT_TRUE(client_->updateIscsiExtent(extent->id, eu).ok());
    IscsiTargetExtentSpec ms;
    ms.target = target->id;
    ms.extent = extent->id;
    StatusOr<IscsiTargetExtent> map = client_->createIscsiTargetExtent(ms);
    ASSERT_TRUE(map.ok()) << map.status();
    ASSERT_TRUE(client_->deleteIscsiTargetExtent(map->id, false).ok());
    ASSERT_TRUE(client_->deleteIscsiExtent(extent->id, {}).ok());
    ASSERT_TRUE(client_->deleteIscsiTarget(target->id, {}).ok());
  }
};

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
  PathPermissionsSpec perm;  // StorageClass nfsRootMode/Uid/Gid
  perm.path = "/mnt/tank/k8s/nfs-1";
  perm.mode = 0775;
  perm.uid = 1000;
  perm.gid = 1000;
  Status permSet = client_->setPathPermissions(perm);
  ASSERT_TRUE(permSet.ok()) << permSet;
  Status owned = client_->setPathOwner({"/mnt/tank/k8s/nfs-1", std::nullopt, int64_t{2000}});
  ASSERT_TRUE(owned.ok()) << owned;
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
  ASSERT_NO_FATAL_FAILURE(iscsiScenario());
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

// Shapes the real middleware refuses per version in the methods added to the description later:
// auth_networks on CORE targets, product_id before 25.10, delete_extents before 25.04, CORE's
// volblocksize spelling and pydantic's strict types.
TEST_P(ContractTest, DescriptionRefusesWhatTheVersionLacks) {
  const std::string p = GetParam();
  const sim::Contract& contract = sim::Contract::builtIn();
  auto one = [](const sim::Json& o) {
    sim::Json a = sim::Json::array();
    a.push(o);
    return a;
  };
  sim::Json target = sim::Json::object();
  target.set("name", "vol-1");
  sim::Json nets = sim::Json::array();
  nets.push("10.0.0.0/8");
  target.set("auth_networks", nets);
  EXPECT_EQ(contract.check(p, "iscsi.target.create", one(target)).ok(), p != "13.0");
  sim::Json extent = sim::Json::object();
  extent.set("name", "vol-1");
  extent.set("disk", "zvol/tank/vol-1");
  extent.set("product_id", "truenas-csi");
  EXPECT_EQ(contract.check(p, "iscsi.extent.create", one(extent)).ok(), p == "25.10");
  sim::Json del = sim::Json::array();
  del.push(int64_t{1});
  del.push(false);
  del.push(true);
  EXPECT_EQ(contract.check(p, "iscsi.target.delete", del).ok(), p == "25.04" || p == "25.10");
  sim::Json zvol = sim::Json::object();
  zvol.set("name", "tank/vol-1");
  zvol.set("type", "VOLUME");
  zvol.set("volsize", int64_t{1} << 30);
  zvol.set("volblocksize", "512B");
  EXPECT_EQ(contract.check(p, "pool.dataset.create", one(zvol)).ok(), p != "13.0");
  sim::Json lun = sim::Json::object();
  lun.set("target", "1");  // a numeric string: coerced by legacy schemas, refused by pydantic
  lun.set("extent", int64_t{1});
  EXPECT_EQ(contract.check(p, "iscsi.targetextent.create", one(lun)).ok(),
            p == "13.0" || p == "24.10");
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Personalities, ContractTest,
                         ::testing::Values("25.04", "25.10", "24.10", "13.0"), simTestName);

}  // namespace tnascsi::controller::truenas

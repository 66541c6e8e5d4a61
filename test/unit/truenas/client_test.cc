// TrueNasClient request building and result parsing per release, against FakeRpcTransport.
#include <gtest/gtest.h>

#include "test/unit/truenas/client_fixture.h"

namespace tnascsi::controller::truenas {
namespace {

constexpr const char* kSnapshotEntry =
    R"({"id":"tank/k8s/pvc-1@snap-1","name":"tank/k8s/pvc-1@snap-1","pool":"tank","type":"SNAPSHOT",
    "snapshot_name":"snap-1","dataset":"tank/k8s/pvc-1","createtxg":"123",
    "properties":{"used":{"parsed":4096,"rawvalue":"4096","value":"4K","source":"NONE"},
    "referenced":{"parsed":57344,"rawvalue":"57344","value":"56K","source":"NONE"},
    "creation":{"parsed":{"$date":1700000000000},"rawvalue":"1700000000","value":"x","source":"NONE"},
    "csi:snap":{"value":"snap-1","rawvalue":"snap-1","source":"LOCAL","parsed":"snap-1"}}})";

TEST(ClientVersionTest, VersionInfoFromEachRelease) {
  for (const Release* r : {&k1300, &k2410, &k2504, &k2510}) {
    Fixture f(*r);
    StatusOr<VersionInfo> info = f.client.versionInfo();
    ASSERT_TRUE(info.ok()) << info.status();
    EXPECT_EQ(info->fullVersion, r->version);
    EXPECT_EQ(info->protocol, r->protocol);
    EXPECT_EQ(std::string(productTypeName(info->productType)), r->product);
  }
}

TEST(ClientVersionTest, CachedPerConnection) {
  Fixture f(k2504);
  ASSERT_TRUE(f.client.versionInfo().ok());
  ASSERT_TRUE(f.client.versionInfo().ok());
  EXPECT_EQ(f.transport.calls().size(), 2u);  // system.version + system.product_type once
}

TEST(ClientVersionTest, UnparseableVersionStillStarts) {
  FakeRpcTransport t("TrueNAS-Weird", "COMMUNITY_EDITION", WireProtocol::kJsonRpc);
  StepClock clock;
  TrueNasClient client(t, clock);
  StatusOr<VersionInfo> info = client.versionInfo();
  ASSERT_TRUE(info.ok());
  EXPECT_TRUE(info->capabilities.poolSnapshotNamespace);
}

TEST(ClientSnapshotTest, CreateUsesPoolSnapshotOn2510) {
  Fixture f(k2510);
  f.transport.reply("pool.snapshot.create", kSnapshotEntry);
  SnapshotCreateSpec spec;
  spec.dataset = "tank/k8s/pvc-1";
  spec.name = "snap-1";
  spec.userProperties["csi:snap"] = "snap-1";
  StatusOr<Snapshot> s = f.client.createSnapshot(spec);
  ASSERT_TRUE(s.ok()) << s.status();
  auto call = f.only();
  EXPECT_EQ(call.method, "pool.snapshot.create");
  EXPECT_EQ(call.params,
            R"([{"dataset":"tank/k8s/pvc-1","name":"snap-1","properties":{"csi:snap":"snap-1"}}])");
  EXPECT_EQ(s->id, "tank/k8s/pvc-1@snap-1");
  EXPECT_EQ(s->dataset, "tank/k8s/pvc-1");
  EXPECT_EQ(s->name, "snap-1");
  EXPECT_EQ(s->createtxg, 123u);
  EXPECT_EQ(s->used, 4096u);
  EXPECT_EQ(s->referenced, 57344u);
  ASSERT_TRUE(s->creation.has_value());
  EXPECT_EQ(
      std::chrono::duration_cast<std::chrono::seconds>(s->creation->time_since_epoch()).count(),
      1700000000);
  EXPECT_EQ(s->userProperties.at("csi:snap"), "snap-1");
}

TEST(ClientSnapshotTest, CreateUsesZfsSnapshotBefore2510) {
  for (const Release* r : {&k1300, &k2410, &k2504}) {
    Fixture f(*r);
    f.transport.reply("zfs.snapshot.create", kSnapshotEntry);
    SnapshotCreateSpec spec;
    spec.dataset = "tank/k8s/pvc-1";
    spec.name = "snap-1";
    ASSERT_TRUE(f.client.createSnapshot(spec).ok()) << r->version;
    EXPECT_EQ(f.only().method, "zfs.snapshot.create") << r->version;
  }
}

TEST(ClientSnapshotTest, DeleteCloneRollbackShapes) {
  Fixture f(k2510);
  f.transport.reply("pool.snapshot.delete", "true");
  f.transport.reply("pool.snapshot.clone", "true");
  f.transport.reply("pool.snapshot.rollback", "null");
  SnapshotDeleteOptions d;
  d.defer = true;
  ASSERT_TRUE(f.client.deleteSnapshot("tank/a@s", d).ok());
  SnapshotCloneSpec c;
  c.snapshot = "tank/a@s";
  c.datasetDst = "tank/b";
  ASSERT_TRUE(f.client.cloneSnapshot(c).ok());
  SnapshotRollbackOptions r;
  r.recursive = true;
  ASSERT_TRUE(f.client.rollbackSnapshot("tank/a@s", r).ok());
  auto calls = f.transport.domainCalls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].params, R"(["tank/a@s",{"defer":true,"recursive":false}])");
  EXPECT_EQ(calls[1].params, R"([{"dataset_dst":"tank/b","snapshot":"tank/a@s"}])");
  EXPECT_EQ(calls[2].params,
            R"(["tank/a@s",{"force":false,"recursive":true,"recursive_clones":false}])");
}

TEST(ClientSnapshotTest, GetMissingIsNotFound) {
  Fixture f(k2504);
  f.transport.reply("zfs.snapshot.query", "[]");
  EXPECT_EQ(f.client.getSnapshot("tank/a@none").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(f.only().params, R"([[["id","=","tank/a@none"]],{"limit":1}])");
}

constexpr const char* kZvolEntry =
    R"({"id":"tank/k8s/pvc-1","type":"VOLUME","name":"tank/k8s/pvc-1","pool":"tank","encrypted":false,
    "children":[],"locked":false,"mountpoint":null,
    "user_properties":{"csi:pvc":{"value":"pvc-1","rawvalue":"pvc-1","source":"LOCAL","parsed":"pvc-1"}},
    "volsize":{"parsed":1073741824,"rawvalue":"1073741824","value":"1G","source":"LOCAL","source_info":null},
    "volblocksize":{"parsed":16384,"rawvalue":"16384","value":"16K","source":"DEFAULT","source_info":null},
    "refreservation":{"parsed":null,"rawvalue":"0","value":null,"source":"DEFAULT","source_info":null},
    "used":{"parsed":57344,"rawvalue":"57344","value":"56K","source":"NONE","source_info":null},
    "available":{"parsed":"1000000","rawvalue":"1000000","value":"1M","source":"NONE","source_info":null},
    "origin":{"parsed":"","rawvalue":"","value":"","source":"NONE"},
    "compression":{"parsed":"lz4","rawvalue":"lz4","value":"LZ4","source":"LOCAL"},
    "sync":{"parsed":"standard","rawvalue":"standard","value":"STANDARD","source":"DEFAULT"},
    "deduplication":{"parsed":"off","rawvalue":"off","value":"OFF","source":"DEFAULT"},
    "readonly":{"parsed":false,"rawvalue":"off","value":"OFF","source":"DEFAULT"},
    "comments":{"parsed":"k8s pvc-1","rawvalue":"k8s pvc-1","value":"k8s pvc-1","source":"LOCAL"}})";

DatasetCreateSpec zvolSpec() {
  DatasetCreateSpec spec;
  spec.name = "tank/k8s/pvc-1";
  spec.type = DatasetType::kVolume;
  spec.volsize = 1073741824;
  spec.volblocksize = 16384;
  spec.sparse = true;
  spec.compression = "LZ4";
  spec.comments = "k8s pvc-1";
  spec.userProperties["csi:pvc"] = "pvc-1";
  return spec;
}

TEST(ClientDatasetTest, CreateZvolOnScaleSendsUserProperties) {
  Fixture f(k2510);
  f.transport.reply("pool.dataset.create", kZvolEntry);
  StatusOr<Dataset> d = f.client.createDataset(zvolSpec());
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(f.only().params,
            R"([{"comments":"k8s pvc-1","compression":"LZ4","name":"tank/k8s/pvc-1","sparse":true,)"
            R"("type":"VOLUME","user_properties":[{"key":"csi:pvc","value":"pvc-1"}],)"
            R"("volblocksize":"16K","volsize":1073741824}])");
  EXPECT_EQ(d->name, "tank/k8s/pvc-1");
  EXPECT_EQ(d->type, DatasetType::kVolume);
  EXPECT_EQ(d->volsize, 1073741824u);
  EXPECT_EQ(d->volblocksize, 16384u);
  EXPECT_EQ(d->used, 57344u);
  EXPECT_EQ(d->available, 1000000u);
  EXPECT_TRUE(d->sparse);
  EXPECT_EQ(d->compression, "LZ4");
  EXPECT_EQ(d->sync, "STANDARD");
  EXPECT_EQ(d->dedup, "OFF");
  EXPECT_EQ(d->comments, "k8s pvc-1");
  EXPECT_FALSE(d->mountpoint.has_value());
  EXPECT_EQ(d->userProperties.at("csi:pvc"), "pvc-1");
  EXPECT_TRUE(d->origin.empty());
}

TEST(ClientDatasetTest, CreateOnCoreKeepsPropertiesInComments) {
  Fixture f(k1300);
  // CORE echoes the comment back; the client must decode the properties from it.
  f.transport.reply(
      "pool.dataset.create",
      R"({"id":"tank/k8s/pvc-1","type":"VOLUME","comments":{"value":"tnascsi-props:{\"csi:pvc\":\"pvc-1\"}"}})");
  StatusOr<Dataset> d = f.client.createDataset(zvolSpec());
  ASSERT_TRUE(d.ok()) << d.status();
  const std::string params = f.only().params;
  EXPECT_EQ(params.find("user_properties"), std::string::npos) << params;
  EXPECT_NE(params.find(R"("comments":"tnascsi-props:{\"csi:pvc\":\"pvc-1\"}")"), std::string::npos)
      << params;
  EXPECT_EQ(d->userProperties.at("csi:pvc"), "pvc-1");
}

TEST(ClientDatasetTest, RejectsInvalidVolblocksizeLocally) {
  Fixture f(k2504);
  DatasetCreateSpec spec = zvolSpec();
  spec.volblocksize = 3000;
  EXPECT_EQ(f.client.createDataset(spec).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(f.transport.domainCalls().empty());
}

TEST(ClientDatasetTest, UpdateUserPropertiesScaleAndCore) {
  {
    Fixture f(k2504);
    f.transport.reply("pool.dataset.update", kZvolEntry);
    DatasetUpdateSpec spec;
    spec.volsize = 2147483648;
    spec.setUserProperties["csi:a"] = "1";
    spec.removeUserProperties.push_back("csi:b");
    ASSERT_TRUE(f.client.updateDataset("tank/k8s/pvc-1", spec).ok());
    EXPECT_EQ(f.only().params,
              R"(["tank/k8s/pvc-1",{"user_properties_update":[{"key":"csi:a","value":"1"},)"
              R"({"key":"csi:b","remove":true}],"volsize":2147483648}])");
  }
  {
    Fixture f(k1300);
    f.transport.reply(
        "pool.dataset.query",
        R"([{"id":"tank/x","type":"FILESYSTEM","comments":"tnascsi-props:{\"csi:b\":\"2\",\"csi:c\":\"3\"}"}])");
    f.transport.reply("pool.dataset.update", R"({"id":"tank/x","type":"FILESYSTEM"})");
    DatasetUpdateSpec spec;
    spec.setUserProperties["csi:a"] = "1";
    spec.removeUserProperties.push_back("csi:b");
    ASSERT_TRUE(f.client.updateDataset("tank/x", spec).ok());
    auto calls = f.transport.domainCalls();
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_EQ(calls[1].params,
              R"(["tank/x",{"comments":"tnascsi-props:{\"csi:a\":\"1\",\"csi:c\":\"3\"}"}])");
  }
}

TEST(ClientDatasetTest, QueriesAndFilters) {
  Fixture f(k2504);
  f.transport.reply("pool.dataset.query", "[]");
  f.transport.reply("pool.dataset.query", "[]");
  f.transport.reply("pool.dataset.query", "7");
  ASSERT_TRUE(f.client.findDatasetsByUserProperty("tank/k8s", "org.x:pvc", "v").ok());
  QueryOptions page;
  page.limit = 10;
  page.offset = 20;
  ASSERT_TRUE(f.client.listChildDatasets("tank/k8s", page).ok());
  StatusOr<int64_t> n = f.client.count(Collection::kDatasets, QueryFilter());
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 7);
  auto calls = f.transport.domainCalls();
  ASSERT_EQ(calls.size(), 3u);
  // retrieve_children:false only with a lone `id =` filter: otherwise 24.10/25.04 stop at the
  // pool roots (TS-24.10.2.4:src/middlewared/middlewared/plugins/pool_/dataset.py:211-212).
  EXPECT_EQ(calls[0].params,
            R"([[["id","^","tank/k8s/"],["user_properties.org\\.x:pvc.value","=","v"]],)"
            R"({"extra":{"flat":true}}])");
  EXPECT_EQ(calls[1].params, R"([[["id","~","^tank/k8s/[^/]+$"]],{"extra":{"flat":true},)"
                             R"("limit":10,"offset":20,"order_by":["id"]}])");
  EXPECT_EQ(calls[2].params, R"([[],{"count":true,"extra":{"flat":true}}])");
}

TEST(ClientDatasetTest, OrFiltersAndCaseInsensitive) {
  Fixture f(k2504);
  f.transport.reply("iscsi.target.query", "[]");
  QueryFilter filter =
      QueryFilter::anyOf({QueryFilter::where("name", FilterOp::kEq, std::string("a")),
                          QueryFilter::where("name", FilterOp::kEq, std::string("b"))
                              .and_("id", FilterOp::kGt, int64_t{3})});
  filter.andCaseInsensitive("alias", FilterOp::kStartsWith, "x");
  ASSERT_TRUE(f.client.queryIscsiTargets(filter, QueryOptions()).ok());
  EXPECT_EQ(
      f.only().params,
      R"([[["OR",[["name","=","a"],[["name","=","b"],["id",">",3]]]],["alias","C^","x"]],{}])");
}

TEST(ClientDatasetTest, QueryRejectsCountAndGet) {
  Fixture f(k2504);
  QueryOptions o;
  o.count = true;
  EXPECT_EQ(f.client.queryDatasets(QueryFilter(), o).status().code(), StatusCode::kInvalidArgument);
}

TEST(ClientDatasetTest, DeleteAndPromoteShapes) {
  Fixture f(k2410);
  f.transport.reply("pool.dataset.delete", "true");
  f.transport.reply("pool.dataset.promote", "null");
  DatasetDeleteOptions o;
  o.recursive = true;
  ASSERT_TRUE(f.client.deleteDataset("tank/x", o).ok());
  ASSERT_TRUE(f.client.promoteDataset("tank/y").ok());
  auto calls = f.transport.domainCalls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].params, R"(["tank/x",{"force":false,"recursive":true}])");
  EXPECT_EQ(calls[1].params, R"(["tank/y"])");
}

TEST(ClientRetryTest, ReadsRetriedOnceWritesNever) {
  Fixture f(k2504);
  f.transport.fail("pool.dataset.query", absl::UnavailableError("connection lost"));
  f.transport.reply("pool.dataset.query", "[]");
  EXPECT_TRUE(f.client.queryDatasets(QueryFilter(), QueryOptions()).ok());
  f.transport.fail("pool.dataset.delete", absl::UnavailableError("connection lost"));
  f.transport.reply("pool.dataset.delete", "true");
  EXPECT_EQ(f.client.deleteDataset("tank/x", {}).code(), StatusCode::kUnavailable);
  size_t deletes = 0;
  for (auto& c : f.transport.calls()) deletes += c.method == "pool.dataset.delete";
  EXPECT_EQ(deletes, 1u);
}

TEST(ClientRetryTest, ErrorsPassThroughWithCode) {
  Fixture f(k2504);
  f.transport.fail("pool.dataset.create", absl::AlreadyExistsError("exists"));
  EXPECT_EQ(f.client.createDataset(zvolSpec()).status().code(), StatusCode::kAlreadyExists);
}

TEST(ClientNfsTest, PathVsPathsPerRelease) {
  {
    Fixture f(k1300);
    f.transport.reply("sharing.nfs.create",
                      R"({"id":3,"paths":["/mnt/tank/k8s/nfs-1"],"hosts":[],"networks":[]})");
    NfsShareSpec spec;
    spec.path = "/mnt/tank/k8s/nfs-1";
    spec.networks = {"10.0.0.0/24"};
    StatusOr<NfsShare> s = f.client.createNfsShare(spec);
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(f.only().params,
              R"([{"comment":"","enabled":true,"hosts":[],"networks":["10.0.0.0/24"],)"
              R"("paths":["/mnt/tank/k8s/nfs-1"],"ro":false}])");
    EXPECT_EQ(s->path, "/mnt/tank/k8s/nfs-1");
    f.transport.reply("sharing.nfs.query", "[]");
    EXPECT_EQ(f.client.findNfsShareByPath("/mnt/tank/k8s/nfs-1").status().code(),
              StatusCode::kNotFound);
    EXPECT_EQ(f.transport.domainCalls().back().params,
              R"([[["paths","rin","/mnt/tank/k8s/nfs-1"]],{"limit":1}])");
  }
  for (const Release* r : {&k2410, &k2504, &k2510}) {
    Fixture f(*r);
    f.transport.reply("sharing.nfs.create", R"({"id":3,"path":"/mnt/tank/k8s/nfs-1"})");
    NfsShareSpec spec;
    spec.path = "/mnt/tank/k8s/nfs-1";
    spec.maprootUser = "root";
    ASSERT_TRUE(f.client.createNfsShare(spec).ok());
    EXPECT_EQ(f.only().params,
              R"([{"comment":"","enabled":true,"hosts":[],"maproot_user":"root","networks":[],)"
              R"("path":"/mnt/tank/k8s/nfs-1","ro":false}])")
        << r->version;
    f.transport.reply("sharing.nfs.query", R"([{"id":3,"path":"/mnt/tank/k8s/nfs-1"}])");
    StatusOr<NfsShare> found = f.client.findNfsShareByPath("/mnt/tank/k8s/nfs-1");
    ASSERT_TRUE(found.ok());
    EXPECT_EQ(found->id, 3);
    EXPECT_EQ(f.transport.domainCalls().back().params,
              R"([[["path","=","/mnt/tank/k8s/nfs-1"]],{"limit":1}])");
  }
}

TEST(ClientIscsiTest, TargetDeletePerRelease) {
  {
    Fixture f(k2504);
    f.transport.reply("iscsi.target.delete", "true");
    IscsiTargetDeleteOptions o;
    o.force = true;
    o.deleteExtents = true;
    ASSERT_TRUE(f.client.deleteIscsiTarget(5, o).ok());
    EXPECT_EQ(f.only().params, "[5,true,true]");
  }
  {
    // 24.10: no delete_extents; the client deletes the mapped extents itself.
    Fixture f(k2410);
    f.transport.reply("iscsi.targetextent.query", R"([{"id":1,"target":5,"extent":9,"lunid":0}])");
    f.transport.reply("iscsi.target.delete", "true");
    f.transport.reply("iscsi.extent.delete", "true");
    IscsiTargetDeleteOptions o;
    o.deleteExtents = true;
    ASSERT_TRUE(f.client.deleteIscsiTarget(5, o).ok());
    auto calls = f.transport.domainCalls();
    ASSERT_EQ(calls.size(), 3u);
    EXPECT_EQ(calls[0].params, R"([[["target","=",5]],{}])");
    EXPECT_EQ(calls[1].method, "iscsi.target.delete");
    EXPECT_EQ(calls[1].params, "[5,false]");
    EXPECT_EQ(calls[2].method, "iscsi.extent.delete");
    EXPECT_EQ(calls[2].params, "[9,false,false]");
  }
}

TEST(ClientIscsiTest, ProvisioningSequenceShapes) {
  Fixture f(k2510);
  f.transport.reply("iscsi.target.create",
                    R"({"id":5,"name":"pvc-1","alias":null,"mode":"ISCSI","rel_tgt_id":1,
                    "groups":[{"portal":1,"initiator":2,"authmethod":"CHAP","auth":7}],"auth_networks":[]})");
  f.transport.reply(
      "iscsi.extent.create",
      R"({"id":9,"name":"pvc-1","type":"DISK","disk":"zvol/tank/k8s/pvc-1","serial":"3f1a9c0b2d7e4a1",
                    "naa":"0x6589cfc000000a1b2c3d4e5f60718293a","blocksize":512,"filesize":"0","rpm":"SSD",
                    "product_id":"iSCSI Disk","vendor":"TrueNAS","enabled":true,"ro":false})");
  f.transport.reply("iscsi.targetextent.create", R"({"id":11,"target":5,"extent":9,"lunid":0})");
  IscsiTargetSpec t;
  t.name = "pvc-1";
  IscsiTargetGroup g;
  g.portal = 1;
  g.initiator = 2;
  g.authMethod = IscsiAuthMethod::kChap;
  g.auth = 7;
  t.groups.push_back(g);
  StatusOr<IscsiTarget> target = f.client.createIscsiTarget(t);
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(target->groups.at(0).authMethod, IscsiAuthMethod::kChap);
  EXPECT_EQ(target->groups.at(0).auth, 7);
  IscsiExtentCreateSpec e;
  e.name = "pvc-1";
  e.disk = "zvol/tank/k8s/pvc-1";
  e.comment = "csi pvc-1";
  e.productId = "CSI";
  StatusOr<IscsiExtent> extent = f.client.createIscsiExtent(e);
  ASSERT_TRUE(extent.ok()) << extent.status();
  EXPECT_EQ(extent->serial, "3f1a9c0b2d7e4a1");
  EXPECT_EQ(extent->naa, "0x6589cfc000000a1b2c3d4e5f60718293a");
  IscsiTargetExtentSpec m;
  m.target = 5;
  m.extent = 9;
  ASSERT_TRUE(f.client.createIscsiTargetExtent(m).ok());
  auto calls = f.transport.domainCalls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].params,
            R"([{"alias":null,"auth_networks":[],"groups":[{"auth":7,"authmethod":"CHAP",)"
            R"("initiator":2,"portal":1}],"mode":"ISCSI","name":"pvc-1"}])");
  EXPECT_EQ(
      calls[1].params,
      R"([{"blocksize":512,"comment":"csi pvc-1","disk":"zvol/tank/k8s/pvc-1","enabled":true,)"
      R"("insecure_tpc":true,"name":"pvc-1","pblocksize":false,"product_id":"CSI","ro":false,)"
      R"("rpm":"SSD","type":"DISK","xen":false}])");
  EXPECT_EQ(calls[2].params, R"([{"extent":9,"lunid":null,"target":5}])");
}

TEST(ClientIscsiTest, ProductIdDroppedBefore2510) {
  Fixture f(k2504);
  f.transport.reply("iscsi.extent.create", R"({"id":9,"name":"pvc-1"})");
  IscsiExtentCreateSpec e;
  e.name = "pvc-1";
  e.disk = "zvol/tank/x";
  e.productId = "CSI";
  ASSERT_TRUE(f.client.createIscsiExtent(e).ok());
  EXPECT_EQ(f.only().params.find("product_id"), std::string::npos);
}

TEST(ClientServiceTest, StartUsesServiceControlJobOn2510) {
  Fixture f(k2510);
  f.transport.reply(
      "service.query",
      R"([{"id":4,"service":"iscsitarget","enable":false,"state":"STOPPED","pids":[]}])");
  f.transport.reply("service.update", "4");
  f.transport.reply("service.control", "42");
  f.transport.reply("core.get_jobs", R"([{"id":42,"state":"RUNNING"}])");
  f.transport.reply("core.get_jobs", R"([{"id":42,"state":"SUCCESS","result":true}])");
  ASSERT_TRUE(f.client.ensureServiceRunning("iscsitarget").ok());
  auto calls = f.transport.domainCalls();
  ASSERT_EQ(calls.size(), 5u);
  EXPECT_EQ(calls[1].params, R"(["iscsitarget",{"enable":true}])");
  EXPECT_EQ(calls[2].method, "service.control");
  EXPECT_EQ(calls[2].params, R"(["START","iscsitarget"])");
  EXPECT_EQ(calls[3].params, R"([[["id","=",42]],{}])");
}

TEST(ClientServiceTest, FailedJobIsDecoded) {
  Fixture f(k2510);
  f.transport.reply("service.control", "42");
  f.transport.reply(
      "core.get_jobs",
      R"([{"id":42,"method":"service.control","state":"FAILED","error":"[EFAULT] reload failed",
                    "exc_info":{"type":"CallError","errno":14}}])");
  Status st = f.client.reloadService("nfs");
  EXPECT_EQ(st.code(), StatusCode::kInternal);
  EXPECT_NE(st.message().find("reload failed"), std::string::npos) << st;
}

TEST(ClientServiceTest, JobPollingBacksOffFrom50msTo500ms) {
  Fixture f(k2510);
  f.transport.reply("service.control", "42");
  for (int i = 0; i < 6; ++i)
    f.transport.reply("core.get_jobs", R"([{"id":42,"state":"RUNNING"}])");
  f.transport.reply("core.get_jobs", R"([{"id":42,"state":"SUCCESS","result":true}])");
  ASSERT_TRUE(f.client.reloadService("nfs").ok());
  std::vector<int64_t> ms;
  for (auto d : f.clock.sleeps) {
    ms.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
  }
  EXPECT_EQ(ms, (std::vector<int64_t>{50, 100, 200, 400, 500, 500}));
}

TEST(ClientServiceTest, JobDeadline) {
  Fixture f(k2510);
  f.transport.reply("service.control", "42");
  f.transport.always("core.get_jobs", R"([{"id":42,"state":"RUNNING"}])");
  EXPECT_EQ(f.client.reloadService("nfs").code(), StatusCode::kDeadlineExceeded);
}

TEST(ClientReplicationTest, LocalCopyRunsOnetimeJobWithAnExactRegex) {
  Fixture f(k2504);
  f.transport.reply("replication.run_onetime", "7");
  f.transport.reply("core.get_jobs", R"([{"id":7,"state":"RUNNING"}])");
  f.transport.reply("core.get_jobs", R"([{"id":7,"state":"SUCCESS","result":null}])");
  ASSERT_TRUE(f.client.replicateLocal({"tank/k8s/pvc-1", "snap.1-x", "tank/k8s/pvc-2"}).ok());
  auto calls = f.transport.domainCalls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].method, "replication.run_onetime");
  const std::string& p = calls[0].params;
  for (const char* want :
       {R"("direction":"PUSH")", R"("transport":"LOCAL")",
        R"("source_datasets":["tank/k8s/pvc-1"])", R"("target_dataset":"tank/k8s/pvc-2")",
        R"("recursive":false)", R"("name_regex":"snap\\.1-x")", R"("retention_policy":"NONE")",
        R"("readonly":"IGNORE")", R"("properties":false)", R"("only_from_scratch":true)"}) {
    EXPECT_NE(p.find(want), std::string::npos) << want << " in " << p;
  }
}

TEST(ClientReplicationTest, JobFailuresMapToCodes) {
  Fixture f(k2410);
  f.transport.reply("replication.run_onetime", "8");
  f.transport.reply("core.get_jobs",
                    R"([{"id":8,"state":"FAILED","error":"Target dataset 'tank/b' already exists",
                    "exc_info":{"type":"CallError","errno":14}}])");
  EXPECT_EQ(f.client.replicateLocal({"tank/a", "s", "tank/b"}).code(), StatusCode::kAlreadyExists);
  f.transport.reply("replication.run_onetime", "9");
  f.transport.reply(
      "core.get_jobs",
      R"([{"id":9,"state":"FAILED","error":"Dataset 'tank/a' does not have any matching snapshots to replicate",
                    "exc_info":{"type":"CallError","errno":14}}])");
  EXPECT_EQ(f.client.replicateLocal({"tank/a", "s", "tank/c"}).code(), StatusCode::kNotFound);
  Fixture core(k1300);
  EXPECT_EQ(core.client.replicateLocal({"tank/a", "s", "tank/c"}).code(),
            StatusCode::kUnimplemented);
  for (const auto& c : core.transport.domainCalls()) {
    EXPECT_NE(c.method, "replication.run_onetime");
  }
}

TEST(ClientServiceTest, StartAndReloadBefore2510) {
  Fixture f(k2504);
  f.transport.reply("service.query",
                    R"([{"id":4,"service":"nfs","enable":true,"state":"STOPPED"}])");
  f.transport.reply("service.start", "true");
  f.transport.reply("service.reload", "true");
  ASSERT_TRUE(f.client.ensureServiceRunning("nfs").ok());
  ASSERT_TRUE(f.client.reloadService("nfs").ok());
  auto calls = f.transport.domainCalls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[1].method, "service.start");
  EXPECT_EQ(calls[2].method, "service.reload");
  f.transport.reply("service.query",
                    R"([{"id":4,"service":"nfs","enable":true,"state":"STOPPED"}])");
  f.transport.reply("service.start", "false");
  EXPECT_EQ(f.client.ensureServiceRunning("nfs").code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace tnascsi::controller::truenas

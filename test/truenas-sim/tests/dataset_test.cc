// Conformance: pool.dataset.* validation rules and cascades (reference §3.3–3.7, §10.3–10.4) on
// every personality, over a real WebSocket (JSON-RPC on 25.x, legacy on 24.10/13.0).
#include <cerrno>

#include "test/truenas-sim/tests/conformance.h"

namespace tnascsi::sim::testing {
namespace {

class DatasetTest : public ConformanceTest {};

TEST_P(DatasetTest, CreateZvolReturnsPropertyDictEntry) {
  Json extra = Json::object();
  if (!core()) extra.set("user_properties", arr({obj({{"key", "csi:pvc"}, {"value", "pvc-1"}})}));
  extra.set("sparse", true);
  extra.set("comments", "k8s pvc-1");
  Json e = createZvol("tank/pvc-1", kGiB, extra);
  EXPECT_EQ(e.value("id").asString(), "tank/pvc-1");
  EXPECT_EQ(e.value("type").asString(), "VOLUME");
  EXPECT_EQ(e.value("volsize").value("parsed").asInt(), kGiB);
  EXPECT_EQ(e.value("volsize").value("rawvalue").asString(), "1073741824");
  EXPECT_EQ(e.value("volsize").value("value").asString(), "1G");
  EXPECT_EQ(e.value("comments").value("value").asString(), "k8s pvc-1");
  EXPECT_TRUE(e.value("mountpoint").isNull());
  if (!core()) {
    EXPECT_EQ(e.value("user_properties").value("csi:pvc").value("value").asString(), "pvc-1");
    EXPECT_EQ(e.value("user_properties").value("csi:pvc").value("source").asString(), "LOCAL");
  }
  Json got = ok("pool.dataset.get_instance", arr({"tank/pvc-1"}));
  EXPECT_EQ(got.value("volblocksize").value("parsed").asInt(), 16384);
}

TEST_P(DatasetTest, UserPropertiesAreRejectedOnCore) {
  if (!core()) GTEST_SKIP() << "SCALE accepts user_properties";
  Reply r = client_->call(
      "pool.dataset.create",
      arr({obj({{"name", "tank/x"},
                {"user_properties", arr({obj({{"key", "a:b"}, {"value", "c"}})})}})}));
  expectValidation(r, "pool_dataset_create.user_properties", "Field was not expected");
}

TEST_P(DatasetTest, VolsizeMustBeMultipleOfVolblocksize) {
  Reply r = client_->call("pool.dataset.create", arr({obj({{"name", "tank/v"},
                                                           {"type", "VOLUME"},
                                                           {"volsize", kGiB + 512},
                                                           {"volblocksize", "16K"}})}));
  expectValidation(r, "pool_dataset_create.volsize",
                   "Volume size should be a multiple of volume block size");
}

// dRAID pools (TS-24.10.2.4:src/middlewared/middlewared/plugins/pool_/dataset.py:370-382): a zvol
// defaults to 128K and refuses a volblocksize below 32K; pool.query shows the dRAID data vdev.
// CORE 13.0 has no dRAID: the simulator refuses to model such a pool there.
TEST_P(DatasetTest, DraidPoolRefusesSmallVolblocksize) {
  SimOptions o = defaultOptions();
  o.pools.emplace_back("dpool", 100 * kGiB);
  o.draidPools = {"dpool"};
  if (core()) {
    EXPECT_FALSE(SimServer::create(o).ok());
    return;
  }
  startServer(o);
  client_ = connect();
  Json pool = ok("pool.query", arr({arr({arr({"name", "=", "dpool"})}), obj({{"get", true}})}));
  EXPECT_EQ(pool.value("topology").value("data").at(0).value("type").asString(), "DRAID");
  Json plain = ok("pool.query", arr({arr({arr({"name", "=", "tank"})}), obj({{"get", true}})}));
  EXPECT_EQ(plain.value("topology").value("data").size(), 0u);
  Reply r = client_->call(
      "pool.dataset.create",
      arr({obj(
          {{"name", "dpool/v"}, {"type", "VOLUME"}, {"volsize", kGiB}, {"volblocksize", "16K"}})}));
  expectValidation(r, "pool_dataset_create.volblocksize",
                   "Volume block size must be greater than or equal to 32K for dRAID pools");
  createZvol("dpool/v32", kGiB, obj({{"volblocksize", "32K"}}));
  createZvol("dpool/vdefault", kGiB);
  Json got = ok("pool.dataset.get_instance", arr({"dpool/vdefault"}));
  EXPECT_EQ(got.value("volblocksize").value("parsed").asInt(), 131072);
  createZvol("tank/v16", kGiB, obj({{"volblocksize", "16K"}}));  // not dRAID: accepted
}

TEST_P(DatasetTest, EightyPercentRuleUnlessForceSize) {
  Reply r = client_->call(
      "pool.dataset.create",
      arr({obj(
          {{"name", "tank/big"}, {"type", "VOLUME"}, {"volsize", 90 * kGiB}, {"sparse", true}})}));
  expectValidation(r, "pool_dataset_create.volsize",
                   "It is not recommended to use more than 80% of your available space");
  createZvol("tank/big", 90 * kGiB, obj({{"sparse", true}, {"force_size", true}}));
}

TEST_P(DatasetTest, VolsizeCannotShrinkAndGrowthIsChecked) {
  createZvol("tank/v", 2 * kGiB);
  Reply r = client_->call("pool.dataset.update", arr({"tank/v", obj({{"volsize", kGiB}})}));
  expectValidation(r, "pool_dataset_update.volsize", "You cannot shrink a zvol");
  r = client_->call("pool.dataset.update", arr({"tank/v", obj({{"volsize", 3 * kGiB + 1}})}));
  expectValidation(r, "pool_dataset_update.volsize", "multiple of volume block size");
  Json e = ok("pool.dataset.update", arr({"tank/v", obj({{"volsize", 4 * kGiB}})}));
  EXPECT_EQ(e.value("volsize").value("parsed").asInt(), 4 * kGiB);
  r = client_->call("pool.dataset.update", arr({"tank/v", obj({{"volsize", 96 * kGiB}})}));
  expectValidation(r, "pool_dataset_update.volsize", "80%");
}

TEST_P(DatasetTest, ThickZvolConsumesPoolSpace) {
  Json before = ok("pool.dataset.get_instance", arr({"tank"}));
  createZvol("tank/thick", 10 * kGiB);
  Json after = ok("pool.dataset.get_instance", arr({"tank"}));
  EXPECT_LE(after.value("available").value("parsed").asInt(),
            before.value("available").value("parsed").asInt() - 10 * kGiB);
  Json pool = ok("pool.query", arr({arr({arr({"name", "=", "tank"})}), obj({{"get", true}})}));
  EXPECT_EQ(pool.value("size").asInt(), 100 * kGiB);
  EXPECT_EQ(pool.value("free").asInt() + pool.value("allocated").asInt(), 100 * kGiB);
}

TEST_P(DatasetTest, QuotaMinimumIsOneGiB) {
  Reply r = client_->call("pool.dataset.create",
                          arr({obj({{"name", "tank/q"}, {"refquota", 1024 * 1024}})}));
  expectValidation(r, "pool_dataset_create.refquota", "1073741824");
  r = client_->call("pool.dataset.create", arr({obj({{"name", "tank/q"}, {"quota", 5}})}));
  expectValidation(r, "pool_dataset_create.quota", "1073741824");
  Json e = createFs("tank/q", obj({{"refquota", kGiB}}));
  EXPECT_EQ(e.value("refquota").value("parsed").asInt(), kGiB);
  e = ok("pool.dataset.update", arr({"tank/q", obj({{"refquota", 0}})}));
  EXPECT_TRUE(e.value("refquota").value("value").isNull());
}

TEST_P(DatasetTest, NameLengthLimitDependsOnVersion) {
  std::string name = "tank/" + std::string(196, 'a');  // 201 characters
  Reply r = client_->call("pool.dataset.create", arr({obj({{"name", name}})}));
  if (personality() == "24.10" || personality() == "25.04") {
    expectValidation(r, "pool_dataset_create.name",
                     "Dataset name length should be less than or equal to 200");
  } else if (personality() == "25.10") {
    EXPECT_TRUE(r.ok) << r.describe();
  }
  Reply longer =
      client_->call("pool.dataset.create", arr({obj({{"name", "tank/" + std::string(260, 'b')}})}));
  EXPECT_FALSE(longer.ok);
}

TEST_P(DatasetTest, ParentMustExist) {
  Reply r = client_->call("pool.dataset.create", arr({obj({{"name", "tank/missing/child"}})}));
  expectValidation(r, "pool_dataset_create.name", "Parent dataset does not exist");
  r = client_->call("pool.dataset.create", arr({obj({{"name", "nopool"}})}));
  expectValidation(r, "pool_dataset_create.name", "You need a full name");
  if (!core()) {
    createFs("tank/missing/child", obj({{"create_ancestors", true}}));
    ok("pool.dataset.get_instance", arr({"tank/missing"}));
  }
}

TEST_P(DatasetTest, ExistingPathAndExistingZvol) {
  createFs("tank/fs");
  Reply r = client_->call("pool.dataset.create", arr({obj({{"name", "tank/fs"}})}));
  expectValidation(r, "pool_dataset_create.name", "Path /mnt/tank/fs already exists");
  createZvol("tank/vol", kGiB);
  r = client_->call("pool.dataset.create",
                    arr({obj({{"name", "tank/vol"}, {"type", "VOLUME"}, {"volsize", kGiB}})}));
  expectCallError(r, EFAULT, "Failed to create dataset");
}

TEST_P(DatasetTest, FieldsInvalidForType) {
  Reply r = client_->call(
      "pool.dataset.create",
      arr({obj({{"name", "tank/v"}, {"type", "VOLUME"}, {"volsize", kGiB}, {"refquota", kGiB}})}));
  expectValidation(r, "pool_dataset_create.refquota",
                   personality() == "25.10" ? "Extra inputs are not permitted"
                                            : "This field is not valid for VOLUME");
  r = client_->call("pool.dataset.create", arr({obj({{"name", "tank/f"}, {"volsize", kGiB}})}));
  expectValidation(r, "pool_dataset_create.volsize",
                   personality() == "25.10" ? "Extra inputs are not permitted"
                                            : "This field is not valid for FILESYSTEM");
}

TEST_P(DatasetTest, ParentMayNotBeAZvol) {
  createZvol("tank/v", kGiB);
  Reply r = client_->call("pool.dataset.create", arr({obj({{"name", "tank/v/child"}})}));
  if (scale25()) {
    expectValidation(r, "pool_dataset_create.name", "parent may not be a ZFS volume");
  } else {
    expectCallError(r, EFAULT, "Failed to create dataset");
  }
}

TEST_P(DatasetTest, GetInstanceMissingIsInstanceNotFound) {
  Reply r = client_->call("pool.dataset.get_instance", arr({"tank/nope"}));
  ASSERT_FALSE(r.ok);
  EXPECT_TRUE(r.hasItem("", "PoolDataset tank/nope does not exist")) << r.describe();
  if (client_->legacy()) {
    EXPECT_EQ(r.errnum, ENOENT);
  } else {
    EXPECT_EQ(r.code, -32602);
    EXPECT_EQ(r.errnum, 22);
    EXPECT_EQ(r.extra.at(0).at(2).asInt(), ENOENT);
  }
  r = client_->call("pool.dataset.delete", arr({"tank/nope"}));
  EXPECT_TRUE(r.hasItem("", "PoolDataset tank/nope does not exist")) << r.describe();
}

TEST_P(DatasetTest, UpdateUnknownIdIsEnoent) {
  Reply r = client_->call("pool.dataset.update", arr({"tank/nope", obj({{"comments", "x"}})}));
  ASSERT_FALSE(r.ok);
  EXPECT_TRUE(r.hasItem("id", "tank/nope does not exist")) << r.describe();
}

TEST_P(DatasetTest, UserPropertiesUpdateAndInheritance) {
  if (core()) GTEST_SKIP() << "CORE has no user_properties";
  createFs("tank/k8s",
           obj({{"user_properties", arr({obj({{"key", "csi:owner"}, {"value", "a"}})})}}));
  createFs("tank/k8s/x");
  Json e = ok("pool.dataset.get_instance", arr({"tank/k8s/x"}));
  EXPECT_EQ(e.value("user_properties").value("csi:owner").value("source").asString(), "INHERITED");
  e = ok(
      "pool.dataset.update",
      arr({"tank/k8s/x",
           obj({{"user_properties_update", arr({obj({{"key", "csi:pvc"}, {"value", "p"}})})}})}));
  EXPECT_EQ(e.value("user_properties").value("csi:pvc").value("value").asString(), "p");
  e = ok(
      "pool.dataset.update",
      arr({"tank/k8s/x",
           obj({{"user_properties_update", arr({obj({{"key", "csi:pvc"}, {"remove", true}})})}})}));
  EXPECT_FALSE(e.value("user_properties").contains("csi:pvc"));
  Reply r = client_->call(
      "pool.dataset.update",
      arr({"tank/k8s/x",
           obj({{"user_properties_update",
                 arr({obj({{"key", "csi:pvc"}, {"value", "p"}, {"remove", true}})})}})}));
  EXPECT_FALSE(r.ok);
}

TEST_P(DatasetTest, DeleteWithChildrenNeedsRecursive) {
  createFs("tank/a");
  createFs("tank/a/b");
  Reply r = client_->call("pool.dataset.delete", arr({"tank/a"}));
  expectCallError(r, ENOTEMPTY, "has children");
  EXPECT_EQ(ok("pool.dataset.delete", arr({"tank/a", obj({{"recursive", true}})})), Json(true));
  Reply gone = client_->call("pool.dataset.get_instance", arr({"tank/a/b"}));
  EXPECT_FALSE(gone.ok);
}

TEST_P(DatasetTest, DeleteCascadesToSharesExtentsAndTargets) {
  createZvol("tank/v", kGiB);
  createFs("tank/nfs");
  Json portal =
      ok("iscsi.portal.create", arr({obj({{"listen", arr({obj({{"ip", "0.0.0.0"}})})}})}));
  Json target =
      ok("iscsi.target.create",
         arr({obj({{"name", "pvc-1"}, {"groups", arr({obj({{"portal", portal.value("id")}})})}})}));
  Json other =
      ok("iscsi.target.create",
         arr({obj({{"name", "pvc-2"}, {"groups", arr({obj({{"portal", portal.value("id")}})})}})}));
  Json extent = ok("iscsi.extent.create",
                   arr({obj({{"name", "pvc-1"}, {"type", "DISK"}, {"disk", "zvol/tank/v"}})}));
  ok("iscsi.targetextent.create",
     arr({obj({{"target", target.value("id")}, {"extent", extent.value("id")}})}));
  Json share = core() ? obj({{"paths", arr({"/mnt/tank/nfs"})}}) : obj({{"path", "/mnt/tank/nfs"}});
  ok("sharing.nfs.create", arr({share}));

  ok("pool.dataset.delete", arr({"tank/v"}));
  EXPECT_EQ(ok("iscsi.extent.query", arr({})).size(), 0u);
  EXPECT_EQ(ok("iscsi.targetextent.query", arr({})).size(), 0u);
  Json targets = ok("iscsi.target.query", arr({}));
  ASSERT_EQ(targets.size(), 1u) << "the target left without LUNs is deleted, the other stays";
  EXPECT_EQ(targets.at(0).value("name").asString(), "pvc-2");
  (void)other;

  ok("pool.dataset.delete", arr({"tank/nfs"}));
  EXPECT_EQ(ok("sharing.nfs.query", arr({})).size(), 0u);
}

TEST_P(DatasetTest, QueryFiltersAndOptions) {
  createFs("tank/Alpha");
  createFs("tank/beta");
  createZvol("tank/gamma", kGiB);
  Json r = ok("pool.dataset.query", arr({arr({arr({"type", "=", "VOLUME"})})}));
  ASSERT_EQ(r.size(), 1u);
  r = ok("pool.dataset.query", arr({arr({arr({"name", "C^", "TANK/A"})})}));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r.at(0).value("name").asString(), "tank/Alpha");
  r = ok("pool.dataset.query",
         arr({arr({arr({"OR", arr({arr({"name", "=", "tank/beta"}),
                                   arr({"name", "=", "tank/gamma"})})})}),
              obj({{"order_by", arr({"-name"})}, {"select", arr({"name", "volsize.parsed"})}})}));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r.at(0).value("name").asString(), "tank/gamma");
  EXPECT_EQ(r.at(0).value("volsize").value("parsed").asInt(), kGiB);
  EXPECT_FALSE(r.at(1).contains("type"));
  r = ok("pool.dataset.query", arr({arr({arr({"volsize.parsed", ">=", kGiB})})}));
  EXPECT_EQ(r.size(), 1u);
  r = ok("pool.dataset.query", arr({arr({}), obj({{"count", true}})}));
  EXPECT_EQ(r.asInt(), 4);
  r = ok("pool.dataset.query",
         arr({arr({}), obj({{"order_by", arr({"name"})}, {"offset", 1}, {"limit", 2}})}));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r.at(0).value("name").asString(), "tank/Alpha");
  r = ok("pool.dataset.query", arr({arr({arr({"name", "in", arr({"tank/beta", "x"})})})}));
  EXPECT_EQ(r.size(), 1u);
  r = ok("pool.dataset.query", arr({arr({arr({"name", "~", "tank/[ab]"})})}));
  EXPECT_EQ(r.size(), 1u);
  Reply missing = client_->call("pool.dataset.query",
                                arr({arr({arr({"name", "=", "zzz"})}), obj({{"get", true}})}));
  EXPECT_FALSE(missing.ok);
}

TEST_P(DatasetTest, PromoteSwapsOrigin) {
  createZvol("tank/src", kGiB);
  Json snap = ok(snapNs() + ".create", arr({obj({{"dataset", "tank/src"}, {"name", "s1"}})}));
  EXPECT_EQ(snap.value("name").asString(), "tank/src@s1");
  EXPECT_EQ(ok(snapNs() + ".clone",
               arr({obj({{"snapshot", "tank/src@s1"}, {"dataset_dst", "tank/clone"}})})),
            Json(true));
  Json c = ok("pool.dataset.get_instance", arr({"tank/clone"}));
  EXPECT_EQ(c.value("origin").value("value").asString(), "tank/src@s1");
  Reply r = client_->call("pool.dataset.promote", arr({"tank/src"}));
  expectCallError(r, EBADMSG, "Only cloned datasets can be promoted.");
  EXPECT_TRUE(ok("pool.dataset.promote", arr({"tank/clone"})).isNull());
  c = ok("pool.dataset.get_instance", arr({"tank/clone"}));
  EXPECT_EQ(c.value("origin").value("value").asString(), "");
  Json s = ok("pool.dataset.get_instance", arr({"tank/src"}));
  EXPECT_EQ(s.value("origin").value("value").asString(), "tank/clone@s1");
  // The source can now be deleted; the snapshot moved with the promotion.
  ok("pool.dataset.delete", arr({"tank/src"}));
  Json snaps = ok(snapNs() + ".query", arr({}));
  ASSERT_EQ(snaps.size(), 1u);
  EXPECT_EQ(snaps.at(0).value("name").asString(), "tank/clone@s1");
}

INSTANTIATE_TEST_SUITE_P(AllVersions, DatasetTest, ::testing::ValuesIn(allPersonalities()),
                         personalityTestName);

}  // namespace
}  // namespace tnascsi::sim::testing

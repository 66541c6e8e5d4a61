// The fake TrueNAS keeps the rules the controller relies on (so controller tests mean something).
#include <gtest/gtest.h>

#include "controller/truenas/version.h"
#include "test/fakes/truenas/fake_truenas_api.h"

namespace tnascsi::controller::truenas {
namespace {

DatasetCreateSpec zvol(const std::string& name, uint64_t size = 1ULL << 30) {
  DatasetCreateSpec spec;
  spec.name = name;
  spec.type = DatasetType::kVolume;
  spec.volsize = size;
  return spec;
}

TEST(FakeTrueNas, DatasetRules) {
  FakeTrueNasApi api;
  api.addDataset("tank/k8s");
  EXPECT_TRUE(api.createDataset(zvol("tank/k8s/a")).ok());
  EXPECT_EQ(api.createDataset(zvol("tank/k8s/a")).status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(api.createDataset(zvol("tank/missing/a")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(api.createDataset(zvol("tank/k8s/b", 1000)).status().code(),
            StatusCode::kInvalidArgument);
  DatasetUpdateSpec shrink;
  shrink.volsize = 1ULL << 20;
  EXPECT_EQ(api.updateDataset("tank/k8s/a", shrink).status().code(), StatusCode::kInvalidArgument);
  DatasetCreateSpec fs;
  fs.name = "tank/k8s/f";
  fs.refquota = 1ULL << 20;
  EXPECT_EQ(api.createDataset(fs).status().code(), StatusCode::kInvalidArgument)
      << "refquota >= 1 GiB";
  EXPECT_EQ(api.deleteDataset("tank/k8s/none", {}).code(), StatusCode::kNotFound);
}

// Root directory permissions: 0755 root until set, only on a filesystem dataset's mountpoint,
// mode within 0001-0777, ids kept when not given, forgotten with the dataset.
TEST(FakeTrueNas, RootPermissions) {
  FakeTrueNasApi api;
  api.addDataset("tank/k8s");
  ASSERT_TRUE(api.createDataset(zvol("tank/k8s/z")).ok());
  DatasetCreateSpec fs;
  fs.name = "tank/k8s/f";
  ASSERT_TRUE(api.createDataset(fs).ok());
  auto perm = api.pathPermissions("/mnt/tank/k8s/f");
  ASSERT_TRUE(perm.ok()) << perm.status();
  EXPECT_EQ(perm->mode, 0755u);
  PathPermissionsSpec spec;
  spec.path = "/mnt/tank/k8s/f";
  spec.mode = 0770;
  spec.gid = 33;
  ASSERT_TRUE(api.setPathPermissions(spec).ok());
  ASSERT_TRUE(api.setPathOwner({"/mnt/tank/k8s/f", int64_t{1000}, std::nullopt}).ok());
  perm = api.pathPermissions("/mnt/tank/k8s/f");
  EXPECT_EQ(perm->mode, 0770u);
  EXPECT_EQ(perm->uid, 1000);
  EXPECT_EQ(perm->gid, 33);
  spec.mode = 01777;
  EXPECT_EQ(api.setPathPermissions(spec).code(), StatusCode::kInvalidArgument);
  spec.path = "/mnt/tank/k8s/z";
  spec.mode = 0700;
  EXPECT_EQ(api.setPathPermissions(spec).code(), StatusCode::kNotFound) << "a zvol has no path";
  ASSERT_TRUE(api.deleteDataset("tank/k8s/f", {}).ok());
  ASSERT_TRUE(api.createDataset(fs).ok());
  EXPECT_EQ(api.pathPermissions("/mnt/tank/k8s/f")->mode, 0755u) << "a new dataset, a new root";
}

// The fake is 25.04.2, which has no 42-entry hosts/networks cap (25.04.2.6 reverted it; only 25.10
// enforces it): its capabilities agree with capabilitiesFor() and a 43-host share is taken.
TEST(FakeTrueNas, NfsHostsUncappedOn2504) {
  FakeTrueNasApi api;
  api.addDataset("tank/k8s");
  DatasetCreateSpec fs;
  fs.name = "tank/k8s/f";
  ASSERT_TRUE(api.createDataset(fs).ok());
  StatusOr<VersionInfo> v = api.versionInfo();
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->capabilities.maxNfsHostsPerShare,
            capabilitiesFor(v->version, v->productType).maxNfsHostsPerShare);
  NfsShareSpec share;
  share.path = "/mnt/tank/k8s/f";
  for (int i = 0; i < 43; ++i) share.hosts.push_back("host-" + std::to_string(i));
  StatusOr<NfsShare> made = api.createNfsShare(share);
  EXPECT_TRUE(made.ok()) << made.status();
}

TEST(FakeTrueNas, DeleteCascadesToExportsAndEmptiedTargets) {
  FakeTrueNasApi api;
  api.addDataset("tank/k8s");
  ASSERT_TRUE(api.createDataset(zvol("tank/k8s/a")).ok());
  auto group = api.createIscsiInitiatorGroup({{"iqn.2000-01.x:y"}, ""});
  auto target = api.createIscsiTarget(
      {"a", std::nullopt, {{1, group->id, IscsiAuthMethod::kNone, std::nullopt}}, {}});
  ASSERT_TRUE(target.ok()) << target.status();
  IscsiExtentCreateSpec extent;
  extent.name = "a";
  extent.disk = "zvol/tank/k8s/a";
  auto e = api.createIscsiExtent(extent);
  ASSERT_TRUE(e.ok());
  auto m = api.createIscsiTargetExtent({target->id, e->id, std::nullopt});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->lunid, 0);
  EXPECT_EQ(api.createIscsiTargetExtent({target->id, e->id, std::nullopt}).status().code(),
            StatusCode::kAlreadyExists);
  ASSERT_TRUE(api.deleteDataset("tank/k8s/a", {}).ok());
  EXPECT_EQ(api.extentCount(), 0u);
  EXPECT_EQ(api.mappingCount(), 0u);
  EXPECT_EQ(api.targetCount(), 0u);
  EXPECT_EQ(api.initiatorGroupCount(), 1u) << "groups are not cascaded (25.04+)";
}

TEST(FakeTrueNas, EmptyInitiatorGroupAdmitsEveryone) {
  FakeTrueNasApi api;
  auto open = api.createIscsiInitiatorGroup({{}, ""});
  ASSERT_TRUE(api.createIscsiTarget(
                     {"t", std::nullopt, {{1, open->id, IscsiAuthMethod::kNone, std::nullopt}}, {}})
                  .ok());
  EXPECT_TRUE(api.admits("t", "iqn.2000-01.any:thing"));
  ASSERT_TRUE(api.updateIscsiInitiatorGroup(open->id, {{"iqn.2000-01.only:me"}, ""}).ok());
  EXPECT_FALSE(api.admits("t", "iqn.2000-01.any:thing"));
  EXPECT_TRUE(api.admits("t", "iqn.2000-01.only:me"));
}

TEST(FakeTrueNas, ClonesBlockDeletesAndDeferredDestroy) {
  FakeTrueNasApi api;
  api.addDataset("tank/k8s");
  ASSERT_TRUE(api.createDataset(zvol("tank/k8s/a")).ok());
  ASSERT_TRUE(api.createSnapshot({"tank/k8s/a", "s", false, {}}).ok());
  EXPECT_EQ(api.deleteDataset("tank/k8s/a", {}).code(), StatusCode::kFailedPrecondition)
      << "snapshots";
  ASSERT_TRUE(api.cloneSnapshot({"tank/k8s/a@s", "tank/k8s/b", {}}).ok());
  DatasetDeleteOptions recursive;
  recursive.recursive = true;
  EXPECT_EQ(api.deleteDataset("tank/k8s/a", recursive).code(), StatusCode::kFailedPrecondition)
      << "clones";
  EXPECT_EQ(api.deleteSnapshot("tank/k8s/a@s", {}).code(), StatusCode::kFailedPrecondition);
  SnapshotDeleteOptions defer;
  defer.defer = true;
  EXPECT_TRUE(api.deleteSnapshot("tank/k8s/a@s", defer).ok());
  ASSERT_TRUE(api.deleteDataset("tank/k8s/b", {}).ok());
  EXPECT_EQ(api.snapshotCount(), 0u) << "deferred destroy completes with the last clone";
}

TEST(FakeTrueNas, FaultInjection) {
  FakeTrueNasApi api;
  api.addDataset("tank/k8s");
  api.failNthCall(2, absl::UnavailableError("boom"));
  EXPECT_TRUE(api.getDataset("tank/k8s").ok());
  EXPECT_EQ(api.getDataset("tank/k8s").status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(api.getDataset("tank/k8s").ok());
  api.failMethodOnce("createDataset", absl::UnavailableError("lost reply"), /*afterApply=*/true);
  EXPECT_EQ(api.createDataset(zvol("tank/k8s/a")).status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(api.getDataset("tank/k8s/a").ok()) << "applied although the reply was lost";
  EXPECT_EQ(api.calls("getDataset"), 4);
  EXPECT_EQ(api.mutatingCalls(), 1);
}

}  // namespace
}  // namespace tnascsi::controller::truenas

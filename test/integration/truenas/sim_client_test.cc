// TrueNasClient + WsConnection end to end against the in-process TrueNAS simulator (tnas_sim), on
// every personality: versions, datasets/zvols with user properties, snapshots and clones, the iSCSI
// provisioning sequence, NFS shares, services, and error codes. Built only when tnas_sim exists.
#include "test/integration/truenas/sim_client_fixture.h"

namespace tnascsi::controller::truenas {
namespace {

TEST_P(SimClientTest, VersionAndCapabilities) {
  StatusOr<VersionInfo> info = client_->versionInfo();
  ASSERT_TRUE(info.ok()) << info.status();
  const std::string p = GetParam();
  EXPECT_EQ(info->protocol,
            p == "25.04" || p == "25.10" ? WireProtocol::kJsonRpc : WireProtocol::kLegacyDdp);
  EXPECT_EQ(info->capabilities.poolSnapshotNamespace, p == "25.10");
  EXPECT_EQ(info->capabilities.nfsPathsList, p == "13.0");
  EXPECT_FALSE(info->capabilities.unknownNewerVersion);
}

TEST_P(SimClientTest, DatasetsSnapshotsClones) {
  DatasetCreateSpec parent;
  parent.name = "tank/k8s";
  ASSERT_TRUE(client_->createDataset(parent).ok());
  DatasetCreateSpec zvol;
  zvol.name = "tank/k8s/pvc-1";
  zvol.type = DatasetType::kVolume;
  zvol.volsize = 1 << 30;
  zvol.volblocksize = 16384;
  zvol.sparse = true;
  zvol.userProperties["csi:pvc"] = "pvc-1";
  StatusOr<Dataset> d = client_->createDataset(zvol);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->volsize, uint64_t{1} << 30);
  EXPECT_EQ(d->userProperties["csi:pvc"], "pvc-1");
  EXPECT_EQ(client_->createDataset(zvol).status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(client_->getDataset("tank/k8s/none").status().code(), StatusCode::kNotFound);

  StatusOr<std::vector<Dataset>> found =
      client_->findDatasetsByUserProperty("tank/k8s", "csi:pvc", "pvc-1");
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ(found->front().name, "tank/k8s/pvc-1");
  StatusOr<std::vector<Dataset>> children = client_->listChildDatasets("tank/k8s", {});
  ASSERT_TRUE(children.ok()) << children.status();
  EXPECT_EQ(children->size(), 1u);

  DatasetUpdateSpec grow;
  grow.volsize = uint64_t{2} << 30;
  StatusOr<Dataset> grown = client_->updateDataset("tank/k8s/pvc-1", grow);
  ASSERT_TRUE(grown.ok()) << grown.status();
  EXPECT_EQ(grown->volsize, uint64_t{2} << 30);
  DatasetUpdateSpec shrink;
  shrink.volsize = uint64_t{1} << 30;
  EXPECT_EQ(client_->updateDataset("tank/k8s/pvc-1", shrink).status().code(),
            StatusCode::kInvalidArgument);

  SnapshotCreateSpec snap;
  snap.dataset = "tank/k8s/pvc-1";
  snap.name = "s1";
  StatusOr<Snapshot> s = client_->createSnapshot(snap);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->id, "tank/k8s/pvc-1@s1");
  EXPECT_EQ(client_->createSnapshot(snap).status().code(), StatusCode::kAlreadyExists);
  StatusOr<std::vector<Snapshot>> snaps = client_->querySnapshots(
      QueryFilter::where("dataset", FilterOp::kEq, std::string("tank/k8s/pvc-1")), {});
  ASSERT_TRUE(snaps.ok()) << snaps.status();
  EXPECT_EQ(snaps->size(), 1u);

  SnapshotCloneSpec clone;
  clone.snapshot = "tank/k8s/pvc-1@s1";
  clone.datasetDst = "tank/k8s/pvc-2";
  ASSERT_TRUE(client_->cloneSnapshot(clone).ok());
  StatusOr<Dataset> cloned = client_->getDataset("tank/k8s/pvc-2");
  ASSERT_TRUE(cloned.ok()) << cloned.status();
  EXPECT_EQ(cloned->origin, "tank/k8s/pvc-1@s1");
  EXPECT_EQ(client_->deleteSnapshot("tank/k8s/pvc-1@s1", {}).code(),
            StatusCode::kFailedPrecondition);
  ASSERT_TRUE(client_->promoteDataset("tank/k8s/pvc-2").ok());
  EXPECT_EQ(client_->promoteDataset("tank/k8s").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(client_->deleteDataset("tank/k8s/none", {}).code(), StatusCode::kNotFound);
}

TEST_P(SimClientTest, IscsiProvisioningAndCascade) {
  DatasetCreateSpec zvol;
  zvol.name = "tank/pvc-3";
  zvol.type = DatasetType::kVolume;
  zvol.volsize = 1 << 30;
  ASSERT_TRUE(client_->createDataset(zvol).ok());
  StatusOr<std::vector<IscsiPortal>> portals = client_->listIscsiPortals();
  ASSERT_TRUE(portals.ok()) << portals.status();
  int64_t portal = 0;
  if (portals->empty()) {
    IscsiPortalCreateSpec ps;
    ps.listenIps = {"0.0.0.0"};
    StatusOr<IscsiPortal> created = client_->createIscsiPortal(ps);
    ASSERT_TRUE(created.ok()) << created.status();
    portal = created->id;
  } else {
    portal = portals->front().id;
  }
  IscsiTargetSpec ts;
  ts.name = "pvc-3";
  IscsiTargetGroup g;
  g.portal = portal;
  ts.groups.push_back(g);
  StatusOr<IscsiTarget> target = client_->createIscsiTarget(ts);
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(client_->createIscsiTarget(ts).status().code(), StatusCode::kAlreadyExists);
  IscsiExtentCreateSpec es;
  es.name = "pvc-3";
  es.disk = "zvol/tank/pvc-3";
  StatusOr<IscsiExtent> extent = client_->createIscsiExtent(es);
  ASSERT_TRUE(extent.ok()) << extent.status();
  EXPECT_FALSE(extent->serial.empty());
  EXPECT_FALSE(extent->naa.empty());
  IscsiTargetExtentSpec ms;
  ms.target = target->id;
  ms.extent = extent->id;
  StatusOr<IscsiTargetExtent> map = client_->createIscsiTargetExtent(ms);
  ASSERT_TRUE(map.ok()) << map.status();
  EXPECT_EQ(map->lunid, 0);
  StatusOr<IscsiExtent> byDisk = client_->findIscsiExtentByDisk("zvol/tank/pvc-3");
  ASSERT_TRUE(byDisk.ok()) << byDisk.status();
  EXPECT_EQ(byDisk->id, extent->id);
  StatusOr<IscsiTarget> byName = client_->findIscsiTargetByName("pvc-3");
  ASSERT_TRUE(byName.ok()) << byName.status();
  IscsiTargetDeleteOptions del;
  del.deleteExtents = true;
  ASSERT_TRUE(client_->deleteIscsiTarget(target->id, del).ok());
  EXPECT_EQ(client_->findIscsiExtentByName("pvc-3").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(client_->getIscsiTarget(target->id).status().code(), StatusCode::kNotFound);
}

TEST_P(SimClientTest, NfsShares) {
  DatasetCreateSpec fs;
  fs.name = "tank/nfs-1";
  ASSERT_TRUE(client_->createDataset(fs).ok());
  NfsShareSpec spec;
  spec.path = "/mnt/tank/nfs-1";
  spec.networks = {"10.0.0.0/24"};
  StatusOr<NfsShare> share = client_->createNfsShare(spec);
  ASSERT_TRUE(share.ok()) << share.status();
  StatusOr<NfsShare> found = client_->findNfsShareByPath("/mnt/tank/nfs-1");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->id, share->id);
  EXPECT_EQ(found->path, "/mnt/tank/nfs-1");
  ASSERT_TRUE(client_->deleteNfsShare(share->id).ok());
  EXPECT_EQ(client_->findNfsShareByPath("/mnt/tank/nfs-1").status().code(), StatusCode::kNotFound);
}

TEST_P(SimClientTest, Services) {
  EXPECT_TRUE(client_->ensureServiceRunning("iscsitarget").ok());
  StatusOr<ServiceState> s = client_->getService("iscsitarget");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->running);
  EXPECT_TRUE(client_->reloadService("iscsitarget").ok());
}

INSTANTIATE_TEST_SUITE_P(Personalities, SimClientTest,
                         ::testing::Values("25.04", "25.10", "24.10", "13.0"), simTestName);

}  // namespace
}  // namespace tnascsi::controller::truenas

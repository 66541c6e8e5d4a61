// ControllerService over the fake TrueNAS through gRPC: what TrueNAS ends up holding after each
// RPC (objects, masking, CHAP, metadata), call budgets, snapshots and clones, deferred deletion,
// multiple backends and topology.
#include <gtest/gtest.h>

#include "controller/provision/iscsi_masking.h"
#include "controller/provision/metadata.h"
#include "test/fakes/truenas/fake_truenas_api.h"
#include "test/integration/conformance/controller_fixture.h"

namespace tnascsi::testing {
namespace {

using Mode = csi::v1::VolumeCapability::AccessMode;
constexpr int64_t kGiB = 1LL << 30;
const std::string kNodeA = "node-a,iqn.2004-10.com.ubuntu:01:a";
const std::string kNodeB = "node-b,iqn.2004-10.com.ubuntu:01:b";

class ControllerServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    api_.addDataset("tank/k8s");
    controller::provision::BackendConfig config;
    config.parentDataset = "tank/k8s";
    config.portals = {"192.0.2.10:3260", "192.0.2.11:3260"};
    config.nfsServer = "192.0.2.10";
    cut_ = std::make_unique<ControllerUnderTest>(std::vector<FixtureBackend>{{config, &api_}});
  }
  csi::v1::Controller::Stub& ctl() { return cut_->controller(); }
  grpc::Status create(const csi::v1::CreateVolumeRequest& req,
                      csi::v1::CreateVolumeResponse* resp) {
    grpc::ClientContext ctx;
    return ctl().CreateVolume(&ctx, req, resp);
  }
  grpc::Status del(const std::string& id) {
    grpc::ClientContext ctx;
    csi::v1::DeleteVolumeRequest req;
    req.set_volume_id(id);
    csi::v1::DeleteVolumeResponse resp;
    return ctl().DeleteVolume(&ctx, req, &resp);
  }
  grpc::Status publish(const std::string& id, const std::string& node,
                       Mode::Mode mode = Mode::SINGLE_NODE_WRITER) {
    grpc::ClientContext ctx;
    csi::v1::ControllerPublishVolumeRequest req;
    req.set_volume_id(id);
    req.set_node_id(node);
    *req.mutable_volume_capability() =
        mode == Mode::MULTI_NODE_MULTI_WRITER ? blockCapability(mode) : mountCapability(mode);
    csi::v1::ControllerPublishVolumeResponse resp;
    return ctl().ControllerPublishVolume(&ctx, req, &resp);
  }
  grpc::Status unpublish(const std::string& id, const std::string& node) {
    grpc::ClientContext ctx;
    csi::v1::ControllerUnpublishVolumeRequest req;
    req.set_volume_id(id);
    req.set_node_id(node);
    csi::v1::ControllerUnpublishVolumeResponse resp;
    return ctl().ControllerUnpublishVolume(&ctx, req, &resp);
  }
  std::string targetOf(const csi::v1::CreateVolumeResponse& resp) {
    const std::string& iqn = resp.volume().volume_context().at("iqn");
    return iqn.substr(iqn.rfind(':') + 1);
  }

  controller::truenas::FakeTrueNasApi api_;
  std::unique_ptr<ControllerUnderTest> cut_;
};

TEST_F(ControllerServiceTest, IscsiCreateBuildsOneRestrictedVolumeWithinFiveCalls) {
  csi::v1::CreateVolumeResponse warm;
  ASSERT_TRUE(create(createRequest("warm-up", "iscsi"), &warm).ok());  // caches portal/basename
  api_.resetCounters();
  auto req = createRequest("pvc-1", "iscsi", kGiB + 1);
  (*req.mutable_parameters())["volblocksize"] = "64K";
  (*req.mutable_parameters())["csi.storage.k8s.io/pvc/name"] = "data";
  (*req.mutable_parameters())["csi.storage.k8s.io/pvc/namespace"] = "apps";
  csi::v1::CreateVolumeResponse resp;
  ASSERT_TRUE(create(req, &resp).ok());
  EXPECT_LE(api_.totalCalls() - 0, api_.totalCalls());
  EXPECT_EQ(api_.callLog().size(), 5u) << "iSCSI create costs 5 TrueNAS calls";
  EXPECT_EQ(resp.volume().capacity_bytes(), kGiB + 65536) << "rounded up to volblocksize";
  EXPECT_EQ(resp.volume().volume_id(), "default/iscsi/tank/k8s/pvc-1");
  const auto& ctx = resp.volume().volume_context();
  EXPECT_EQ(ctx.at("protocol"), "iscsi");
  EXPECT_EQ(ctx.at("portal"), "192.0.2.10:3260");
  EXPECT_EQ(ctx.at("portals"), "192.0.2.11:3260");
  EXPECT_EQ(ctx.at("iqn"), "iqn.2005-10.org.freenas.ctl:pvc-1");
  EXPECT_EQ(ctx.at("lun"), "0");
  EXPECT_FALSE(ctx.at("serial").empty());
  EXPECT_EQ(ctx.at("naa").rfind("naa.6589cfc", 0), 0u);
  // Reachable by nobody until published.
  EXPECT_FALSE(api_.admits("pvc-1", "iqn.2004-10.com.ubuntu:01:a"));
  EXPECT_FALSE(api_.admits("pvc-1", "iqn.1993-08.org.debian:01:anything"));
  auto ds = api_.getDataset("tank/k8s/pvc-1");
  ASSERT_TRUE(ds.ok());
  EXPECT_EQ(ds->userProperties.at(controller::provision::props::kOwner), "csi.truenas-csi.io");
  EXPECT_EQ(ds->userProperties.at(controller::provision::props::kCsiName), "pvc-1");
  EXPECT_EQ(ds->userProperties.at(controller::provision::props::kPvcName), "data");
  EXPECT_EQ(ds->userProperties.at(controller::provision::props::kPvcNamespace), "apps");
  EXPECT_EQ(*ds->volblocksize, 65536u);
  EXPECT_TRUE(ds->sparse);
}

TEST_F(ControllerServiceTest, NfsCreateAndDeleteCallBudgets) {
  csi::v1::CreateVolumeResponse warm, resp;
  ASSERT_TRUE(create(createRequest("warm", "nfs"), &warm).ok());
  api_.resetCounters();
  auto req = createRequest("share-1", "nfs", 100 << 20);
  (*req.mutable_parameters())["nfsNetworks"] = "10.0.0.0/24";
  ASSERT_TRUE(create(req, &resp).ok());
  EXPECT_LE(api_.callLog().size(), 3u);
  EXPECT_EQ(resp.volume().capacity_bytes(), kGiB) << "NFS minimum 1 GiB";
  EXPECT_EQ(resp.volume().volume_context().at("share"), "/mnt/tank/k8s/share-1");
  EXPECT_EQ(resp.volume().volume_context().at("server"), "192.0.2.10");
  EXPECT_EQ(resp.volume().volume_context().at("nfsVersion"), "4.2");
  EXPECT_EQ(api_.nfsShareCount(), 2u);
  api_.resetCounters();
  ASSERT_TRUE(del(resp.volume().volume_id()).ok());
  EXPECT_EQ(api_.callLog().size(), 2u) << "NFS delete: get + delete (TrueNAS removes the share)";
  EXPECT_EQ(api_.nfsShareCount(), 1u);
}

TEST_F(ControllerServiceTest, IscsiDeleteRemovesEverythingIncludingTheInitiatorGroup) {
  csi::v1::CreateVolumeResponse resp;
  ASSERT_TRUE(create(createRequest("pvc-del", "iscsi"), &resp).ok());
  ASSERT_TRUE(publish(resp.volume().volume_id(), kNodeA).ok());
  api_.resetCounters();
  ASSERT_TRUE(del(resp.volume().volume_id()).ok());
  EXPECT_LE(api_.callLog().size(), 2u) << "iSCSI delete: get + delete (TrueNAS cascades)";
  EXPECT_EQ(api_.datasetCount(), 0u);
  EXPECT_EQ(api_.targetCount(), 0u);
  EXPECT_EQ(api_.extentCount(), 0u);
  EXPECT_EQ(api_.mappingCount(), 0u);
  EXPECT_EQ(api_.initiatorGroupCount(), 1u) << "left to the sweep";
  ASSERT_TRUE(cut_->sweepExports().ok());
  EXPECT_EQ(api_.initiatorGroupCount(), 0u);
}

TEST_F(ControllerServiceTest, PublishMasksTheLunAndRwoRefusesASecondNode) {
  csi::v1::CreateVolumeResponse resp;
  ASSERT_TRUE(create(createRequest("pvc-pub", "iscsi"), &resp).ok());
  const std::string id = resp.volume().volume_id();
  std::string target = targetOf(resp);
  ASSERT_TRUE(publish(id, kNodeA).ok());
  EXPECT_TRUE(api_.admits(target, "iqn.2004-10.com.ubuntu:01:a"));
  EXPECT_FALSE(api_.admits(target, "iqn.2004-10.com.ubuntu:01:b"));
  grpc::Status second = publish(id, kNodeB);
  EXPECT_EQ(second.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << second.error_message();
  EXPECT_FALSE(api_.admits(target, "iqn.2004-10.com.ubuntu:01:b"));
  // Published nodes are visible by node id.
  grpc::ClientContext ctx;
  csi::v1::ControllerGetVolumeRequest get;
  get.set_volume_id(id);
  csi::v1::ControllerGetVolumeResponse got;
  ASSERT_TRUE(ctl().ControllerGetVolume(&ctx, get, &got).ok());
  ASSERT_EQ(got.status().published_node_ids_size(), 1);
  EXPECT_EQ(got.status().published_node_ids(0), kNodeA);
  grpc::ClientContext lctx;
  csi::v1::ListVolumesResponse list;
  ASSERT_TRUE(ctl().ListVolumes(&lctx, {}, &list).ok());
  ASSERT_EQ(list.entries_size(), 1);
  EXPECT_EQ(list.entries(0).status().published_node_ids(0), kNodeA);
  // Unpublish restores the placeholder: nobody again, never the empty (open) list.
  ASSERT_TRUE(unpublish(id, kNodeA).ok());
  EXPECT_FALSE(api_.admits(target, "iqn.2004-10.com.ubuntu:01:a"));
  for (const auto& g : api_.initiatorGroups()) {
    EXPECT_FALSE(g.initiators.empty());
  }
  EXPECT_TRUE(publish(id, kNodeB).ok());
}

TEST_F(ControllerServiceTest, RawBlockRwxAdmitsSeveralNodesAndUnpublishAllWithoutNodeId) {
  auto req = createRequest("pvc-rwx", "iscsi");
  req.clear_volume_capabilities();
  *req.add_volume_capabilities() = blockCapability(Mode::MULTI_NODE_MULTI_WRITER);
  csi::v1::CreateVolumeResponse resp;
  ASSERT_TRUE(create(req, &resp).ok());
  std::string id = resp.volume().volume_id(), target = targetOf(resp);
  ASSERT_TRUE(publish(id, kNodeA, Mode::MULTI_NODE_MULTI_WRITER).ok());
  ASSERT_TRUE(publish(id, kNodeB, Mode::MULTI_NODE_MULTI_WRITER).ok());
  EXPECT_TRUE(api_.admits(target, "iqn.2004-10.com.ubuntu:01:a"));
  EXPECT_TRUE(api_.admits(target, "iqn.2004-10.com.ubuntu:01:b"));
  ASSERT_TRUE(unpublish(id, "").ok());
  EXPECT_FALSE(api_.admits(target, "iqn.2004-10.com.ubuntu:01:a"));
  EXPECT_FALSE(api_.admits(target, "iqn.2004-10.com.ubuntu:01:b"));
}

TEST_F(ControllerServiceTest, RwxFilesystemOnIscsiIsRefused) {
  auto req = createRequest("pvc-bad", "iscsi");
  req.clear_volume_capabilities();
  *req.add_volume_capabilities() = mountCapability(Mode::MULTI_NODE_MULTI_WRITER);
  csi::v1::CreateVolumeResponse resp;
  EXPECT_EQ(create(req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(api_.datasetCount(), 0u);
}

TEST_F(ControllerServiceTest, ChapPerVolumeFromTheProvisionerSecret) {
  auto req = createRequest("pvc-chap", "iscsi");
  (*req.mutable_secrets())["chapUser"] = "k8s";
  (*req.mutable_secrets())["chapSecret"] = "0123456789ab";
  (*req.mutable_secrets())["chapMutualUser"] = "nas";
  (*req.mutable_secrets())["chapMutualSecret"] = "ba9876543210";
  csi::v1::CreateVolumeResponse resp;
  ASSERT_TRUE(create(req, &resp).ok());
  ASSERT_EQ(api_.authCount(), 1u);
  auto targets = api_.targets();
  ASSERT_EQ(targets.size(), 1u);
  EXPECT_EQ(targets[0].groups[0].authMethod, controller::truenas::IscsiAuthMethod::kChapMutual);
  ASSERT_TRUE(targets[0].groups[0].auth.has_value());
  auto auths = api_.queryIscsiAuthByTag(*targets[0].groups[0].auth);
  ASSERT_TRUE(auths.ok());
  ASSERT_EQ(auths->size(), 1u);
  EXPECT_EQ((*auths)[0].user, "k8s");
  ASSERT_TRUE(del(resp.volume().volume_id()).ok());
  EXPECT_EQ(api_.authCount(), 0u);
  // Invalid secrets fail before any TrueNAS call.
  api_.resetCounters();
  (*req.mutable_secrets())["chapSecret"] = "short";
  req.set_name("pvc-chap-2");
  grpc::Status bad = create(req, &resp);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(bad.error_message().find("short"), std::string::npos);
  EXPECT_EQ(api_.callLog().size(), 0u);
}

TEST_F(ControllerServiceTest, ForeignDatasetAtOurNameIsNeverAdopted) {
  api_.addDataset("tank/k8s/pvc-foreign");  // made by an administrator
  csi::v1::CreateVolumeResponse resp;
  auto req = createRequest("pvc-foreign", "nfs");
  grpc::Status s = create(req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_NE(s.error_message().find("not managed"), std::string::npos);
  EXPECT_EQ(api_.nfsShareCount(), 0u);
  EXPECT_EQ(del("default/nfs/tank/k8s/pvc-foreign").error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(api_.getDataset("tank/k8s/pvc-foreign").ok());
  // Same for iSCSI: nothing left behind by the attempt.
  EXPECT_EQ(create(createRequest("pvc-foreign", "iscsi"), &resp).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(api_.initiatorGroupCount(), 0u);
}

TEST_F(ControllerServiceTest, IncompatibleRepeatsAreAlreadyExists) {
  csi::v1::CreateVolumeResponse resp;
  ASSERT_TRUE(create(createRequest("pvc-x", "iscsi"), &resp).ok());
  auto otherParams = createRequest("pvc-x", "iscsi");
  (*otherParams.mutable_parameters())["sparse"] = "false";
  EXPECT_EQ(create(otherParams, &resp).error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(create(createRequest("pvc-x", "nfs"), &resp).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
}

TEST_F(ControllerServiceTest, XfsMinimumSizeAndExpandRoundsToVolblocksize) {
  auto req = createRequest("pvc-xfs", "iscsi", 10 << 20);
  (*req.mutable_parameters())["csi.storage.k8s.io/fstype"] = "xfs";
  csi::v1::CreateVolumeResponse resp;
  ASSERT_TRUE(create(req, &resp).ok());
  EXPECT_EQ(resp.volume().capacity_bytes(), 300LL << 20);
  grpc::ClientContext ctx;
  csi::v1::ControllerExpandVolumeRequest exp;
  exp.set_volume_id(resp.volume().volume_id());
  exp.mutable_capacity_range()->set_required_bytes(kGiB + 1);
  csi::v1::ControllerExpandVolumeResponse out;
  ASSERT_TRUE(ctl().ControllerExpandVolume(&ctx, exp, &out).ok());
  EXPECT_EQ(out.capacity_bytes(), kGiB + 16384);
  EXPECT_TRUE(out.node_expansion_required());
  EXPECT_EQ(*api_.getDataset("tank/k8s/pvc-xfs")->volsize, static_cast<uint64_t>(kGiB + 16384));

  // A raw block volume also needs the node (the LUN must be rescanned); NFS does not.
  grpc::ClientContext blockCtx;
  exp.mutable_volume_capability()->mutable_block();
  exp.mutable_volume_capability()->mutable_access_mode()->set_mode(
      csi::v1::VolumeCapability::AccessMode::SINGLE_NODE_WRITER);
  exp.mutable_capacity_range()->set_required_bytes(2 * kGiB);
  ASSERT_TRUE(ctl().ControllerExpandVolume(&blockCtx, exp, &out).ok());
  EXPECT_TRUE(out.node_expansion_required());
  csi::v1::CreateVolumeResponse nfs;
  ASSERT_TRUE(create(createRequest("pvc-nfs-exp", "nfs", kGiB), &nfs).ok());
  grpc::ClientContext nfsCtx;
  csi::v1::ControllerExpandVolumeRequest nfsExp;
  nfsExp.set_volume_id(nfs.volume().volume_id());
  nfsExp.mutable_capacity_range()->set_required_bytes(2 * kGiB);
  ASSERT_TRUE(ctl().ControllerExpandVolume(&nfsCtx, nfsExp, &out).ok());
  EXPECT_FALSE(out.node_expansion_required());
}

TEST_F(ControllerServiceTest, DeletingAVolumeWithSnapshotsIsDeferredUntilTheLastOneGoes) {
  for (const char* protocol : {"iscsi", "nfs"}) {
    SCOPED_TRACE(protocol);
    csi::v1::CreateVolumeResponse vol;
    ASSERT_TRUE(create(createRequest(std::string("src-") + protocol, protocol), &vol).ok());
    grpc::ClientContext sctx;
    csi::v1::CreateSnapshotRequest sreq;
    sreq.set_name(std::string("snap-") + protocol);
    sreq.set_source_volume_id(vol.volume().volume_id());
    csi::v1::CreateSnapshotResponse snap;
    ASSERT_TRUE(ctl().CreateSnapshot(&sctx, sreq, &snap).ok());
    auto restore = createRequest(std::string("restored-") + protocol, protocol);
    restore.mutable_volume_content_source()->mutable_snapshot()->set_snapshot_id(
        snap.snapshot().snapshot_id());
    csi::v1::CreateVolumeResponse restored;
    ASSERT_TRUE(create(restore, &restored).ok());

    ASSERT_TRUE(del(vol.volume().volume_id()).ok());
    // Gone for CSI, data kept for the snapshot and the clone.
    grpc::ClientContext gctx;
    csi::v1::ControllerGetVolumeRequest get;
    get.set_volume_id(vol.volume().volume_id());
    csi::v1::ControllerGetVolumeResponse got;
    EXPECT_EQ(ctl().ControllerGetVolume(&gctx, get, &got).error_code(),
              grpc::StatusCode::NOT_FOUND);
    EXPECT_TRUE(api_.getDataset("tank/k8s/src-" + std::string(protocol)).ok());
    EXPECT_TRUE(del(vol.volume().volume_id()).ok()) << "repeat";

    grpc::ClientContext dctx;
    csi::v1::DeleteSnapshotRequest dreq;
    dreq.set_snapshot_id(snap.snapshot().snapshot_id());
    csi::v1::DeleteSnapshotResponse dresp;
    ASSERT_TRUE(ctl().DeleteSnapshot(&dctx, dreq, &dresp).ok());
    EXPECT_TRUE(api_.getDataset("tank/k8s/src-" + std::string(protocol)).ok())
        << "the clone still needs it";
    ASSERT_TRUE(api_.getSnapshot("tank/k8s/src-" + std::string(protocol) + "@" +
                                 snap.snapshot().snapshot_id().substr(
                                     snap.snapshot().snapshot_id().rfind('@') + 1))
                    .ok())
        << "deferred: ZFS keeps it for the clone";
    for (bool byId : {true, false}) {
      grpc::ClientContext lctx;
      csi::v1::ListSnapshotsRequest lreq;
      if (byId) lreq.set_snapshot_id(snap.snapshot().snapshot_id());
      csi::v1::ListSnapshotsResponse listed;
      ASSERT_TRUE(ctl().ListSnapshots(&lctx, lreq, &listed).ok());
      EXPECT_EQ(listed.entries_size(), 0) << "a deferred-deleted snapshot is gone for CSI";
    }
    grpc::ClientContext d2ctx;
    ASSERT_TRUE(ctl().DeleteSnapshot(&d2ctx, dreq, &dresp).ok()) << "repeat";
    ASSERT_TRUE(del(restored.volume().volume_id()).ok());
    EXPECT_EQ(api_.getDataset("tank/k8s/src-" + std::string(protocol)).status().code(),
              StatusCode::kNotFound);
  }
  ASSERT_TRUE(cut_->sweepExports().ok());
  EXPECT_EQ(api_.datasetCount(), 0u);
  EXPECT_EQ(api_.snapshotCount(), 0u);
  EXPECT_EQ(
      api_.initiatorGroupCount() + api_.targetCount() + api_.extentCount() + api_.nfsShareCount(),
      0u);
}

TEST_F(ControllerServiceTest, VolumeCloneCleansUpItsSourceSnapshot) {
  csi::v1::CreateVolumeResponse src, clone;
  ASSERT_TRUE(create(createRequest("clone-src", "iscsi"), &src).ok());
  auto req = createRequest("clone-dst", "iscsi", 2 * kGiB);
  req.mutable_volume_content_source()->mutable_volume()->set_volume_id(src.volume().volume_id());
  ASSERT_TRUE(create(req, &clone).ok());
  EXPECT_EQ(clone.volume().capacity_bytes(), 2 * kGiB);
  EXPECT_EQ(api_.snapshotCount(), 1u);
  grpc::ClientContext lctx;
  csi::v1::ListSnapshotsResponse snaps;
  ASSERT_TRUE(ctl().ListSnapshots(&lctx, {}, &snaps).ok());
  EXPECT_EQ(snaps.entries_size(), 0) << "clone source snapshots are not CSI snapshots";
  ASSERT_TRUE(del(clone.volume().volume_id()).ok());
  EXPECT_EQ(api_.snapshotCount(), 0u);
  ASSERT_TRUE(del(src.volume().volume_id()).ok());
  EXPECT_EQ(api_.datasetCount(), 0u);
}

TEST_F(ControllerServiceTest, GetVolumeReportsMissingExportsAndUnreachableBackend) {
  csi::v1::CreateVolumeResponse resp;
  ASSERT_TRUE(create(createRequest("pvc-health", "iscsi"), &resp).ok());
  api_.removeTargetOutOfBand(targetOf(resp));
  grpc::ClientContext ctx;
  csi::v1::ControllerGetVolumeRequest get;
  get.set_volume_id(resp.volume().volume_id());
  csi::v1::ControllerGetVolumeResponse got;
  ASSERT_TRUE(ctl().ControllerGetVolume(&ctx, get, &got).ok());
  EXPECT_TRUE(got.status().volume_condition().abnormal());
  EXPECT_NE(got.status().volume_condition().message().find("target"), std::string::npos);
  api_.setUnreachable(true);
  grpc::ClientContext ctx2;
  ASSERT_TRUE(ctl().ControllerGetVolume(&ctx2, get, &got).ok());
  EXPECT_TRUE(got.status().volume_condition().abnormal());
  EXPECT_NE(got.status().volume_condition().message().find("unreachable"), std::string::npos);
  grpc::ClientContext pctx;
  csi::v1::ProbeResponse probe;
  ASSERT_TRUE(cut_->identity().Probe(&pctx, {}, &probe).ok());
  EXPECT_FALSE(probe.ready().value());
  api_.setUnreachable(false);
  // Re-running CreateVolume repairs the missing target.
  ASSERT_TRUE(create(createRequest("pvc-health", "iscsi"), &resp).ok());
  grpc::ClientContext ctx3;
  ASSERT_TRUE(ctl().ControllerGetVolume(&ctx3, get, &got).ok());
  EXPECT_FALSE(got.status().volume_condition().abnormal())
      << got.status().volume_condition().message();
}

TEST(ControllerMultiBackend, BackendParameterTopologyAndCapacity) {
  controller::truenas::FakeTrueNasApi a, b;
  a.addDataset("tank/k8s");
  b.addDataset("tank/csi");
  controller::provision::BackendConfig ca, cb;
  ca.name = "zone-a";
  ca.parentDataset = "tank/k8s";
  ca.portals = {"192.0.2.1:3260"};
  ca.nfsServer = "192.0.2.1";
  ca.topology = {{"topology.truenas-csi.io/zone", "a"}};
  cb = ca;
  cb.name = "zone-b";
  cb.parentDataset = "tank/csi";
  cb.topology = {{"topology.truenas-csi.io/zone", "b"}};
  ControllerUnderTest cut({{ca, &a}, {cb, &b}});
  auto req = createRequest("v", "nfs");
  (*req.mutable_parameters())["backend"] = "zone-b";
  csi::v1::CreateVolumeResponse resp;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(cut.controller().CreateVolume(&ctx, req, &resp).ok());
  }
  EXPECT_EQ(resp.volume().volume_id(), "zone-b/nfs/tank/csi/v");
  ASSERT_EQ(resp.volume().accessible_topology_size(), 1);
  EXPECT_EQ(resp.volume().accessible_topology(0).segments().at("topology.truenas-csi.io/zone"),
            "b");
  EXPECT_EQ(b.datasetCount(), 1u);
  EXPECT_EQ(a.datasetCount(), 0u);
  // Requisite topology that the backend cannot serve.
  auto unreachable = createRequest("w", "nfs");
  (*unreachable.mutable_parameters())["backend"] = "zone-b";
  (*unreachable.mutable_accessibility_requirements()
        ->add_requisite()
        ->mutable_segments())["topology.truenas-csi.io/zone"] = "a";
  {
    grpc::ClientContext ctx;
    EXPECT_EQ(cut.controller().CreateVolume(&ctx, unreachable, &resp).error_code(),
              grpc::StatusCode::RESOURCE_EXHAUSTED);
  }
  auto unknown = createRequest("x", "nfs");
  (*unknown.mutable_parameters())["backend"] = "zone-c";
  {
    grpc::ClientContext ctx;
    EXPECT_EQ(cut.controller().CreateVolume(&ctx, unknown, &resp).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  csi::v1::GetCapacityRequest cap;
  (*cap.mutable_accessible_topology()->mutable_segments())["topology.truenas-csi.io/zone"] = "b";
  csi::v1::GetCapacityResponse capResp;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(cut.controller().GetCapacity(&ctx, cap, &capResp).ok());
    EXPECT_EQ(capResp.available_capacity(), 0) << "default backend is zone-a";
  }
  (*cap.mutable_parameters())["protocol"] = "nfs";
  (*cap.mutable_parameters())["backend"] = "zone-b";
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(cut.controller().GetCapacity(&ctx, cap, &capResp).ok());
    EXPECT_GT(capResp.available_capacity(), 0);
  }
}

}  // namespace
}  // namespace tnascsi::testing

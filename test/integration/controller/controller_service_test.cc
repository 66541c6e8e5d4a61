// ControllerService through gRPC over the TrueNAS simulator in process (SimRpcTransport: the real
// TrueNasClient and wire codecs, no socket), on every personality: what TrueNAS ends up holding
// after each RPC (volblocksize rounding, PVC metadata, LUN masking with several nodes, CHAP
// refusals before any call, foreign datasets), expansion, deferred deletion, clones, volume
// condition with the backend cut off, and several backends with topology. The lifecycle, call
// budgets and CHAP objects over WebSocket are in controller_sim_test.cc.
#include <gtest/gtest.h>

#include "controller/provision/metadata.h"
#include "test/integration/controller/sim_fixture.h"

namespace tnascsi::testing {
namespace {

using Mode = csi::v1::VolumeCapability::AccessMode;
using sim::Json;
constexpr int64_t kGiB = kSimGiB;
const std::string kNodeA = "node-a,iqn.2004-10.com.ubuntu:01:a";
const std::string kNodeB = "node-b,iqn.2004-10.com.ubuntu:01:b";
const std::string kIqnA = "iqn.2004-10.com.ubuntu:01:a";
const std::string kIqnB = "iqn.2004-10.com.ubuntu:01:b";

Json arrayOf(Json item) {
  Json a = Json::array();
  a.push(std::move(item));
  return a;
}

class ControllerServiceTest : public ControllerSimTest {
 protected:
  SimBackend::Options backendOptions() const override {
    SimBackend::Options options = ControllerSimTest::backendOptions();
    options.link = SimBackend::Link::kInProcess;
    return options;
  }
  controller::provision::BackendConfig backendConfig() const override {
    controller::provision::BackendConfig config = ControllerSimTest::backendConfig();
    config.portals = {"192.0.2.10:3260", "192.0.2.11:3260"};
    return config;
  }
  static std::string targetOf(const csi::v1::CreateVolumeResponse& resp) {
    const std::string& iqn = resp.volume().volume_context().at("iqn");
    return iqn.substr(iqn.rfind(':') + 1);
  }
  // A dataset as the controller's TrueNasClient reads it (metadata decoded on every version).
  StatusOr<controller::truenas::Dataset> dataset(const std::string& name) {
    return sim_->api().getDataset(name);
  }
  grpc::Status expand(const csi::v1::ControllerExpandVolumeRequest& req,
                      csi::v1::ControllerExpandVolumeResponse* resp) {
    grpc::ClientContext ctx;
    return ctl().ControllerExpandVolume(&ctx, req, resp);
  }
  StatusOr<csi::v1::ControllerGetVolumeResponse> getVolume(const std::string& id) {
    grpc::ClientContext ctx;
    csi::v1::ControllerGetVolumeRequest req;
    req.set_volume_id(id);
    csi::v1::ControllerGetVolumeResponse resp;
    grpc::Status s = ctl().ControllerGetVolume(&ctx, req, &resp);
    if (!s.ok())
      return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
    return resp;
  }
};

TEST_P(ControllerServiceTest, IscsiCreateRoundsToVolblocksizeAndRecordsThePvc) {
  auto req = createRequest("pvc-1", "iscsi", kGiB + 1);
  (*req.mutable_parameters())["volblocksize"] = "64K";
  (*req.mutable_parameters())["csi.storage.k8s.io/pvc/name"] = "data";
  (*req.mutable_parameters())["csi.storage.k8s.io/pvc/namespace"] = "apps";
  csi::v1::CreateVolumeResponse resp;
  ASSERT_TRUE(create(req, &resp).ok());
  EXPECT_EQ(resp.volume().capacity_bytes(), kGiB + 65536) << "rounded up to volblocksize";
  EXPECT_EQ(resp.volume().volume_id(), "default/iscsi/tank/k8s/pvc-1");
  const auto& ctx = resp.volume().volume_context();
  EXPECT_EQ(ctx.at("protocol"), "iscsi");
  EXPECT_EQ(ctx.at("portal"), "192.0.2.10:3260");
  EXPECT_EQ(ctx.at("portals"), "192.0.2.11:3260");
  EXPECT_EQ(ctx.at("iqn"), "iqn.2005-10.org.freenas.ctl:pvc-1");
  EXPECT_EQ(ctx.at("lun"), "0");
  EXPECT_FALSE(ctx.at("serial").empty());
  EXPECT_EQ(ctx.at("naa").rfind("naa.6589cfc", 0), 0u) << ctx.at("naa");
  EXPECT_FALSE(sim_->admits("pvc-1", kIqnA)) << "reachable by nobody until published";
  EXPECT_FALSE(sim_->admits("pvc-1", "iqn.1993-08.org.debian:01:anything"));
  auto ds = dataset("tank/k8s/pvc-1");
  ASSERT_TRUE(ds.ok()) << ds.status();
  namespace props = controller::provision::props;
  EXPECT_EQ(ds->userProperties.at(props::kOwner), "csi.truenas-csi.io");
  EXPECT_EQ(ds->userProperties.at(props::kCsiName), "pvc-1");
  EXPECT_EQ(ds->userProperties.at(props::kPvcName), "data");
  EXPECT_EQ(ds->userProperties.at(props::kPvcNamespace), "apps");
  EXPECT_EQ(*ds->volblocksize, 65536u);
  EXPECT_TRUE(ds->sparse);
  EXPECT_EQ(sim_->find("datasets", "name", "tank/k8s/pvc-1").value("volsize").asInt(),
            kGiB + 65536);
}

TEST_P(ControllerServiceTest, NfsContextNamesServerShareAndVersion) {
  auto req = createRequest("share-1", "nfs", 100 << 20);
  (*req.mutable_parameters())["nfsNetworks"] = "10.0.0.0/24";
  csi::v1::CreateVolumeResponse resp;
  ASSERT_TRUE(create(req, &resp).ok());
  EXPECT_EQ(resp.volume().capacity_bytes(), kGiB) << "NFS minimum 1 GiB";
  EXPECT_EQ(resp.volume().volume_context().at("share"), "/mnt/tank/k8s/share-1");
  EXPECT_EQ(resp.volume().volume_context().at("server"), "192.0.2.10");
  EXPECT_EQ(resp.volume().volume_context().at("nfsVersion"), "4.2");
  Json share = sim_->records("nfs_shares").at(0);
  EXPECT_NE(share.dump().find("10.0.0.0/24"), std::string::npos) << share.dump();
  ASSERT_TRUE(del(resp.volume().volume_id()).ok());
  expectNothingLeft();
}

TEST_P(ControllerServiceTest, PublishMasksTheLunAndRwoRefusesASecondNode) {
  csi::v1::CreateVolumeResponse resp;
  ASSERT_TRUE(create(createRequest("pvc-pub", "iscsi"), &resp).ok());
  const std::string id = resp.volume().volume_id();
  const std::string target = targetOf(resp);
  ASSERT_TRUE(publish(id, kNodeA).ok());
  EXPECT_TRUE(sim_->admits(target, kIqnA));
  EXPECT_FALSE(sim_->admits(target, kIqnB));
  grpc::Status second = publish(id, kNodeB);
  EXPECT_EQ(second.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << second.error_message();
  EXPECT_FALSE(sim_->admits(target, kIqnB));
  auto got = getVolume(id);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->status().published_node_ids_size(), 1);
  EXPECT_EQ(got->status().published_node_ids(0), kNodeA);
  // Unpublish restores the placeholder: nobody again, never the empty (open) list.
  ASSERT_TRUE(unpublish(id, kNodeA).ok());
  EXPECT_FALSE(sim_->admits(target, kIqnA));
  for (const auto& g : sim_->records("initiators")) {
    EXPECT_GT(g.value("initiators").size(), 0u) << g.dump();
  }
  EXPECT_TRUE(publish(id, kNodeB).ok());
}

TEST_P(ControllerServiceTest, RawBlockRwxAdmitsSeveralNodesAndUnpublishAllWithoutNodeId) {
  auto req = createRequest("pvc-rwx", "iscsi");
  req.clear_volume_capabilities();
  *req.add_volume_capabilities() = blockCapability(Mode::MULTI_NODE_MULTI_WRITER);
  csi::v1::CreateVolumeResponse resp;
  ASSERT_TRUE(create(req, &resp).ok());
  const std::string id = resp.volume().volume_id(), target = targetOf(resp);
  const auto rwx = blockCapability(Mode::MULTI_NODE_MULTI_WRITER);
  ASSERT_TRUE(publish(id, kNodeA, rwx).ok());
  ASSERT_TRUE(publish(id, kNodeB, rwx).ok());
  EXPECT_TRUE(sim_->admits(target, kIqnA));
  EXPECT_TRUE(sim_->admits(target, kIqnB));
  ASSERT_TRUE(unpublish(id, "").ok());
  EXPECT_FALSE(sim_->admits(target, kIqnA));
  EXPECT_FALSE(sim_->admits(target, kIqnB));
}

TEST_P(ControllerServiceTest, RwxFilesystemOnIscsiIsRefusedBeforeAnyCall) {
  auto req = createRequest("pvc-bad", "iscsi");
  req.clear_volume_capabilities();
  *req.add_volume_capabilities() = mountCapability(Mode::MULTI_NODE_MULTI_WRITER);
  sim_->resetCalls();
  csi::v1::CreateVolumeResponse resp;
  EXPECT_EQ(create(req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(sim_->domainCalls(), 0);
  EXPECT_EQ(sim_->leftovers(), "");
}

TEST_P(ControllerServiceTest, InvalidChapSecretsFailBeforeAnyCallWithoutEchoingThem) {
  auto req = createRequest("pvc-chap", "iscsi");
  (*req.mutable_secrets())["chapUser"] = "k8s";
  (*req.mutable_secrets())["chapSecret"] = "short";
  sim_->resetCalls();
  csi::v1::CreateVolumeResponse resp;
  grpc::Status bad = create(req, &resp);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(bad.error_message().find("short"), std::string::npos) << bad.error_message();
  EXPECT_EQ(sim_->domainCalls(), 0);
  EXPECT_EQ(sim_->leftovers(), "");
}

TEST_P(ControllerServiceTest, ForeignDatasetAtOurNameIsNeverAdopted) {
  Json spec = Json::object();
  spec.set("name", "tank/k8s/pvc-foreign");  // made by an administrator
  sim_->call("pool.dataset.create", arrayOf(spec));
  csi::v1::CreateVolumeResponse resp;
  grpc::Status s = create(createRequest("pvc-foreign", "nfs"), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_NE(s.error_message().find("not managed"), std::string::npos) << s.error_message();
  EXPECT_EQ(sim_->count("nfs_shares"), 0u);
  EXPECT_EQ(del("default/nfs/tank/k8s/pvc-foreign").error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(dataset("tank/k8s/pvc-foreign").ok());
  // Same for iSCSI: nothing left behind by the attempt.
  EXPECT_EQ(create(createRequest("pvc-foreign", "iscsi"), &resp).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(sim_->count("initiators"), 0u);
  EXPECT_EQ(sim_->count("datasets"), 1u);
}

TEST_P(ControllerServiceTest, IncompatibleRepeatsAreAlreadyExists) {
  csi::v1::CreateVolumeResponse resp;
  ASSERT_TRUE(create(createRequest("pvc-x", "iscsi"), &resp).ok());
  auto otherParams = createRequest("pvc-x", "iscsi");
  (*otherParams.mutable_parameters())["sparse"] = "false";
  EXPECT_EQ(create(otherParams, &resp).error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(create(createRequest("pvc-x", "nfs"), &resp).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
}

TEST_P(ControllerServiceTest, ExpandRoundsToVolblocksizeAndOnlyBlockNeedsTheNode) {
  auto req = createRequest("pvc-xfs", "iscsi", 10 << 20);
  (*req.mutable_parameters())["csi.storage.k8s.io/fstype"] = "xfs";
  csi::v1::CreateVolumeResponse resp;
  ASSERT_TRUE(create(req, &resp).ok());
  EXPECT_EQ(resp.volume().capacity_bytes(), 300LL << 20) << "the XFS minimum";
  csi::v1::ControllerExpandVolumeRequest exp;
  exp.set_volume_id(resp.volume().volume_id());
  exp.mutable_capacity_range()->set_required_bytes(kGiB + 1);
  csi::v1::ControllerExpandVolumeResponse out;
  ASSERT_TRUE(expand(exp, &out).ok());
  EXPECT_EQ(out.capacity_bytes(), kGiB + 16384);
  EXPECT_TRUE(out.node_expansion_required());
  EXPECT_EQ(*dataset("tank/k8s/pvc-xfs")->volsize, static_cast<uint64_t>(kGiB + 16384));
  // A raw block volume also needs the node (the LUN must be rescanned); NFS does not.
  exp.mutable_volume_capability()->mutable_block();
  exp.mutable_volume_capability()->mutable_access_mode()->set_mode(Mode::SINGLE_NODE_WRITER);
  exp.mutable_capacity_range()->set_required_bytes(2 * kGiB);
  ASSERT_TRUE(expand(exp, &out).ok());
  EXPECT_TRUE(out.node_expansion_required());
  csi::v1::CreateVolumeResponse nfs;
  ASSERT_TRUE(create(createRequest("pvc-nfs-exp", "nfs", kGiB), &nfs).ok());
  csi::v1::ControllerExpandVolumeRequest nfsExp;
  nfsExp.set_volume_id(nfs.volume().volume_id());
  nfsExp.mutable_capacity_range()->set_required_bytes(2 * kGiB);
  ASSERT_TRUE(expand(nfsExp, &out).ok());
  EXPECT_FALSE(out.node_expansion_required());
  EXPECT_EQ(*dataset("tank/k8s/pvc-nfs-exp")->refquota, static_cast<uint64_t>(2 * kGiB));
}

TEST_P(ControllerServiceTest, DeletingAVolumeWithSnapshotsIsDeferredUntilTheLastOneGoes) {
  for (const std::string protocol : {"iscsi", "nfs"}) {
    SCOPED_TRACE(protocol);
    const std::string source = "tank/k8s/src-" + protocol;
    const std::string vol = createOk("src-" + protocol, protocol);
    csi::v1::CreateSnapshotResponse snap;
    ASSERT_TRUE(snapshot("snap-" + protocol, vol, &snap).ok());
    const std::string snapId = snap.snapshot().snapshot_id();
    auto restore = createRequest("restored-" + protocol, protocol);
    restore.mutable_volume_content_source()->mutable_snapshot()->set_snapshot_id(snapId);
    csi::v1::CreateVolumeResponse restored;
    ASSERT_TRUE(create(restore, &restored).ok());

    ASSERT_TRUE(del(vol).ok());
    // Gone for CSI, data kept for the snapshot and the clone.
    EXPECT_EQ(getVolume(vol).status().code(), StatusCode::kNotFound);
    EXPECT_TRUE(dataset(source).ok());
    EXPECT_TRUE(del(vol).ok()) << "repeat";

    ASSERT_TRUE(deleteSnapshot(snapId).ok());
    EXPECT_TRUE(dataset(source).ok()) << "the clone still needs it";
    EXPECT_EQ(sim_->count("snapshots"), 1u) << "deferred: ZFS keeps it for the clone";
    for (bool byId : {true, false}) {
      csi::v1::ListSnapshotsRequest lreq;
      if (byId) lreq.set_snapshot_id(snapId);
      EXPECT_EQ(listSnapshots(lreq).entries_size(), 0)
          << "a deferred-deleted snapshot is gone for CSI";
    }
    ASSERT_TRUE(deleteSnapshot(snapId).ok()) << "repeat";
    ASSERT_TRUE(del(restored.volume().volume_id()).ok());
    EXPECT_EQ(dataset(source).status().code(), StatusCode::kNotFound)
        << "the last holder went, so did the volume";
  }
  expectNothingLeft();
}

TEST_P(ControllerServiceTest, VolumeCloneCleansUpItsSourceSnapshot) {
  const std::string src = createOk("clone-src", "iscsi");
  auto req = createRequest("clone-dst", "iscsi", 2 * kGiB);
  req.mutable_volume_content_source()->mutable_volume()->set_volume_id(src);
  csi::v1::CreateVolumeResponse clone;
  ASSERT_TRUE(create(req, &clone).ok());
  EXPECT_EQ(clone.volume().capacity_bytes(), 2 * kGiB);
  EXPECT_EQ(sim_->count("snapshots"), 1u);
  EXPECT_EQ(listSnapshots({}).entries_size(), 0) << "clone source snapshots are not CSI snapshots";
  ASSERT_TRUE(del(clone.volume().volume_id()).ok());
  EXPECT_EQ(sim_->count("snapshots"), 0u);
  ASSERT_TRUE(del(src).ok());
  expectNothingLeft();
}

TEST_P(ControllerServiceTest, GetVolumeReportsMissingExportsAndAnUnreachableBackend) {
  csi::v1::CreateVolumeResponse resp;
  ASSERT_TRUE(create(createRequest("pvc-health", "iscsi"), &resp).ok());
  const std::string id = resp.volume().volume_id();
  // An administrator deletes the target by hand.
  sim_->call("iscsi.target.delete",
             arrayOf(sim_->find("targets", "name", targetOf(resp)).value("id")));
  auto got = getVolume(id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->status().volume_condition().abnormal());
  EXPECT_NE(got->status().volume_condition().message().find("target"), std::string::npos)
      << got->status().volume_condition().message();
  sim_->setReachable(false);
  got = getVolume(id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->status().volume_condition().abnormal());
  EXPECT_NE(got->status().volume_condition().message().find("unreachable"), std::string::npos)
      << got->status().volume_condition().message();
  grpc::ClientContext pctx;
  csi::v1::ProbeResponse probe;
  ASSERT_TRUE(cut_->identity().Probe(&pctx, {}, &probe).ok());
  EXPECT_FALSE(probe.ready().value());
  csi::v1::CreateVolumeResponse refused;
  EXPECT_EQ(create(createRequest("pvc-later", "nfs"), &refused).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  sim_->setReachable(true);
  // Re-running CreateVolume repairs the missing target.
  ASSERT_TRUE(create(createRequest("pvc-health", "iscsi"), &resp).ok());
  got = getVolume(id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE(got->status().volume_condition().abnormal())
      << got->status().volume_condition().message();
}

INSTANTIATE_TEST_SUITE_P(Personalities, ControllerServiceTest,
                         ::testing::Values("13.0", "24.10", "25.04", "25.10"), personalityName);

// Two backends (two simulators) behind one controller: the `backend` parameter, topology and
// capacity per backend.
TEST(ControllerMultiBackend, BackendParameterTopologyAndCapacity) {
  SimBackend::Options oa, ob;
  oa.link = ob.link = SimBackend::Link::kInProcess;
  ob.parent = "tank/csi";
  SimBackend a(oa), b(ob);
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
  ControllerUnderTest cut({{ca, &a.api()}, {cb, &b.api()}});
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
  EXPECT_EQ(b.count("datasets"), 1u);
  EXPECT_EQ(a.count("datasets"), 0u);
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

// NodeService over an in-process gRPC channel, wired to NodeVolumes and the fake host.
#include "agent/service/node_service.h"

#include <grpcpp/grpcpp.h>

#include "agent/service/node_id.h"
#include "agent/service/node_runtime.h"
#include "test/unit/agent/stage/stage_fixture.h"

namespace tnascsi::agent {
namespace {

using stage::testing::kAddr;
using stage::testing::kIqn;

class NodeServiceTest : public stage::testing::StageTest {
 protected:
  void SetUp() override { startService(true); }
  void TearDown() override { stopService(); }

  void startService(bool requireIscsi) {
    NodeServiceConfig cfg;
    cfg.nodeName = "worker-1";
    cfg.maxVolumesPerNode = 64;
    cfg.topology = {{"topology.truenas-csi.io/zone", "a"}};
    cfg.requireIscsi = requireIscsi;
    service_ = std::make_unique<NodeService>(cfg, *volumes_, host_.initiator);
    grpc::ServerBuilder builder;
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    stub_ = csi::v1::Node::NewStub(server_->InProcessChannel(grpc::ChannelArguments()));
  }
  void stopService() {
    if (server_) {
      server_->Shutdown();
      server_->Wait();
    }
    server_.reset();
  }

  csi::v1::NodeStageVolumeRequest stageReq(bool block = false) {
    csi::v1::NodeStageVolumeRequest r;
    auto s = iscsiRequest();
    r.set_volume_id(s.volumeId);
    r.set_staging_target_path(s.stagingPath);
    for (const auto& [k, v] : s.context) (*r.mutable_volume_context())[k] = v;
    auto* cap = r.mutable_volume_capability();
    if (block) {
      cap->mutable_block();
    } else {
      cap->mutable_mount()->set_fs_type("ext4");
      cap->mutable_mount()->add_mount_flags("noatime");
    }
    cap->mutable_access_mode()->set_mode(csi::v1::VolumeCapability::AccessMode::SINGLE_NODE_WRITER);
    return r;
  }
  csi::v1::NodePublishVolumeRequest publishReq(bool readonly = false) {
    csi::v1::NodePublishVolumeRequest r;
    r.set_volume_id("pvc-1");
    r.set_staging_target_path(staging());
    r.set_target_path(target());
    r.set_readonly(readonly);
    r.mutable_volume_capability()->mutable_mount()->set_fs_type("ext4");
    r.mutable_volume_capability()->mutable_access_mode()->set_mode(
        csi::v1::VolumeCapability::AccessMode::SINGLE_NODE_WRITER);
    return r;
  }

  std::unique_ptr<NodeService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<csi::v1::Node::Stub> stub_;
};

TEST_F(NodeServiceTest, FullLifecycle) {
  {
    grpc::ClientContext ctx;
    csi::v1::NodeStageVolumeResponse resp;
    auto st = stub_->NodeStageVolume(&ctx, stageReq(), &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  EXPECT_TRUE(host_.kernel.isMounted(staging()));
  EXPECT_EQ((*host_.mounter.findByTarget(staging()))->options, "noatime");
  {
    grpc::ClientContext ctx;
    csi::v1::NodePublishVolumeResponse resp;
    ASSERT_TRUE(stub_->NodePublishVolume(&ctx, publishReq(true), &resp).ok());
    EXPECT_TRUE((*host_.mounter.findByTarget(target()))->readOnly());
  }
  {
    grpc::ClientContext ctx;
    csi::v1::NodeGetVolumeStatsRequest req;
    req.set_volume_id("pvc-1");
    req.set_volume_path(target());
    csi::v1::NodeGetVolumeStatsResponse resp;
    ASSERT_TRUE(stub_->NodeGetVolumeStats(&ctx, req, &resp).ok());
    ASSERT_EQ(resp.usage_size(), 2);
    EXPECT_EQ(resp.usage(0).unit(), csi::v1::VolumeUsage::BYTES);
    EXPECT_EQ(resp.usage(0).total(), int64_t{1} << 30);
    EXPECT_EQ(resp.usage(1).unit(), csi::v1::VolumeUsage::INODES);
    EXPECT_FALSE(resp.volume_condition().abnormal());
  }
  {
    host_.kernel.lunOf(kIqn, 0).sizeBytes = 2ull << 30;
    grpc::ClientContext ctx;
    csi::v1::NodeExpandVolumeRequest req;
    req.set_volume_id("pvc-1");
    req.set_volume_path(target());
    csi::v1::NodeExpandVolumeResponse resp;
    ASSERT_TRUE(stub_->NodeExpandVolume(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.capacity_bytes(), int64_t{2} << 30);
  }
  {
    grpc::ClientContext ctx;
    csi::v1::NodeUnpublishVolumeRequest req;
    req.set_volume_id("pvc-1");
    req.set_target_path(target());
    csi::v1::NodeUnpublishVolumeResponse resp;
    ASSERT_TRUE(stub_->NodeUnpublishVolume(&ctx, req, &resp).ok());
  }
  {
    grpc::ClientContext ctx;
    csi::v1::NodeUnstageVolumeRequest req;
    req.set_volume_id("pvc-1");
    req.set_staging_target_path(staging());
    csi::v1::NodeUnstageVolumeResponse resp;
    ASSERT_TRUE(stub_->NodeUnstageVolume(&ctx, req, &resp).ok());
  }
  EXPECT_FALSE(host_.kernel.sessionFor(kIqn).has_value());
}

TEST_F(NodeServiceTest, ErrorsMapToGrpcCodes) {
  auto stageCode = [&](csi::v1::NodeStageVolumeRequest r) {
    grpc::ClientContext ctx;
    csi::v1::NodeStageVolumeResponse resp;
    return stub_->NodeStageVolume(&ctx, r, &resp).error_code();
  };
  auto r = stageReq();
  r.clear_volume_id();
  EXPECT_EQ(stageCode(r), grpc::StatusCode::INVALID_ARGUMENT);
  r = stageReq();
  r.clear_volume_capability();
  EXPECT_EQ(stageCode(r), grpc::StatusCode::INVALID_ARGUMENT);
  r = stageReq();
  r.mutable_volume_capability()->mutable_access_mode()->set_mode(
      csi::v1::VolumeCapability::AccessMode::MULTI_NODE_MULTI_WRITER);
  EXPECT_EQ(stageCode(r), grpc::StatusCode::INVALID_ARGUMENT);
  r = stageReq();
  r.set_staging_target_path("/etc");
  EXPECT_EQ(stageCode(r), grpc::StatusCode::INVALID_ARGUMENT);
  host_.kernel.lunOf(kIqn, 0).serial = "WRONG";
  EXPECT_EQ(stageCode(stageReq()), grpc::StatusCode::FAILED_PRECONDITION);
  host_.kernel.lunOf(kIqn, 0).serial = "SER-0";
  {
    auto token = inflight_->tryAcquire("pvc-1");
    EXPECT_EQ(stageCode(stageReq()), grpc::StatusCode::ABORTED);
  }
  grpc::ClientContext ctx;
  csi::v1::NodePublishVolumeResponse resp;
  EXPECT_EQ(stub_->NodePublishVolume(&ctx, publishReq(), &resp).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

// A 10 kB path (or option) must not come back whole: the status would exceed the client's
// metadata limit and the caller would see a transport error instead of INVALID_ARGUMENT.
TEST_F(NodeServiceTest, ErrorMessagesAreBounded) {
  std::string huge = kubelet_ + "/pods/" + std::string(10000, 'x');
  grpc::ClientContext c1;
  csi::v1::NodeUnpublishVolumeRequest unpub;
  unpub.set_volume_id("pvc-1");
  unpub.set_target_path(huge);
  csi::v1::NodeUnpublishVolumeResponse r1;
  auto st = stub_->NodeUnpublishVolume(&c1, unpub, &r1);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << st.error_message().size();
  EXPECT_LE(st.error_message().size(), 1100u);
  auto stage = stageReq();
  stage.mutable_volume_capability()->mutable_mount()->set_fs_type(std::string(10000, 'f'));
  grpc::ClientContext c2;
  csi::v1::NodeStageVolumeResponse r2;
  st = stub_->NodeStageVolume(&c2, stage, &r2);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_LE(st.error_message().size(), 1100u);
}

TEST_F(NodeServiceTest, PublishContextOverridesVolumeContext) {
  auto r = stageReq();
  (*r.mutable_volume_context())["lun"] = "5";
  (*r.mutable_publish_context())["lun"] = "0";
  grpc::ClientContext ctx;
  csi::v1::NodeStageVolumeResponse resp;
  ASSERT_TRUE(stub_->NodeStageVolume(&ctx, r, &resp).ok());
}

TEST_F(NodeServiceTest, BlockVolumeStatsReportSize) {
  grpc::ClientContext c1;
  csi::v1::NodeStageVolumeResponse r1;
  ASSERT_TRUE(stub_->NodeStageVolume(&c1, stageReq(true), &r1).ok());
  auto pub = publishReq();
  pub.mutable_volume_capability()->mutable_block();
  grpc::ClientContext c2;
  csi::v1::NodePublishVolumeResponse r2;
  ASSERT_TRUE(stub_->NodePublishVolume(&c2, pub, &r2).ok());
  grpc::ClientContext c3;
  csi::v1::NodeGetVolumeStatsRequest req;
  req.set_volume_id("pvc-1");
  req.set_volume_path(target());
  csi::v1::NodeGetVolumeStatsResponse resp;
  ASSERT_TRUE(stub_->NodeGetVolumeStats(&c3, req, &resp).ok());
  ASSERT_EQ(resp.usage_size(), 1);
  EXPECT_EQ(resp.usage(0).total(), int64_t{1} << 30);
  host_.kernel.dropSession(host_.kernel.sessionFor(kIqn)->sid);
  grpc::ClientContext c4;
  csi::v1::NodeGetVolumeStatsResponse sick;
  ASSERT_TRUE(stub_->NodeGetVolumeStats(&c4, req, &sick).ok());
  EXPECT_TRUE(sick.volume_condition().abnormal());
  EXPECT_EQ(sick.usage_size(), 0);
}

TEST_F(NodeServiceTest, Capabilities) {
  grpc::ClientContext ctx;
  csi::v1::NodeGetCapabilitiesResponse resp;
  ASSERT_TRUE(stub_->NodeGetCapabilities(&ctx, {}, &resp).ok());
  std::set<int> types;
  for (const auto& c : resp.capabilities()) types.insert(c.rpc().type());
  using Rpc = csi::v1::NodeServiceCapability::RPC;
  EXPECT_EQ(types,
            (std::set<int>{Rpc::STAGE_UNSTAGE_VOLUME, Rpc::GET_VOLUME_STATS, Rpc::EXPAND_VOLUME,
                           Rpc::VOLUME_CONDITION, Rpc::SINGLE_NODE_MULTI_WRITER}));
}

TEST_F(NodeServiceTest, GetInfoCarriesNodeNameIqnLimitAndTopology) {
  grpc::ClientContext ctx;
  csi::v1::NodeGetInfoResponse resp;
  ASSERT_TRUE(stub_->NodeGetInfo(&ctx, {}, &resp).ok());
  auto id = parseNodeId(resp.node_id());
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->nodeName, "worker-1");
  EXPECT_EQ(id->initiatorIqn, host_.kernel.initiatorIqn);
  EXPECT_EQ(resp.max_volumes_per_node(), 64);
  EXPECT_EQ(resp.accessible_topology().segments().at("topology.truenas-csi.io/zone"), "a");
}

TEST_F(NodeServiceTest, GetInfoWithoutIscsid) {
  host_.kernel.failures["initiatorName"] = absl::UnavailableError("iscsid not running");
  {
    grpc::ClientContext ctx;
    csi::v1::NodeGetInfoResponse resp;
    EXPECT_EQ(stub_->NodeGetInfo(&ctx, {}, &resp).error_code(), grpc::StatusCode::UNAVAILABLE);
  }
  stopService();
  startService(false);
  grpc::ClientContext ctx;
  csi::v1::NodeGetInfoResponse resp;
  ASSERT_TRUE(stub_->NodeGetInfo(&ctx, {}, &resp).ok());
  EXPECT_EQ(resp.node_id(), "worker-1,");
}

TEST_F(NodeServiceTest, RuntimeAssemblesAWorkingServiceAndHealsOnStart) {
  NodeRuntimeConfig cfg;
  cfg.kubeletDir = kubelet_;
  cfg.stateDir = root_ + "/runtime-state";
  cfg.healInterval = std::chrono::seconds(0);
  cfg.lunWaitTimeout = std::chrono::milliseconds(50);
  cfg.service.nodeName = "worker-2";
  auto runtime = NodeRuntime::create(cfg, host_.initiator, host_.blocks, host_.filesystems,
                                     host_.mounter, clock_);
  ASSERT_TRUE(runtime.ok()) << runtime.status();
  auto req = iscsiRequest();
  ASSERT_TRUE((*runtime)->volumes().stage(req).ok());
  host_.kernel.dropSession(host_.kernel.sessionFor(kIqn)->sid);
  (*runtime)->startHealing();  // the start-up pass logs in again
  EXPECT_TRUE(host_.kernel.sessionFor(kIqn).has_value());
  grpc::ServerBuilder builder;
  builder.RegisterService(&(*runtime)->service());
  auto server = builder.BuildAndStart();
  auto stub = csi::v1::Node::NewStub(server->InProcessChannel(grpc::ChannelArguments()));
  grpc::ClientContext ctx;
  csi::v1::NodeGetInfoResponse info;
  ASSERT_TRUE(stub->NodeGetInfo(&ctx, {}, &info).ok());
  EXPECT_EQ(parseNodeId(info.node_id())->nodeName, "worker-2");
  server->Shutdown();
  server->Wait();
  cfg.kubeletDir = "relative";
  EXPECT_FALSE(NodeRuntime::create(cfg, host_.initiator, host_.blocks, host_.filesystems,
                                   host_.mounter, clock_)
                   .ok());
}

TEST(NodeId, FormatAndParse) {
  auto s = formatNodeId({"worker-1.example", "iqn.2017-11.dev.talos:abc", ""});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, "worker-1.example,iqn.2017-11.dev.talos:abc");
  auto back = parseNodeId(*s);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, (NodeId{"worker-1.example", "iqn.2017-11.dev.talos:abc", ""}));
  EXPECT_EQ(parseNodeId("n,")->initiatorIqn, "");
  for (const std::string& bad : std::vector<std::string>{
           "noseparator", ",iqn.x:y", "Upper,iqn.x:y", "-a,iqn.x:y", "a,notiqn", "a,iqn.x:y,z",
           "a b,iqn.x:y", std::string(300, 'a') + ",iqn.x:y"}) {
    EXPECT_FALSE(parseNodeId(bad).ok()) << bad;
  }
  EXPECT_FALSE(formatNodeId({std::string(250, 'a'), "iqn.2017-11.dev.talos:abc", ""}).ok());
  EXPECT_FALSE(formatNodeId({"a", "iqn.x y", ""}).ok());
}

// --node-address: none, an address (canonicalised), or the source address of the route to one.
TEST(NodeId, ResolvesTheNodeAddressFlag) {
  EXPECT_EQ(*resolveNodeAddress(""), "");
  EXPECT_EQ(*resolveNodeAddress("2001:DB8::7"), "2001:db8::7");
  auto routed = resolveNodeAddress("route-to:127.0.0.1");
  ASSERT_TRUE(routed.ok()) << routed.status();
  EXPECT_EQ(*routed, "127.0.0.1") << "the kernel's source address towards the loopback";
  for (const char* bad : {"route-to:", "route-to:server.example", "eth0", "0.0.0.0"}) {
    EXPECT_FALSE(resolveNodeAddress(bad).ok()) << bad;
  }
}

// Version 2 appends the NFS client address; version 1 ids (no address) still parse.
TEST(NodeId, NfsAddressVersion2) {
  auto s = formatNodeId({"worker-1", "iqn.2017-11.dev.talos:abc", "10.0.0.5"});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*s, "worker-1,iqn.2017-11.dev.talos:abc,10.0.0.5");
  EXPECT_EQ(*parseNodeId(*s), (NodeId{"worker-1", "iqn.2017-11.dev.talos:abc", "10.0.0.5"}));
  EXPECT_EQ(*formatNodeId({"nfs-node", "", "fd00::5"}), "nfs-node,,fd00::5");
  EXPECT_EQ(parseNodeId("nfs-node,,fd00::5")->nfsAddress, "fd00::5");
  EXPECT_EQ(parseNodeId("old,iqn.2017-11.dev.talos:abc")->nfsAddress, "");
  EXPECT_EQ(*canonicalAddress("FD00:0::5"), "fd00::5");
  EXPECT_EQ(*canonicalAddress("127.0.0.1"), "127.0.0.1");
  for (const char* bad : {"", "0.0.0.0", "::", "10.0.0", "10.0.0.5/24", "host.example", "1.2.3.4 "})
    EXPECT_FALSE(canonicalAddress(bad).ok()) << bad;
  for (const char* bad : {"a,,FD00::5", "a,,", "a,,10.0.0.5,", "a,iqn.x:y,not-an-ip"})
    EXPECT_FALSE(parseNodeId(bad).ok()) << bad;
  EXPECT_FALSE(formatNodeId({"a", "", "0.0.0.0"}).ok());
  EXPECT_FALSE(formatNodeId({std::string(200, 'a'), "iqn.2017-11.dev.talos:" + std::string(30, 'b'),
                             "2001:db8:1111:2222:3333:4444:5555:6666"})
                   .ok())
      << "longer than 256 bytes";
}

}  // namespace
}  // namespace tnascsi::agent

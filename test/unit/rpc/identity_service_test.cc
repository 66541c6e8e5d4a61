// The Identity service over an in-process channel: plugin info, capabilities, Probe readiness.
#include "common/csi/identity_service.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>

#include "proto/csi.grpc.pb.h"

namespace tnascsi::common {
namespace {

class SwitchableReadiness : public ReadinessCheck {
 public:
  Status ready() override { return status; }
  Status status = absl::OkStatus();
};

class IdentityServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    IdentityConfig cfg;
    cfg.driverName = "csi.truenas-csi.io";
    cfg.version = "9.9.9";
    cfg.manifest = {{"component", "test"}};
    cfg.capabilities = {serviceCapability(csi::v1::PluginCapability::Service::CONTROLLER_SERVICE),
                        expansionCapability(csi::v1::PluginCapability::VolumeExpansion::ONLINE)};
    service_ = std::make_unique<IdentityService>(cfg, readiness_);
    grpc::ServerBuilder builder;
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    stub_ = csi::v1::Identity::NewStub(server_->InProcessChannel(grpc::ChannelArguments()));
  }
  void TearDown() override {
    server_->Shutdown();
    server_->Wait();
  }
  SwitchableReadiness readiness_;
  std::unique_ptr<IdentityService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<csi::v1::Identity::Stub> stub_;
};

TEST_F(IdentityServiceTest, PluginInfo) {
  grpc::ClientContext ctx;
  csi::v1::GetPluginInfoResponse resp;
  ASSERT_TRUE(stub_->GetPluginInfo(&ctx, {}, &resp).ok());
  EXPECT_EQ(resp.name(), "csi.truenas-csi.io");
  EXPECT_EQ(resp.vendor_version(), "9.9.9");
  EXPECT_EQ(resp.manifest().at("component"), "test");
}

TEST_F(IdentityServiceTest, CapabilitiesAreExactlyTheConfiguredOnes) {
  grpc::ClientContext ctx;
  csi::v1::GetPluginCapabilitiesResponse resp;
  ASSERT_TRUE(stub_->GetPluginCapabilities(&ctx, {}, &resp).ok());
  ASSERT_EQ(resp.capabilities_size(), 2);
  EXPECT_EQ(resp.capabilities(0).service().type(),
            csi::v1::PluginCapability::Service::CONTROLLER_SERVICE);
  EXPECT_EQ(resp.capabilities(1).volume_expansion().type(),
            csi::v1::PluginCapability::VolumeExpansion::ONLINE);
}

TEST_F(IdentityServiceTest, ProbeFollowsReadiness) {
  {
    grpc::ClientContext ctx;
    csi::v1::ProbeResponse resp;
    ASSERT_TRUE(stub_->Probe(&ctx, {}, &resp).ok());
    EXPECT_TRUE(resp.ready().value());
  }
  readiness_.status = absl::UnavailableError("backend down");
  {
    grpc::ClientContext ctx;
    csi::v1::ProbeResponse resp;
    ASSERT_TRUE(stub_->Probe(&ctx, {}, &resp).ok());
    EXPECT_TRUE(resp.has_ready());
    EXPECT_FALSE(resp.ready().value());
  }
}

TEST(DriverName, Validation) {
  EXPECT_TRUE(validateDriverName("csi.truenas-csi.io").ok());
  EXPECT_TRUE(validateDriverName("a").ok());
  for (const char* bad : {"", "-x", "x-", "Upper.case", "has space", "slash/y"}) {
    EXPECT_EQ(validateDriverName(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(validateDriverName(std::string(64, 'a')).ok());
}

}  // namespace
}  // namespace tnascsi::common

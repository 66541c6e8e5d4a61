// KubeletRegistration over a real unix socket in a temp dir, driven like kubelet's plugin watcher.
#include "agent/registration/kubelet_registration.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

namespace tnascsi::agent {
namespace {

class RegistrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tnas-reg-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::filesystem::create_directories(dir_ + "/plugins_registry");
    std::filesystem::create_directories(dir_ + "/plugins/csi.truenas-csi.io");
    csiSocket_ = dir_ + "/plugins/csi.truenas-csi.io/csi.sock";
    options_.registrationDir = dir_ + "/plugins_registry";
    options_.driverName = "csi.truenas-csi.io";
    options_.csiSocketPath = csiSocket_;
    options_.retryBackoff = std::chrono::milliseconds(20);
  }
  void TearDown() override {
    if (csiFd_ >= 0) ::close(csiFd_);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  void makeCsiSocket() {
    csiFd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", csiSocket_.c_str());
    ASSERT_EQ(::bind(csiFd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  }
  std::unique_ptr<pluginregistration::Registration::Stub> dial(const std::string& path) {
    auto channel = grpc::CreateChannel("unix://" + path, grpc::InsecureChannelCredentials());
    return pluginregistration::Registration::NewStub(channel);
  }
  static bool waitFor(const std::function<bool()>& cond) {
    for (int i = 0; i < 500; ++i) {
      if (cond()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return cond();
  }

  std::string dir_;
  std::string csiSocket_;
  int csiFd_ = -1;
  RegistrationOptions options_;
};

TEST_F(RegistrationTest, RefusesToStartBeforeTheCsiSocket) {
  KubeletRegistration reg(options_);
  EXPECT_EQ(reg.start().code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(std::filesystem::exists(reg.socketPath()));
}

TEST_F(RegistrationTest, RejectsABadDriverName) {
  makeCsiSocket();
  options_.driverName = "Bad Name!";
  KubeletRegistration reg(options_);
  EXPECT_EQ(reg.start().code(), StatusCode::kInvalidArgument);
}

TEST_F(RegistrationTest, ServesPluginInfoAndRemovesTheSocketOnStop) {
  makeCsiSocket();
  KubeletRegistration reg(options_);
  ASSERT_TRUE(reg.start().ok());
  EXPECT_EQ(reg.socketPath(), dir_ + "/plugins_registry/csi.truenas-csi.io-reg.sock");
  ASSERT_TRUE(std::filesystem::is_socket(reg.socketPath()));
  auto stub = dial(reg.socketPath());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  pluginregistration::PluginInfo info;
  ASSERT_TRUE(stub->GetInfo(&ctx, {}, &info).ok());
  EXPECT_EQ(info.type(), "CSIPlugin");
  EXPECT_EQ(info.name(), "csi.truenas-csi.io");
  EXPECT_EQ(info.endpoint(), csiSocket_);
  ASSERT_EQ(info.supported_versions_size(), 1);
  EXPECT_EQ(info.supported_versions(0), "1.0.0");

  grpc::ClientContext ctx2;
  pluginregistration::RegistrationStatus ok;
  ok.set_plugin_registered(true);
  pluginregistration::RegistrationStatusResponse resp;
  ASSERT_TRUE(stub->NotifyRegistrationStatus(&ctx2, ok, &resp).ok());
  EXPECT_TRUE(reg.registered());
  EXPECT_EQ(reg.recreations(), 0);
  reg.stop();
  EXPECT_FALSE(std::filesystem::exists(reg.socketPath()));
  reg.stop();  // idempotent
}

TEST_F(RegistrationTest, RecreatesTheSocketAfterAFailedRegistration) {
  makeCsiSocket();
  KubeletRegistration reg(options_);
  ASSERT_TRUE(reg.start().ok());
  {
    auto stub = dial(reg.socketPath());
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    pluginregistration::RegistrationStatus failed;
    failed.set_plugin_registered(false);
    failed.set_error("version mismatch");
    pluginregistration::RegistrationStatusResponse resp;
    ASSERT_TRUE(stub->NotifyRegistrationStatus(&ctx, failed, &resp).ok());
  }
  EXPECT_FALSE(reg.registered());
  ASSERT_TRUE(waitFor([&] { return reg.recreations() == 1; }));
  ASSERT_TRUE(std::filesystem::is_socket(reg.socketPath()));
  auto stub = dial(reg.socketPath());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  pluginregistration::PluginInfo info;
  ASSERT_TRUE(stub->GetInfo(&ctx, {}, &info).ok());
  EXPECT_EQ(info.name(), "csi.truenas-csi.io");
}

}  // namespace
}  // namespace tnascsi::agent

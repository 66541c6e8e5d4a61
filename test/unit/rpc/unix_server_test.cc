// UnixGrpcServer: endpoint parsing, stale-socket handling, socket mode, serving, shutdown.
#include "common/rpc/unix_server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "common/csi/identity_service.h"
#include "common/rpc/rpc_handler.h"
#include "proto/csi.grpc.pb.h"

namespace tnascsi::common {
namespace {

class AlwaysReady : public ReadinessCheck {
 public:
  Status ready() override { return absl::OkStatus(); }
};

class UnixServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tnas-srv-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST(ParseUnixEndpoint, AcceptsBothFormsAndRejectsOthers) {
  EXPECT_EQ(*parseUnixEndpoint("unix:///run/csi.sock"), "/run/csi.sock");
  EXPECT_EQ(*parseUnixEndpoint("unix:/run/csi.sock"), "/run/csi.sock");
  for (const char* bad :
       {"tcp://127.0.0.1:1", "/run/csi.sock", "unix://relative.sock", "unix://", "unix:"}) {
    EXPECT_EQ(parseUnixEndpoint(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(parseUnixEndpoint("unix://" + std::string(200, 'a')).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(UnixServerTest, RefusesToRemoveSomethingThatIsNotASocket) {
  std::string path = dir_ + "/csi.sock";
  std::ofstream(path) << "precious";
  Status s = removeStaleSocket(path);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(std::filesystem::exists(path));
  ServerOptions opts;
  opts.endpoint = "unix://" + path;
  EXPECT_FALSE(UnixGrpcServer::start(opts, {}).ok());
  EXPECT_TRUE(std::filesystem::exists(path));
}

TEST_F(UnixServerTest, ReplacesStaleSocketServesWithModeAndRemovesOnShutdown) {
  std::string path = dir_ + "/csi.sock";
  // Leave a stale socket behind, as a crashed process would.
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::close(fd);

  AlwaysReady ready;
  IdentityService identity({"csi.example.io", "1.2.3", {}, {}}, ready);
  ServerOptions opts;
  opts.endpoint = "unix://" + path;
  opts.socketMode = 0600;
  auto server = UnixGrpcServer::start(opts, {&identity});
  ASSERT_TRUE(server.ok()) << server.status();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto channel = grpc::CreateChannel("unix://" + path, grpc::InsecureChannelCredentials());
  auto stub = csi::v1::Identity::NewStub(channel);
  grpc::ClientContext ctx;
  csi::v1::GetPluginInfoResponse resp;
  ASSERT_TRUE(stub->GetPluginInfo(&ctx, {}, &resp).ok());
  EXPECT_EQ(resp.name(), "csi.example.io");

  (*server)->shutdown();
  EXPECT_FALSE(std::filesystem::exists(path));
  (*server)->shutdown();  // idempotent
}

class SlowReadiness : public ReadinessCheck {
 public:
  Status ready() override {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return absl::OkStatus();
  }
};

TEST_F(UnixServerTest, ShutdownDrainsARunningCallAndIsFastWhenIdle) {
  std::string path = dir_ + "/csi.sock";
  SlowReadiness slow;
  IdentityService identity({"csi.example.io", "1", {}, {}}, slow);
  ServerOptions opts;
  opts.endpoint = "unix://" + path;
  auto server = UnixGrpcServer::start(opts, {&identity});
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = csi::v1::Identity::NewStub(
      grpc::CreateChannel("unix://" + path, grpc::InsecureChannelCredentials()));
  grpc::Status callStatus;
  csi::v1::ProbeResponse resp;
  std::thread caller([&] {
    grpc::ClientContext ctx;
    callStatus = stub->Probe(&ctx, {}, &resp);
  });
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (runningRpcs() == 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_GT(runningRpcs(), 0);
  (*server)->shutdown(std::chrono::seconds(5));
  caller.join();
  EXPECT_TRUE(callStatus.ok()) << callStatus.error_message();  // drained, not cancelled
  EXPECT_TRUE(resp.ready().value());

  // Idle, with the client's connection still open: shutdown does not wait out the grace period.
  auto second = UnixGrpcServer::start(opts, {&identity});
  ASSERT_TRUE(second.ok());
  auto stub2 = csi::v1::Identity::NewStub(
      grpc::CreateChannel("unix://" + path, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  csi::v1::GetPluginInfoResponse info;
  ASSERT_TRUE(stub2->GetPluginInfo(&ctx, {}, &info).ok());
  // A long grace makes the regression unmistakable (a minute) without a tight timing assertion.
  auto t0 = std::chrono::steady_clock::now();
  (*second)->shutdown(std::chrono::seconds(60));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(30));
}

TEST_F(UnixServerTest, MissingDirectoryIsAClearError) {
  ServerOptions opts;
  opts.endpoint = "unix://" + dir_ + "/no/such/dir/csi.sock";
  auto server = UnixGrpcServer::start(opts, {});
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find("cannot listen"), std::string::npos);
}

}  // namespace
}  // namespace tnascsi::common

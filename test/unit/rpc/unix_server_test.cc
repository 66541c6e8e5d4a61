// UnixGrpcServer: endpoint parsing, stale-socket handling, socket mode, serving, shutdown.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/csi/identity_service.h"
#include "common/rpc/unix_server.h"
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
  for (const char* bad : {"tcp://127.0.0.1:1", "/run/csi.sock", "unix://relative.sock", "unix://",
                          "unix:"}) {
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

TEST_F(UnixServerTest, MissingDirectoryIsAClearError) {
  ServerOptions opts;
  opts.endpoint = "unix://" + dir_ + "/no/such/dir/csi.sock";
  auto server = UnixGrpcServer::start(opts, {});
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find("cannot listen"), std::string::npos);
}

}  // namespace
}  // namespace tnascsi::common

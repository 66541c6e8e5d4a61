// Starts each real binary on a temp unix socket, as external checks do (nothing but --endpoint),
// and calls Identity over the socket; checks --version, --help, bad flags and clean shutdown.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "proto/csi.grpc.pb.h"
#include "test/support/subprocess.h"

namespace tnascsi {
namespace {

using testing::Subprocess;
using testing::TempDir;

struct Binary {
  const char* path;
  const char* name;
  bool controller;
};

class BinaryTest : public ::testing::TestWithParam<Binary> {};

// The controller runs with exactly the given arguments. The node agent would otherwise keep its
// attach records in /var/lib/truenas-csi and register with the host's kubelet
// (/var/lib/kubelet/plugins_registry): tests point both at their temp dir instead.
std::vector<std::string> args(const Binary& b, const TempDir& dir, std::vector<std::string> given) {
  std::vector<std::string> out{b.path};
  out.insert(out.end(), given.begin(), given.end());
  if (!b.controller) {
    for (std::string extra :
         {"--kubelet-dir=" + dir.path() + "/kubelet", "--state-dir=" + dir.path() + "/state"}) {
      out.push_back(extra);
    }
  }
  return out;
}

TEST_P(BinaryTest, ServesIdentityWithOnlyAnEndpointAndShutsDownCleanly) {
  TempDir dir;
  std::string sock = dir.path() + "/csi.sock";
  Subprocess proc(args(GetParam(), dir, {"--endpoint", "unix://" + sock}));
  ASSERT_TRUE(testing::waitForPath(sock, std::chrono::seconds(20))) << proc.output();

  auto channel = grpc::CreateChannel("unix://" + sock, grpc::InsecureChannelCredentials());
  auto stub = csi::v1::Identity::NewStub(channel);
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    csi::v1::GetPluginInfoResponse resp;
    grpc::Status s = stub->GetPluginInfo(&ctx, {}, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.name(), "csi.truenas-csi.io");
    EXPECT_FALSE(resp.vendor_version().empty());
  }
  {
    grpc::ClientContext ctx;
    csi::v1::GetPluginCapabilitiesResponse resp;
    ASSERT_TRUE(stub->GetPluginCapabilities(&ctx, {}, &resp).ok());
    bool hasController = false;
    for (const auto& c : resp.capabilities()) {
      hasController |= c.service().type() == csi::v1::PluginCapability::Service::CONTROLLER_SERVICE;
    }
    EXPECT_EQ(hasController, GetParam().controller);
  }
  {
    grpc::ClientContext ctx;
    csi::v1::ProbeResponse resp;
    ASSERT_TRUE(stub->Probe(&ctx, {}, &resp).ok());
    ASSERT_TRUE(resp.has_ready());
    if (GetParam().controller) {
      EXPECT_FALSE(resp.ready().value());  // no backend configured
    }
  }
  if (!GetParam().controller) {
    // It registered itself with "kubelet" (the registration socket exists while it runs).
    EXPECT_TRUE(std::filesystem::exists(dir.path() +
                                        "/kubelet/plugins_registry/csi.truenas-csi.io-reg.sock"));
  }
  EXPECT_EQ(proc.stop(SIGTERM), 0) << proc.output();
  EXPECT_FALSE(std::filesystem::exists(sock));
  EXPECT_FALSE(std::filesystem::exists(dir.path() +
                                       "/kubelet/plugins_registry/csi.truenas-csi.io-reg.sock"));
  std::string out = proc.output();
  EXPECT_NE(out.find("level=info"), std::string::npos);
  EXPECT_NE(out.find("shutting down"), std::string::npos);
  if (GetParam().controller) {
    EXPECT_NE(out.find("no TrueNAS backend configured"), std::string::npos) << out;
  } else {
    EXPECT_NE(out.find("iscsid"), std::string::npos) << out;
  }
}

TEST_P(BinaryTest, VersionAndHelp) {
  Subprocess version({GetParam().path, "--version"});
  EXPECT_EQ(version.wait(), 0);
  EXPECT_NE(version.output().find(GetParam().name), std::string::npos);
  Subprocess help({GetParam().path, "--help"});
  EXPECT_EQ(help.wait(), 0);
  EXPECT_NE(help.output().find("--endpoint"), std::string::npos);
}

TEST_P(BinaryTest, BadInputExitsWithAClearMessage) {
  Subprocess unknown({GetParam().path, "--endpoint", "unix:///tmp/x.sock", "--bogus"});
  EXPECT_EQ(unknown.wait(), 2);
  EXPECT_NE(unknown.output().find("unknown flag --bogus"), std::string::npos) << unknown.output();
  Subprocess tcp({GetParam().path, "--endpoint", "tcp://127.0.0.1:1"});
  EXPECT_EQ(tcp.wait(), 2);
  EXPECT_NE(tcp.output().find("must be a unix socket"), std::string::npos) << tcp.output();
  Subprocess name({GetParam().path, "--endpoint", "unix:///tmp/x.sock", "--driver-name", "Bad"});
  EXPECT_EQ(name.wait(), 2);
  EXPECT_NE(name.output().find("driver name"), std::string::npos) << name.output();
}

TEST_P(BinaryTest, ConfigFileSuppliesFlagsAndUnknownKeysAreRefused) {
  TempDir dir;
  std::string sock = dir.path() + "/from-config.sock";
  std::string cfg = dir.path() + "/config.yaml";
  std::ofstream(cfg) << "# config\nendpoint: unix://" << sock
                     << "\ndriver-name: csi.example.org\nlog-level: debug\n";
  Subprocess proc(args(GetParam(), dir, {"--config", cfg}));
  ASSERT_TRUE(testing::waitForPath(sock, std::chrono::seconds(20))) << proc.output();
  auto stub = csi::v1::Identity::NewStub(
      grpc::CreateChannel("unix://" + sock, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  csi::v1::GetPluginInfoResponse resp;
  ASSERT_TRUE(stub->GetPluginInfo(&ctx, {}, &resp).ok());
  EXPECT_EQ(resp.name(), "csi.example.org");
  EXPECT_EQ(proc.stop(SIGINT), 0);

  std::ofstream(cfg) << "endpont: unix:///tmp/typo.sock\n";
  Subprocess bad({GetParam().path, "--config", cfg});
  EXPECT_EQ(bad.wait(), 2);
  EXPECT_NE(bad.output().find("unknown key 'endpont'"), std::string::npos) << bad.output();
}

INSTANTIATE_TEST_SUITE_P(Both, BinaryTest,
                         ::testing::Values(Binary{TNAS_CONTROLLER_BIN, "truenas-csi-controller",
                                                  true},
                                           Binary{TNAS_NODE_BIN, "truenas-csi-node", false}),
                         [](const ::testing::TestParamInfo<Binary>& p) {
                           return std::string(p.param.controller ? "Controller" : "Node");
                         });

}  // namespace
}  // namespace tnascsi

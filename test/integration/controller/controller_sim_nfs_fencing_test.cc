// The controller against the simulator on every personality with per-node NFS exports (StorageClass
// nfsExportPerNode, issue #16): the share admits nobody before the first publish, publish adds the
// node's address to its hosts, unpublish removes it (both idempotent), RWX volumes are exported to
// several nodes (also when the publishes race), an old node id without an address is refused
// clearly, and 25.10's 42-host cap is answered with RESOURCE_EXHAUSTED.
#include <atomic>
#include <thread>
#include <vector>

#include "test/integration/controller/sim_fixture.h"

namespace tnascsi::testing {
namespace {

using Mode = csi::v1::VolumeCapability::AccessMode;
using sim::Json;

class ControllerSimNfsFencing : public ControllerSimTest {
 protected:
  std::string createPerNode(const std::string& name) {
    auto req = createRequest(name, "nfs");
    (*req.mutable_parameters())["nfsExportPerNode"] = "true";
    csi::v1::CreateVolumeResponse resp;
    grpc::Status s = create(req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.volume().volume_id();
  }
  Json shareOf(const std::string& leaf) {
    for (const auto& s : sim_->records("nfs_shares")) {
      std::string path = s.value("paths").isArray() ? s.value("paths").asArray().at(0).asString()
                                                    : s.value("path").asString();
      if (path == "/mnt/tank/k8s/" + leaf) return s;
    }
    ADD_FAILURE() << "no share of " << leaf;
    return Json::object();
  }
  std::vector<std::string> hostsOf(const std::string& leaf) {
    std::vector<std::string> out;
    const Json share = shareOf(leaf);
    for (const auto& h : share.value("hosts").asArray()) out.push_back(h.asString());
    return out;
  }
  bool enabled(const std::string& leaf) { return shareOf(leaf).value("enabled").asBool(); }
  csi::v1::VolumeCondition condition(const std::string& id) {
    grpc::ClientContext ctx;
    csi::v1::ControllerGetVolumeRequest req;
    req.set_volume_id(id);
    csi::v1::ControllerGetVolumeResponse resp;
    grpc::Status s = ctl().ControllerGetVolume(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.status().volume_condition();
  }
  int64_t updates() {
    auto calls = sim_->callsByMethod();
    auto it = calls.find("sharing.nfs.update");
    return it == calls.end() ? 0 : it->second;
  }
};

const csi::v1::VolumeCapability kRwx = mountCapability(Mode::MULTI_NODE_MULTI_WRITER);

TEST_P(ControllerSimNfsFencing, NobodyBeforePublishThenExactlyThePublishedNodes) {
  std::string id = createPerNode("pvc-fence");
  // Empty hosts and networks would export to everybody: the share starts disabled.
  EXPECT_FALSE(enabled("pvc-fence"));
  EXPECT_TRUE(hostsOf("pvc-fence").empty());
  EXPECT_FALSE(condition(id).abnormal()) << condition(id).message();

  ASSERT_TRUE(publish(id, "node-a,,192.0.2.21", kRwx).ok());
  EXPECT_TRUE(enabled("pvc-fence"));
  EXPECT_EQ(hostsOf("pvc-fence"), std::vector<std::string>{"192.0.2.21"});
  sim_->resetCalls();
  ASSERT_TRUE(publish(id, "node-a,,192.0.2.21", kRwx).ok()) << "a repeated publish";
  EXPECT_EQ(updates(), 0) << calls();

  // RWX: a second node (a version 2 id with an IQN and an IPv6 address).
  grpc::Status s = publish(id, "node-b,iqn.2004-10.com.example:b,2001:db8::22", kRwx);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(hostsOf("pvc-fence"), (std::vector<std::string>{"192.0.2.21", "2001:db8::22"}));
  EXPECT_FALSE(condition(id).abnormal()) << condition(id).message();

  ASSERT_TRUE(unpublish(id, "node-a,,192.0.2.21").ok());
  EXPECT_EQ(hostsOf("pvc-fence"), std::vector<std::string>{"2001:db8::22"});
  EXPECT_TRUE(enabled("pvc-fence"));
  sim_->resetCalls();
  ASSERT_TRUE(unpublish(id, "node-a,,192.0.2.21").ok()) << "a repeated unpublish";
  EXPECT_EQ(updates(), 0) << calls();

  ASSERT_TRUE(unpublish(id, "node-b,iqn.2004-10.com.example:b,2001:db8::22").ok());
  EXPECT_TRUE(hostsOf("pvc-fence").empty());
  EXPECT_FALSE(enabled("pvc-fence")) << "the last unpublish closes the share again";
  EXPECT_FALSE(condition(id).abnormal()) << condition(id).message();
  ASSERT_TRUE(del(id).ok());
  expectNothingLeft();
}

TEST_P(ControllerSimNfsFencing, RefusalsNameTheProblem) {
  std::string id = createPerNode("pvc-refuse");
  // An old agent's id (version 1) carries no address.
  grpc::Status s = publish(id, "node-old,iqn.2004-10.com.example:old");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_NE(s.error_message().find("reports no NFS client address"), std::string::npos)
      << s.error_message();
  EXPECT_NE(s.error_message().find("--node-address"), std::string::npos) << s.error_message();
  EXPECT_FALSE(enabled("pvc-refuse"));
  // A single-node volume stays with its node.
  ASSERT_TRUE(publish(id, "node-a,,192.0.2.21").ok());
  s = publish(id, "node-b,,192.0.2.22");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_EQ(hostsOf("pvc-refuse"), std::vector<std::string>{"192.0.2.21"});
  // Static hosts or networks would admit clients no publish asked for.
  auto req = createRequest("pvc-static", "nfs");
  (*req.mutable_parameters())["nfsExportPerNode"] = "true";
  (*req.mutable_parameters())["nfsNetworks"] = "192.0.2.0/24";
  csi::v1::CreateVolumeResponse resp;
  EXPECT_EQ(create(req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // Without the parameter a share stays as it was: open to every client, nothing per node.
  std::string open = createOk("pvc-open", "nfs");
  ASSERT_TRUE(publish(open, "node-a,,192.0.2.21").ok());
  EXPECT_TRUE(enabled("pvc-open"));
  EXPECT_TRUE(hostsOf("pvc-open").empty());
}

TEST_P(ControllerSimNfsFencing, ConcurrentPublishesLoseNoNode) {
  std::string id = createPerNode("pvc-race");
  constexpr int kNodes = 6;
  std::vector<std::thread> threads;
  std::atomic<int> aborted{0};
  for (int i = 0; i < kNodes; ++i) {
    threads.emplace_back([&, i] {
      std::string node = "node-" + std::to_string(i) + ",,192.0.2." + std::to_string(30 + i);
      for (;;) {  // as the CO does: ABORTED (another call on the volume) is retried
        grpc::Status s = publish(id, node, kRwx);
        if (s.error_code() != grpc::StatusCode::ABORTED) {
          EXPECT_TRUE(s.ok()) << s.error_message();
          return;
        }
        ++aborted;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(hostsOf("pvc-race").size(), static_cast<size_t>(kNodes)) << aborted << " retries";
}

TEST_P(ControllerSimNfsFencing, HostCapPerVersion) {
  std::string id = createPerNode("pvc-cap");
  for (int i = 0; i < 42; ++i) {
    grpc::Status s = publish(id, "n" + std::to_string(i) + ",,10.0.0." + std::to_string(i), kRwx);
    ASSERT_TRUE(s.ok()) << i << ": " << s.error_message();
  }
  grpc::Status s = publish(id, "n42,,10.0.0.42", kRwx);
  if (std::string(GetParam()) == "25.10") {
    // TS-25.10.0 caps hosts at 42 (api/v25_04_0/nfs.py:22,99); the controller refuses before
    // TrueNAS would, naming the limit.
    EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
    EXPECT_NE(s.error_message().find("42"), std::string::npos) << s.error_message();
    EXPECT_EQ(hostsOf("pvc-cap").size(), 42u);
  } else {
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(hostsOf("pvc-cap").size(), 43u);
  }
}

INSTANTIATE_TEST_SUITE_P(Personalities, ControllerSimNfsFencing,
                         ::testing::Values("13.0", "24.10", "25.04", "25.10"), personalityName);

}  // namespace
}  // namespace tnascsi::testing

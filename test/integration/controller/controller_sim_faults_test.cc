// The controller against the TrueNAS simulator under failure and concurrency, on every
// personality: the connection dropped after N calls of a create, a TrueNAS error on one of the
// objects (the 3rd of 4 for iSCSI), controller restarts between calls, and concurrent same-name
// creates. Each case ends with exactly the volumes that should exist and, after the deletes and
// the leftover sweep, zero objects of ours in the simulator's model.
#include <atomic>
#include <set>
#include <thread>

#include "test/integration/controller/sim_fixture.h"

namespace tnascsi::testing {
namespace {

using sim::Json;

class ControllerSimFaults : public ControllerSimTest {
 protected:
  // Exactly `volumes` complete volumes of `protocol` exist (after the sweep).
  void expectVolumes(const std::string& protocol, size_t volumes) {
    ASSERT_TRUE(cut_->sweepExports().ok());
    EXPECT_EQ(sim_->count("datasets"), volumes);
    if (protocol == "iscsi") {
      EXPECT_EQ(sim_->count("initiators"), volumes);
      EXPECT_EQ(sim_->count("targets"), volumes);
      EXPECT_EQ(sim_->count("extents"), volumes);
      EXPECT_EQ(sim_->count("targetextents"), volumes);
    } else {
      EXPECT_EQ(sim_->count("nfs_shares"), volumes);
    }
  }
  // Retries a create until it is neither UNAVAILABLE nor ABORTED (at most 5 times).
  grpc::Status createRetrying(const csi::v1::CreateVolumeRequest& req,
                              csi::v1::CreateVolumeResponse* resp) {
    grpc::Status s;
    for (int i = 0; i < 5; ++i) {
      s = create(req, resp);
      if (s.error_code() != grpc::StatusCode::UNAVAILABLE &&
          s.error_code() != grpc::StatusCode::ABORTED) {
        break;
      }
    }
    return s;
  }
};

TEST_P(ControllerSimFaults, ConnectionDroppedMidCreateThenRetriedByARestartedController) {
  for (const char* protocol : {"iscsi", "nfs"}) {
    std::string p = protocol;
    std::string warm = createOk("warm-" + p, p);  // one-time setup out of the way
    int maxDrop = p == "iscsi" ? 5 : 2;           // the calls each create makes after setup
    for (int after = 0; after < maxDrop; ++after) {
      SCOPED_TRACE(p + " dropped after " + std::to_string(after) + " calls");
      std::string name = "drop-" + p + "-" + std::to_string(after);
      Json fault = Json::object();
      fault.set("drop_after_calls", after);
      ASSERT_TRUE(sim_->server().faults().set(fault).ok());
      csi::v1::CreateVolumeResponse first, second;
      grpc::Status failed = create(createRequest(name, p), &first);
      sim_->server().faults().clear();
      EXPECT_FALSE(failed.ok()) << "the drop hit the create";
      restartController();
      grpc::Status retried = createRetrying(createRequest(name, p), &second);
      ASSERT_TRUE(retried.ok()) << retried.error_message();
      expectVolumes(p, 2);
      ASSERT_TRUE(del(second.volume().volume_id()).ok());
      expectVolumes(p, 1);
    }
    ASSERT_TRUE(del(warm).ok());
    expectNothingLeft();
  }
}

TEST_P(ControllerSimFaults, ObjectCreateFailsThenRetryOrDeleteLeavesNoOrphans) {
  struct Case {
    const char* protocol;
    const char* method;
  };
  // iSCSI makes 4 objects after the dataset-independent group: group, zvol, target, extent
  // (+ LUN mapping); the target is the 3rd of the 4.
  for (const Case& c :
       {Case{"iscsi", "iscsi.target.create"}, Case{"iscsi", "iscsi.extent.create"},
        Case{"iscsi", "iscsi.targetextent.create"}, Case{"iscsi", "iscsi.initiator.create"},
        Case{"iscsi", "pool.dataset.create"}, Case{"nfs", "sharing.nfs.create"},
        Case{"nfs", "pool.dataset.create"}}) {
    for (bool retry : {true, false}) {
      SCOPED_TRACE(std::string(c.method) + (retry ? " then retry" : " then delete"));
      std::string name = std::string("fail-") + c.protocol + (retry ? "-r" : "-d");
      Json rule = Json::object();
      rule.set("method", c.method);
      rule.set("code", "CallError");
      rule.set("errno", 14);
      rule.set("message", "injected failure");
      rule.set("times", 1);
      Json fault = Json::object();
      fault.set("fail", rule);
      ASSERT_TRUE(sim_->server().faults().set(fault).ok());
      csi::v1::CreateVolumeResponse resp;
      grpc::Status failed = create(createRequest(name, c.protocol), &resp);
      sim_->server().faults().clear();
      ASSERT_FALSE(failed.ok());
      EXPECT_NE(failed.error_code(), grpc::StatusCode::UNKNOWN) << failed.error_message();
      if (retry) {
        ASSERT_TRUE(create(createRequest(name, c.protocol), &resp).ok());
        expectVolumes(c.protocol, 1);
        ASSERT_TRUE(del(resp.volume().volume_id()).ok());
      } else {
        ASSERT_TRUE(del(std::string("default/") + c.protocol + "/tank/k8s/" + name).ok());
      }
      expectNothingLeft();
    }
  }
}

TEST_P(ControllerSimFaults, ControllerRestartsBetweenEveryCall) {
  const std::string node = "node-a,iqn.2004-10.com.ubuntu:01:a";
  std::string id = createOk("pvc-restart", "iscsi");
  restartController();
  ASSERT_TRUE(publish(id, node).ok());
  restartController();
  csi::v1::CreateSnapshotResponse snap;
  ASSERT_TRUE(snapshot("snap-restart", id, &snap).ok());
  restartController();
  ASSERT_TRUE(unpublish(id, node).ok());
  restartController();
  ASSERT_TRUE(deleteSnapshot(snap.snapshot().snapshot_id()).ok());
  restartController();
  ASSERT_TRUE(del(id).ok());
  restartController();  // the pending sweep dies with the process; the next one collects
  expectNothingLeft();
}

TEST_P(ControllerSimFaults, ConcurrentSameNameCreatesMakeExactlyOneVolume) {
  constexpr int kThreads = 8;
  std::vector<std::thread> threads;
  std::vector<std::string> ids(kThreads);
  std::atomic<int> failures{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int attempt = 0; attempt < 200; ++attempt) {
        csi::v1::CreateVolumeResponse resp;
        grpc::Status s = create(createRequest("pvc-race", "iscsi"), &resp);
        if (s.ok()) {
          ids[i] = resp.volume().volume_id();
          return;
        }
        if (s.error_code() != grpc::StatusCode::ABORTED) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      ++failures;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 1u);
  expectVolumes("iscsi", 1);
  ASSERT_TRUE(del(ids[0]).ok());
  expectNothingLeft();
}

// A crash loop in process: parallel creates lose their TrueNAS connection after a varying number
// of calls (the controller "dies"), a new controller starts with the same names retried, and after
// deleting everything every object kind, initiator groups included, is back at baseline without a
// further delete or an explicit sweep (the new instance's start-up sweep collects them). The real
// kill -9 of a controller process is not covered here.
TEST_P(ControllerSimFaults, CrashLoopOfParallelCreatesEndsAtBaselineWithoutALaterDelete) {
  createOk("warm", "iscsi");  // one-time setup (service, portal) out of the way
  const std::vector<std::string> protocols = {"iscsi", "iscsi", "nfs", "iscsi", "nfs", "iscsi"};
  for (int round = 0; round < 4; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    Json fault = Json::object();
    fault.set("drop_after_calls", 2 + 3 * round);
    ASSERT_TRUE(sim_->server().faults().set(fault).ok());
    std::vector<std::thread> threads;
    for (size_t i = 0; i < protocols.size(); ++i) {
      threads.emplace_back([&, i] {
        csi::v1::CreateVolumeResponse resp;
        (void)create(createRequest("crash-" + std::to_string(i), protocols[i]), &resp);
      });
    }
    for (auto& t : threads) t.join();
    sim_->server().faults().clear();
    restartController(std::chrono::milliseconds(100), std::chrono::milliseconds(500));
  }
  std::vector<std::string> ids;
  for (size_t i = 0; i < protocols.size(); ++i) {
    csi::v1::CreateVolumeResponse resp;
    grpc::Status s =
        createRetrying(createRequest("crash-" + std::to_string(i), protocols[i]), &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ids.push_back(resp.volume().volume_id());
  }
  EXPECT_EQ(sim_->count("datasets"), protocols.size() + 1) << "no duplicate volumes";
  ids.push_back("default/iscsi/tank/k8s/warm");
  for (const auto& id : ids) ASSERT_TRUE(del(id).ok()) << id;
  // A restart with no delete after it: only the start-up sweep can collect what is left.
  restartController(std::chrono::milliseconds(100), std::chrono::milliseconds(500));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!sim_->leftovers().empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(sim_->leftovers(), "");
}

INSTANTIATE_TEST_SUITE_P(Personalities, ControllerSimFaults,
                         ::testing::Values("13.0", "24.10", "25.04", "25.10"), personalityName);

}  // namespace
}  // namespace tnascsi::testing

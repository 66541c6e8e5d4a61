// Failure cases of the ControllerService over the TrueNAS simulator in process (SimRpcTransport),
// on every personality: a create that fails at any of its TrueNAS calls, either refused before
// TrueNAS acted (EBUSY, which the client maps to UNAVAILABLE) or applied by TrueNAS with the
// answer lost (the simulator's drop_reply fault), then retried by a restarted controller or
// deleted, converges to exactly one complete volume or none; the initiator-group sweep after
// deletes (a failed sweep finished by the next, one sweep per burst, never the group of a create
// in flight); a backend cut off and restored. Drops after N calls and TrueNAS errors per object
// over WebSocket are in controller_sim_faults_test.cc.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "test/integration/controller/sim_fixture.h"

namespace tnascsi::testing {
namespace {

using sim::Json;
constexpr int kEbusy = 16;

struct Step {
  const char* protocol;
  const char* method;
  bool lostReply;  // TrueNAS applied the call and its answer was lost (else refused before)
  std::string describe() const {
    return std::string(protocol) + " " + method + (lostReply ? " answer lost" : " refused");
  }
};
// Every TrueNAS call of a create, in order: iSCSI makes the initiator group, the zvol, the
// target, the extent and the LUN mapping; NFS the dataset and the share.
const Step kSteps[] = {
    {"iscsi", "iscsi.initiator.create", false},    {"iscsi", "iscsi.initiator.create", true},
    {"iscsi", "pool.dataset.create", false},       {"iscsi", "pool.dataset.create", true},
    {"iscsi", "iscsi.target.create", false},       {"iscsi", "iscsi.target.create", true},
    {"iscsi", "iscsi.extent.create", false},       {"iscsi", "iscsi.extent.create", true},
    {"iscsi", "iscsi.targetextent.create", false}, {"iscsi", "iscsi.targetextent.create", true},
    {"nfs", "pool.dataset.create", false},         {"nfs", "pool.dataset.create", true},
    {"nfs", "sharing.nfs.create", false},          {"nfs", "sharing.nfs.create", true},
};

class ControllerFaults : public ControllerSimTest {
 protected:
  SimBackend::Options backendOptions() const override {
    SimBackend::Options options = ControllerSimTest::backendOptions();
    options.link = SimBackend::Link::kInProcess;
    return options;
  }
  void setFault(const std::string& key, Json value) {
    Json fault = Json::object();
    fault.set(key, std::move(value));
    ASSERT_TRUE(sim_->server().faults().set(fault).ok());
  }
  // The next call of `method` fails with EBUSY before TrueNAS acts on it.
  void refuseOnce(const std::string& method) {
    Json rule = Json::object();
    rule.set("method", method);
    rule.set("code", "CallError");
    rule.set("errno", kEbusy);
    rule.set("message", "injected: busy");
    setFault("fail", rule);
  }
  // The next call of `method` runs, then its connection drops without the answer.
  void loseReplyOnce(const std::string& method) {
    Json rule = Json::object();
    rule.set("method", method);
    setFault("drop_reply", rule);
  }
  // 24.10's target delete removes the initiator groups it leaves unused, so there is nothing for
  // the sweep to do there (ref:TS-24.10.2.4:src/middlewared/middlewared/plugins/iscsi_/
  // targets.py:365-374; the simulator models it).
  bool targetDeleteTakesTheGroup() const {
    return sim_->server().model().personality().cleansOrphanInitiators;
  }
  void expectExactlyOneVolume(const std::string& protocol) {
    ASSERT_TRUE(cut_->sweepExports().ok());  // earlier deletes' groups go with the sweep
    EXPECT_EQ(sim_->count("datasets"), 1u);
    if (protocol == "iscsi") {
      EXPECT_EQ(sim_->count("initiators"), 1u);
      EXPECT_EQ(sim_->count("targets"), 1u);
      EXPECT_EQ(sim_->count("extents"), 1u);
      EXPECT_EQ(sim_->count("targetextents"), 1u);
      for (const auto& g : sim_->records("initiators")) {
        EXPECT_GT(g.value("initiators").size(), 0u) << "never open";
      }
    } else {
      EXPECT_EQ(sim_->count("nfs_shares"), 1u);
    }
  }
  void injectFault(const Step& step) {
    if (step.lostReply) {
      loseReplyOnce(step.method);
    } else {
      refuseOnce(step.method);
    }
  }
  void createFailsThenRetryMakesOneVolume(const Step& step) {
    const std::string protocol = step.protocol;
    csi::v1::CreateVolumeResponse first, second, third;
    injectFault(step);
    grpc::Status failed = create(createRequest("pvc-f", protocol), &first);
    EXPECT_EQ(failed.error_code(), grpc::StatusCode::UNAVAILABLE) << failed.error_message();
    EXPECT_EQ(sim_->server().faults().toJson().value("fail").size() +
                  sim_->server().faults().toJson().value("drop_reply").size(),
              0u)
        << "the create never reached " << step.method;
    sim_->server().faults().clear();
    restartController();
    grpc::Status retried = create(createRequest("pvc-f", protocol), &second);
    ASSERT_TRUE(retried.ok()) << retried.error_message();
    expectExactlyOneVolume(protocol);
    ASSERT_TRUE(create(createRequest("pvc-f", protocol), &third).ok());
    EXPECT_EQ(third.volume().volume_id(), second.volume().volume_id());
    EXPECT_EQ(contextOf(third.volume()), contextOf(second.volume()));
    expectExactlyOneVolume(protocol);
    ASSERT_TRUE(del(second.volume().volume_id()).ok());
    expectNothingLeft();
  }
  void createFailsThenDeleteLeavesNothing(const Step& step) {
    const std::string protocol = step.protocol;
    csi::v1::CreateVolumeResponse resp;
    injectFault(step);
    ASSERT_FALSE(create(createRequest("pvc-g", protocol), &resp).ok());
    sim_->server().faults().clear();
    ASSERT_TRUE(del("default/" + protocol + "/tank/k8s/pvc-g").ok());
    expectNothingLeft();
  }
};

TEST_P(ControllerFaults, CreateFailingAtAnyStepThenRetriedByARestartedControllerMakesOneVolume) {
  for (const Step& step : kSteps) {
    SCOPED_TRACE(step.describe());
    start(backendOptions());  // a fresh simulator per step
    createFailsThenRetryMakesOneVolume(step);
    if (HasFatalFailure()) return;
  }
}

TEST_P(ControllerFaults, CreateFailingAtAnyStepThenDeletedLeavesNothing) {
  for (const Step& step : kSteps) {
    SCOPED_TRACE(step.describe());
    start(backendOptions());
    createFailsThenDeleteLeavesNothing(step);
    if (HasFatalFailure()) return;
  }
}

TEST_P(ControllerFaults, DeleteLeavesTheGroupToTheSweepAndAFailedSweepIsFinishedByTheNext) {
  if (targetDeleteTakesTheGroup()) GTEST_SKIP() << "the target delete removes the group";
  const std::string id = createOk("pvc-d", "iscsi");
  sim_->resetCalls();
  ASSERT_TRUE(del(id).ok());
  EXPECT_LE(sim_->domainCalls(), 2) << "iSCSI delete: get + delete (TrueNAS cascades)";
  EXPECT_EQ(sim_->count("datasets"), 0u);
  EXPECT_EQ(sim_->count("targets"), 0u);
  EXPECT_EQ(sim_->count("initiators"), 1u) << "left to the sweep";
  refuseOnce("iscsi.initiator.delete");
  EXPECT_FALSE(cut_->sweepExports().ok());
  EXPECT_EQ(sim_->count("initiators"), 1u);
  restartController();
  ASSERT_TRUE(del(id).ok()) << "repeat";
  expectNothingLeft();
}

TEST_P(ControllerFaults, ABurstOfDeletesIsSweptOnceAfterTheDebounce) {
  if (targetDeleteTakesTheGroup()) GTEST_SKIP() << "the target delete removes the group";
  restartController(std::chrono::milliseconds(100));
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(createOk("pvc-burst-" + std::to_string(i), "iscsi"));
  sim_->resetCalls();
  for (const auto& id : ids) ASSERT_TRUE(del(id).ok());
  EXPECT_EQ(sim_->count("initiators"), 4u) << "not swept during the burst";
  for (int i = 0; i < 300 && sim_->count("initiators") > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(sim_->count("initiators"), 0u) << "swept after the debounce";
  EXPECT_EQ(sim_->callsByMethod()["iscsi.initiator.query"], 1) << "one sweep for the burst";
  EXPECT_EQ(sim_->callsByMethod()["iscsi.initiator.delete"], 4);
}

TEST_P(ControllerFaults, ASweepNeverRemovesTheGroupOfACreateInFlight) {
  createOk("warm", "iscsi");  // setup out of the way
  Json latency(40);
  setFault("latency_ms", latency);
  csi::v1::CreateVolumeResponse resp;
  grpc::Status created;
  std::thread creator([&] { created = create(createRequest("pvc-inflight", "iscsi"), &resp); });
  // Wait until the group exists (the target does not yet), then sweep.
  for (int i = 0; i < 1000 && sim_->count("initiators") < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(sim_->count("targets"), 1u) << "sweeping before the new target exists";
  ASSERT_TRUE(cut_->sweepExports().ok());
  creator.join();
  ASSERT_TRUE(created.ok()) << created.error_message();
  sim_->server().faults().clear();
  EXPECT_EQ(sim_->count("initiators"), 2u);
  grpc::ClientContext ctx;
  csi::v1::ControllerGetVolumeRequest get;
  get.set_volume_id(resp.volume().volume_id());
  csi::v1::ControllerGetVolumeResponse got;
  ASSERT_TRUE(ctl().ControllerGetVolume(&ctx, get, &got).ok());
  EXPECT_FALSE(got.status().volume_condition().abnormal())
      << got.status().volume_condition().message();
}

TEST_P(ControllerFaults, UnreachableBackendFailsUnavailableThenRecovers) {
  csi::v1::CreateVolumeResponse resp;
  sim_->setReachable(false);
  grpc::Status s = create(createRequest("pvc-u", "nfs"), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_EQ(sim_->count("datasets"), 0u);
  sim_->setReachable(true);
  ASSERT_TRUE(create(createRequest("pvc-u", "nfs"), &resp).ok());
  expectExactlyOneVolume("nfs");
}

INSTANTIATE_TEST_SUITE_P(Personalities, ControllerFaults,
                         ::testing::Values("13.0", "24.10", "25.04", "25.10"), personalityName);

}  // namespace
}  // namespace tnascsi::testing

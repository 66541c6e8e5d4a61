// Failure and concurrency behaviour of the ControllerService over the fake TrueNAS: a create or
// delete that fails at any step (before or after TrueNAS applied it), retried, possibly by a
// restarted controller, converges to exactly one complete volume (or none) with zero orphans;
// concurrent same-name creates make exactly one volume.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "test/fakes/truenas/fake_truenas_api.h"
#include "test/integration/conformance/controller_fixture.h"

namespace tnascsi::testing {
namespace {

struct Step {
  const char* protocol;
  const char* method;
  bool afterApply;
};

std::string stepName(const ::testing::TestParamInfo<Step>& info) {
  return std::string(info.param.protocol) + "_" + info.param.method +
         (info.param.afterApply ? "_lostReply" : "");
}

class FaultTest : public ::testing::TestWithParam<Step> {
 protected:
  void SetUp() override {
    api_.addDataset("tank/k8s");
    cut_ = std::make_unique<ControllerUnderTest>(std::vector<FixtureBackend>{{config(), &api_}});
  }
  static controller::provision::BackendConfig config() {
    controller::provision::BackendConfig config;
    config.parentDataset = "tank/k8s";
    config.portals = {"192.0.2.10:3260"};
    config.nfsServer = "192.0.2.10";
    return config;
  }
  grpc::Status create(const std::string& name, const std::string& protocol,
                      csi::v1::CreateVolumeResponse* resp) {
    grpc::ClientContext ctx;
    return cut_->controller().CreateVolume(&ctx, createRequest(name, protocol), resp);
  }
  grpc::Status del(const std::string& id) {
    grpc::ClientContext ctx;
    csi::v1::DeleteVolumeRequest req;
    req.set_volume_id(id);
    csi::v1::DeleteVolumeResponse resp;
    return cut_->controller().DeleteVolume(&ctx, req, &resp);
  }
  void expectExactlyOneVolume(const std::string& protocol) {
    ASSERT_TRUE(cut_->sweepExports().ok());  // earlier deletes' groups go with the sweep
    EXPECT_EQ(api_.datasetCount(), 1u);
    if (protocol == "iscsi") {
      EXPECT_EQ(api_.initiatorGroupCount(), 1u);
      EXPECT_EQ(api_.targetCount(), 1u);
      EXPECT_EQ(api_.extentCount(), 1u);
      EXPECT_EQ(api_.mappingCount(), 1u);
      for (const auto& g : api_.initiatorGroups())
        EXPECT_FALSE(g.initiators.empty()) << "never open";
    } else {
      EXPECT_EQ(api_.nfsShareCount(), 1u);
    }
  }
  void expectNothingLeft() {
    ASSERT_TRUE(cut_->sweepExports().ok());
    EXPECT_EQ(api_.datasetCount(), 0u);
    EXPECT_EQ(api_.initiatorGroupCount(), 0u);
    EXPECT_EQ(api_.targetCount(), 0u);
    EXPECT_EQ(api_.extentCount(), 0u);
    EXPECT_EQ(api_.mappingCount(), 0u);
    EXPECT_EQ(api_.nfsShareCount(), 0u);
    EXPECT_EQ(api_.authCount(), 0u);
  }

  controller::truenas::FakeTrueNasApi api_;
  std::unique_ptr<ControllerUnderTest> cut_;
};

TEST_P(FaultTest, CreateFailingAtAStepThenRetriedByARestartedControllerMakesOneCompleteVolume) {
  const Step& step = GetParam();
  csi::v1::CreateVolumeResponse first, second, third;
  api_.failMethodOnce(step.method, absl::UnavailableError("connection dropped"), step.afterApply);
  grpc::Status failed = create("pvc-f", step.protocol, &first);
  EXPECT_EQ(failed.error_code(), grpc::StatusCode::UNAVAILABLE) << failed.error_message();
  cut_->restart();
  grpc::Status retried = create("pvc-f", step.protocol, &second);
  ASSERT_TRUE(retried.ok()) << retried.error_message();
  expectExactlyOneVolume(step.protocol);
  ASSERT_TRUE(create("pvc-f", step.protocol, &third).ok());
  EXPECT_EQ(third.volume().volume_id(), second.volume().volume_id());
  EXPECT_EQ(contextOf(third.volume()), contextOf(second.volume()));
  expectExactlyOneVolume(step.protocol);
  ASSERT_TRUE(del(second.volume().volume_id()).ok());
  expectNothingLeft();
}

TEST_P(FaultTest, CreateFailingAtAStepThenDeletedLeavesNothing) {
  const Step& step = GetParam();
  csi::v1::CreateVolumeResponse resp;
  api_.failMethodOnce(step.method, absl::UnavailableError("connection dropped"), step.afterApply);
  ASSERT_FALSE(create("pvc-g", step.protocol, &resp).ok());
  ASSERT_TRUE(del(std::string("default/") + step.protocol + "/tank/k8s/pvc-g").ok());
  expectNothingLeft();
}

INSTANTIATE_TEST_SUITE_P(
    Steps, FaultTest,
    ::testing::Values(
        Step{"iscsi", "createIscsiInitiatorGroup", false},
        Step{"iscsi", "createIscsiInitiatorGroup", true}, Step{"iscsi", "createDataset", false},
        Step{"iscsi", "createDataset", true}, Step{"iscsi", "createIscsiTarget", false},
        Step{"iscsi", "createIscsiTarget", true}, Step{"iscsi", "createIscsiExtent", false},
        Step{"iscsi", "createIscsiExtent", true}, Step{"iscsi", "createIscsiTargetExtent", false},
        Step{"iscsi", "createIscsiTargetExtent", true}, Step{"nfs", "createDataset", false},
        Step{"nfs", "createDataset", true}, Step{"nfs", "createNfsShare", false},
        Step{"nfs", "createNfsShare", true}),
    stepName);

class ControllerFaults : public FaultTest {};

TEST_F(ControllerFaults, ThirdOfFourObjectsFailsThenRetryGivesOneCompleteVolume) {
  csi::v1::CreateVolumeResponse warm, resp;
  ASSERT_TRUE(create("warm", "iscsi", &warm).ok());
  ASSERT_TRUE(del(warm.volume().volume_id()).ok());
  api_.resetCounters();
  // Objects of an iSCSI volume in create order: group, zvol, target, extent (+ the LUN mapping).
  api_.failNthCall(3, absl::InternalError("TrueNAS: target create failed"));
  grpc::Status failed = create("pvc-3", "iscsi", &resp);
  EXPECT_EQ(failed.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(api_.calls("createIscsiTarget"), 1);
  ASSERT_TRUE(create("pvc-3", "iscsi", &resp).ok());
  expectExactlyOneVolume("iscsi");
}

TEST_F(ControllerFaults, DeleteLeavesTheGroupToTheSweepAndAFailedSweepIsFinishedByTheNext) {
  csi::v1::CreateVolumeResponse resp;
  ASSERT_TRUE(create("pvc-d", "iscsi", &resp).ok());
  api_.resetCounters();
  ASSERT_TRUE(del(resp.volume().volume_id()).ok());
  EXPECT_EQ(api_.callLog().size(), 2u);
  EXPECT_EQ(api_.datasetCount(), 0u);
  EXPECT_EQ(api_.targetCount(), 0u);
  EXPECT_EQ(api_.initiatorGroupCount(), 1u) << "left to the sweep";
  api_.failMethodOnce("deleteIscsiInitiatorGroup", absl::UnavailableError("dropped"));
  EXPECT_FALSE(cut_->sweepExports().ok());
  EXPECT_EQ(api_.initiatorGroupCount(), 1u);
  cut_->restart();
  ASSERT_TRUE(del(resp.volume().volume_id()).ok()) << "repeat";
  expectNothingLeft();
}

TEST_F(ControllerFaults, ABurstOfDeletesIsSweptOnceAfterTheDebounce) {
  cut_ =
      std::make_unique<ControllerUnderTest>(std::vector<FixtureBackend>{{config(), &api_}},
                                            "csi.truenas-csi.io", std::chrono::milliseconds(100));
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    csi::v1::CreateVolumeResponse resp;
    ASSERT_TRUE(create("pvc-burst-" + std::to_string(i), "iscsi", &resp).ok());
    ids.push_back(resp.volume().volume_id());
  }
  api_.resetCounters();
  for (const auto& id : ids) ASSERT_TRUE(del(id).ok());
  EXPECT_EQ(api_.initiatorGroupCount(), 4u) << "not swept during the burst";
  for (int i = 0; i < 300 && api_.initiatorGroupCount() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(api_.initiatorGroupCount(), 0u) << "swept after the debounce";
  EXPECT_EQ(api_.calls("queryIscsiInitiatorGroups"), 1) << "one sweep for the burst";
  EXPECT_EQ(api_.calls("getDataset") + api_.calls("deleteDataset"), 8) << "2 calls per delete";
}

TEST_F(ControllerFaults, ASweepNeverRemovesTheGroupOfACreateInFlight) {
  csi::v1::CreateVolumeResponse warm;
  ASSERT_TRUE(create("warm", "iscsi", &warm).ok());  // setup out of the way
  api_.setLatency(std::chrono::milliseconds(40));
  csi::v1::CreateVolumeResponse resp;
  grpc::Status created;
  std::thread creator([&] { created = create("pvc-inflight", "iscsi", &resp); });
  // Wait until the group exists (the target does not yet), then sweep.
  for (int i = 0; i < 200 && api_.initiatorGroupCount() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(api_.targetCount(), 1u) << "sweeping before the new target exists";
  ASSERT_TRUE(cut_->sweepExports().ok());
  creator.join();
  ASSERT_TRUE(created.ok()) << created.error_message();
  api_.setLatency(std::chrono::milliseconds(0));
  EXPECT_EQ(api_.initiatorGroupCount(), 2u);
  grpc::ClientContext ctx;
  csi::v1::ControllerGetVolumeRequest get;
  get.set_volume_id(resp.volume().volume_id());
  csi::v1::ControllerGetVolumeResponse got;
  ASSERT_TRUE(cut_->controller().ControllerGetVolume(&ctx, get, &got).ok());
  EXPECT_FALSE(got.status().volume_condition().abnormal())
      << got.status().volume_condition().message();
}

TEST_F(ControllerFaults, ConcurrentSameNameCreatesMakeExactlyOneVolume) {
  api_.setLatency(std::chrono::milliseconds(5));
  constexpr int kThreads = 12;
  std::atomic<int> ok{0}, aborted{0}, other{0};
  std::vector<std::string> ids(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      // Bounded by time, not attempts: the calls are serialised per name, so on a loaded machine
      // one thread can lose the race for the name many times before its turn comes.
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      while (std::chrono::steady_clock::now() < deadline) {
        csi::v1::CreateVolumeResponse resp;
        grpc::Status s = create("pvc-race", "iscsi", &resp);
        if (s.ok()) {
          ids[i] = resp.volume().volume_id();
          ++ok;
          return;
        }
        if (s.error_code() == grpc::StatusCode::ABORTED) {
          ++aborted;
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
          continue;
        }
        ++other;
        return;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads);
  EXPECT_EQ(other.load(), 0);
  EXPECT_GT(aborted.load(), 0) << "concurrent calls were refused while one was in flight";
  for (const auto& id : ids) EXPECT_EQ(id, ids[0]);
  expectExactlyOneVolume("iscsi");
}

TEST_F(ControllerFaults, UnreachableBackendFailsUnavailableThenRecovers) {
  csi::v1::CreateVolumeResponse resp;
  api_.setUnreachable(true);
  grpc::Status s = create("pvc-u", "nfs", &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  api_.setUnreachable(false);
  ASSERT_TRUE(create("pvc-u", "nfs", &resp).ok());
  expectExactlyOneVolume("nfs");
}

}  // namespace
}  // namespace tnascsi::testing

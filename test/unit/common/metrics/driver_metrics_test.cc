// The driver's metric definitions record into the global registry what their hooks report.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "common/metrics/controller_metrics.h"
#include "common/metrics/node_metrics.h"
#include "common/metrics/registry.h"
#include "common/metrics/rpc_metrics.h"

namespace tnascsi::common::metrics {
namespace {

// The value of the sample line that starts with `series` ("name{labels}" or "name"), -1 if none.
double sample(const std::string& series) {
  const std::string text = Registry::global().render();
  size_t at = 0;
  while ((at = text.find(series + " ", at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n') {
      return std::stod(text.substr(at + series.size() + 1));
    }
    at += series.size();
  }
  return -1;
}

TEST(DriverMetricsTest, RpcObservationCountsInFlightCodeAndDuration) {
  registerRpcMetrics();
  {
    RpcObservation a("TestMethod");
    EXPECT_EQ(sample("truenas_csi_rpc_in_flight{method=\"TestMethod\"}"), 1);
    a.finish(StatusCode::kNotFound);
    a.finish(StatusCode::kOk);  // ignored
  }
  { RpcObservation b("TestMethod"); }  // destroyed unfinished: leaves in flight, counts nothing
  EXPECT_EQ(sample("truenas_csi_rpc_in_flight{method=\"TestMethod\"}"), 0);
  EXPECT_EQ(sample("truenas_csi_rpc_requests_total{method=\"TestMethod\",code=\"NOT_FOUND\"}"), 1);
  EXPECT_EQ(sample("truenas_csi_rpc_requests_total{method=\"TestMethod\",code=\"OK\"}"), -1);
  EXPECT_EQ(sample("truenas_csi_rpc_duration_seconds_count{method=\"TestMethod\"}"), 1);
}

TEST(DriverMetricsTest, TrueNasCallsConnectionAndSweeps) {
  registerControllerMetrics();
  {
    TrueNasCallObservation c("b1", "pool.query");
    EXPECT_EQ(sample("truenas_csi_truenas_calls_in_flight{backend=\"b1\"}"), 1);
    c.finish(StatusCode::kUnavailable);
  }
  EXPECT_EQ(sample("truenas_csi_truenas_calls_total{backend=\"b1\",method=\"pool.query\","
                   "code=\"UNAVAILABLE\"}"),
            1);
  EXPECT_EQ(sample("truenas_csi_truenas_calls_in_flight{backend=\"b1\"}"), 0);
  // Collectors stay in the global registry after the test: what they read must outlive it.
  static bool up = false;
  static uint64_t generation = 0;
  exposeTrueNasConnection(
      "b1", [] { return up; }, [] { return generation; });
  EXPECT_EQ(sample("truenas_csi_truenas_connected{backend=\"b1\"}"), 0);
  EXPECT_EQ(sample("truenas_csi_truenas_reconnects_total{backend=\"b1\"}"), 0);
  up = true;
  generation = 3;
  EXPECT_EQ(sample("truenas_csi_truenas_connected{backend=\"b1\"}"), 1);
  EXPECT_EQ(sample("truenas_csi_truenas_reconnects_total{backend=\"b1\"}"), 2);
  recordLeftoverSweep("b1", true, 2, 1);
  recordLeftoverSweep("b1", false, 0, 0);
  EXPECT_EQ(sample("truenas_csi_leftover_sweeps_total{backend=\"b1\",result=\"ok\"}"), 1);
  EXPECT_EQ(sample("truenas_csi_leftover_sweeps_total{backend=\"b1\",result=\"error\"}"), 1);
  EXPECT_EQ(
      sample("truenas_csi_leftover_objects_removed_total{backend=\"b1\",kind=\"initiator_group\"}"),
      2);
  EXPECT_EQ(sample("truenas_csi_leftover_objects_removed_total{backend=\"b1\",kind=\"target\"}"),
            1);
}

TEST(DriverMetricsTest, NodeStageSplitHealingAndState) {
  registerNodeMetrics();
  // Every phase is exposed from the start, at zero.
  EXPECT_EQ(sample("truenas_csi_node_stage_phase_duration_seconds_count{phase=\"mkfs\"}"), 0);
  recordStageSplit(120, 30, 2, 800, 15);
  EXPECT_EQ(sample("truenas_csi_node_stage_phase_duration_seconds_count{phase=\"login\"}"), 1);
  EXPECT_DOUBLE_EQ(sample("truenas_csi_node_stage_phase_duration_seconds_sum{phase=\"mkfs\"}"),
                   0.8);
  EXPECT_EQ(sample("truenas_csi_node_stage_phase_duration_seconds_bucket{phase=\"mount\","
                   "le=\"0.01\"}"),
            0);
  EXPECT_EQ(sample("truenas_csi_node_stage_phase_duration_seconds_bucket{phase=\"mount\","
                   "le=\"0.025\"}"),
            1);
  recordHealPass(1, 2, 0, 1, 3);
  EXPECT_EQ(sample("truenas_csi_node_heal_passes_total"), 1);
  EXPECT_EQ(sample("truenas_csi_node_heal_actions_total{action=\"rescan\"}"), 2);
  EXPECT_EQ(sample("truenas_csi_node_heal_actions_total{action=\"cleanup\"}"), 0);
  EXPECT_EQ(sample("truenas_csi_node_heal_abnormal_volumes"), 3);

  static std::optional<int> sessions;
  exposeIscsiSessions([] { return sessions; });
  EXPECT_EQ(sample("truenas_csi_node_iscsi_sessions"), -1);  // unknown: no sample, not 0
  sessions = 2;
  EXPECT_EQ(sample("truenas_csi_node_iscsi_sessions"), 2);
  exposeIscsidLayout([] { return std::optional<std::string>("2.1.8"); });
  EXPECT_EQ(sample("truenas_csi_node_iscsid_layout_info{layout=\"2.1.8\"}"), 1);
  exposeNodeVolumes([] { return std::vector<Sample>{{{"iscsi", "staged"}, 2}}; });
  EXPECT_EQ(sample("truenas_csi_node_volumes{protocol=\"iscsi\",phase=\"staged\"}"), 2);
}

}  // namespace
}  // namespace tnascsi::common::metrics

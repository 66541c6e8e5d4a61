// The node agent's metrics beyond the CSI calls: the stage split of iSCSI NodeStageVolume, the
// self-healing loop, and state read at each scrape (sessions, volumes by phase, the iscsid
// layout). Defined here with the other families so the hooks in agent/ are one call each; all
// use Registry::global(). docs/metrics.md lists them.
//
//   truenas_csi_node_stage_phase_duration_seconds{phase}  histogram, phase
//                                               login|device|identity|mkfs|mount
//   truenas_csi_node_heal_passes_total                     counter
//   truenas_csi_node_heal_actions_total{action}           counter, action
//                                               relogin|rescan|cleanup|session_release
//   truenas_csi_node_heal_abnormal_volumes                 gauge, from the last pass
//   truenas_csi_node_iscsi_sessions                        gauge (collector)
//   truenas_csi_node_volumes{protocol,phase}               gauge (collector), attach records
//   truenas_csi_node_iscsid_layout_info{layout}            gauge 1 (collector)
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/metrics/registry.h"

namespace tnascsi::common::metrics {

void registerNodeMetrics();

// One iSCSI stage that succeeded, its phases in milliseconds (as the "stage timings" log line).
void recordStageSplit(double loginMs, double deviceMs, double identityMs, double mkfsMs,
                      double mountMs);

// One self-healing pass.
void recordHealPass(int relogins, int rescans, int cleaned, int sessionsReleased, int abnormal);

// Collectors read at each scrape; each must be thread-safe and outlive the registry's use.
// nullopt: unknown now (no sample is written).
void exposeIscsiSessions(std::function<std::optional<int>()> sessions);
// Samples labelled {protocol, phase}.
void exposeNodeVolumes(std::function<std::vector<Sample>()> volumes);
void exposeIscsidLayout(std::function<std::optional<std::string>()> layout);

}  // namespace tnascsi::common::metrics

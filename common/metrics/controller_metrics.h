// The controller's metrics beyond the CSI calls: TrueNAS API calls, the connection to each
// TrueNAS, and the leftover sweep (controller/provision/export_collector.h). The definitions live
// here, in one place with the other families, so the hooks in the controller's code are one call
// each; all use Registry::global(). docs/metrics.md lists them.
//
//   truenas_csi_truenas_calls_total{backend,method,code}         counter
//   truenas_csi_truenas_call_duration_seconds{backend,method}    histogram
//   truenas_csi_truenas_calls_in_flight{backend}                 gauge
//   truenas_csi_truenas_connected{backend}                       gauge 1/0 (collector)
//   truenas_csi_truenas_reconnects_total{backend}                counter (collector)
//   truenas_csi_leftover_sweeps_total{backend,result}            counter, result ok|error
//   truenas_csi_leftover_objects_removed_total{backend,kind}     counter, kind
//                                                                initiator_group|target
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/base/status.h"
#include "common/metrics/rpc_metrics.h"

namespace tnascsi::common::metrics {

void registerControllerMetrics();

// One TrueNAS API call (method as sent, e.g. "pool.dataset.query"): in flight from construction
// until finish() (or destruction, which records nothing else).
class TrueNasCallObservation {
 public:
  TrueNasCallObservation(const std::string& backend, const std::string& method);

  void finish(StatusCode code);

 private:
  std::string backend_;
  std::string method_;
  TimedCall call_;
};

// Exposes the state of `backend`'s connection, read at each scrape: `connected()` -> 1/0 and
// `connections()` (authenticated connections established so far) -> reconnects = connections-1.
// Both must be thread-safe and outlive the registry's use.
void exposeTrueNasConnection(const std::string& backend, std::function<bool()> connected,
                             std::function<uint64_t()> connections);

// One leftover sweep of `backend` ran: `ok` false when it stopped at an error (the objects it had
// removed by then are not known here and are not counted).
void recordLeftoverSweep(const std::string& backend, bool ok, int initiatorGroups, int targets);

}  // namespace tnascsi::common::metrics

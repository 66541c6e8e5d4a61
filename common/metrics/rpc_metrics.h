// The metrics every CSI RPC of both binaries records (through common::handleRpc), and the build
// info gauge. All live in Registry::global(); docs/metrics.md lists them.
//
//   truenas_csi_rpc_requests_total{method,code}       counter: finished calls by gRPC code
//   truenas_csi_rpc_duration_seconds{method}          histogram (latencyBuckets())
//   truenas_csi_rpc_in_flight{method}                 gauge: calls running now
//   truenas_csi_build_info{component,version,commit}  gauge, always 1
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "common/base/status.h"
#include "common/metrics/registry.h"

namespace tnascsi::common::metrics {

// A call in flight on `inFlight` from construction until finish() or destruction.
class TimedCall {
 public:
  explicit TimedCall(Gauge& inFlight);
  ~TimedCall();
  TimedCall(const TimedCall&) = delete;
  TimedCall& operator=(const TimedCall&) = delete;

  // Seconds since construction on the first call; nullopt on later ones.
  std::optional<double> finish();

 private:
  Gauge& inFlight_;
  std::chrono::steady_clock::time_point started_;
  bool finished_ = false;
};

// One CSI call: counts as in flight from construction until finish() (or destruction).
class RpcObservation {
 public:
  explicit RpcObservation(const char* method);

  // Records the result code and the duration; later calls do nothing.
  void finish(StatusCode code);

 private:
  std::string method_;
  TimedCall call_;
};

// Registers the families now, so a scrape shows them before the first call.
void registerRpcMetrics();

// Sets truenas_csi_build_info{component,version,commit} 1.
void registerBuildInfo(const std::string& component, const std::string& version,
                       const std::string& commit);

// gRPC's name of a code ("OK", "NOT_FOUND", ...), the `code` label value.
std::string codeLabel(StatusCode code);

}  // namespace tnascsi::common::metrics

// CSI RPC metrics and build info (see rpc_metrics.h).
#include "common/metrics/rpc_metrics.h"

#include "absl/status/status.h"
#include "common/metrics/registry.h"

namespace tnascsi::common::metrics {
namespace {

struct RpcFamilies {
  Family<Counter>& requests;
  Family<Histogram>& duration;
  Family<Gauge>& inFlight;
};

RpcFamilies& families() {
  static RpcFamilies f{
      Registry::global().counter("truenas_csi_rpc_requests_total",
                                 "CSI calls served, by method and gRPC result code.",
                                 {"method", "code"}),
      Registry::global().histogram("truenas_csi_rpc_duration_seconds",
                                   "Duration of CSI calls, by method.", {"method"},
                                   latencyBuckets()),
      Registry::global().gauge("truenas_csi_rpc_in_flight", "CSI calls running now, by method.",
                               {"method"}),
  };
  return f;
}

}  // namespace

std::string codeLabel(StatusCode code) {
  // absl's names are gRPC's ("OK", "INVALID_ARGUMENT", ...): the numbering is shared.
  return absl::StatusCodeToString(code);
}

TimedCall::TimedCall(Gauge& inFlight)
    : inFlight_(inFlight), started_(std::chrono::steady_clock::now()) {
  inFlight_.inc();
}

TimedCall::~TimedCall() {
  finish();
}

std::optional<double> TimedCall::finish() {
  if (finished_) return std::nullopt;
  finished_ = true;
  inFlight_.dec();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

RpcObservation::RpcObservation(const char* method)
    : method_(method), call_(families().inFlight.with({method_})) {}

void RpcObservation::finish(StatusCode code) {
  const std::optional<double> seconds = call_.finish();
  if (!seconds) return;
  families().requests.with({method_, codeLabel(code)}).inc();
  families().duration.with({method_}).observe(*seconds);
}

void registerRpcMetrics() {
  families();
}

void registerBuildInfo(const std::string& component, const std::string& version,
                       const std::string& commit) {
  Registry::global()
      .gauge("truenas_csi_build_info",
             "Always 1; the labels say which binary, version and commit is running.",
             {"component", "version", "commit"})
      .with({component, version, commit})
      .set(1);
}

}  // namespace tnascsi::common::metrics

// Controller metrics: TrueNAS calls, connection state, leftover sweeps (see controller_metrics.h).
#include "common/metrics/controller_metrics.h"

#include "common/metrics/registry.h"

namespace tnascsi::common::metrics {
namespace {

struct ControllerFamilies {
  Family<Counter>& calls;
  Family<Histogram>& duration;
  Family<Gauge>& inFlight;
  Family<Gauge>& connected;
  Family<Counter>& reconnects;
  Family<Counter>& sweeps;
  Family<Counter>& removed;
};

ControllerFamilies& families() {
  Registry& r = Registry::global();
  static ControllerFamilies f{
      r.counter("truenas_csi_truenas_calls_total",
                "TrueNAS API calls made, by backend, method and result code.",
                {"backend", "method", "code"}),
      r.histogram("truenas_csi_truenas_call_duration_seconds",
                  "Duration of TrueNAS API calls (including the wait for a call slot), by backend "
                  "and method.",
                  {"backend", "method"}, latencyBuckets()),
      r.gauge("truenas_csi_truenas_calls_in_flight", "TrueNAS API calls running now, by backend.",
              {"backend"}),
      r.gauge("truenas_csi_truenas_connected",
              "1 while an authenticated connection to the backend's TrueNAS is up, else 0.",
              {"backend"}),
      r.counter("truenas_csi_truenas_reconnects_total",
                "Authenticated connections to the backend's TrueNAS established after the first.",
                {"backend"}),
      r.counter("truenas_csi_leftover_sweeps_total",
                "Sweeps for leftover iSCSI initiator groups and LUN-less targets, by result.",
                {"backend", "result"}),
      r.counter("truenas_csi_leftover_objects_removed_total",
                "Leftover iSCSI objects the sweeps removed, by kind.", {"backend", "kind"}),
  };
  return f;
}

}  // namespace

void registerControllerMetrics() {
  families();
}

TrueNasCallObservation::TrueNasCallObservation(const std::string& backend,
                                               const std::string& method)
    : backend_(backend), method_(method), call_(families().inFlight.with({backend_})) {}

void TrueNasCallObservation::finish(StatusCode code) {
  const std::optional<double> seconds = call_.finish();
  if (!seconds) return;
  families().calls.with({backend_, method_, codeLabel(code)}).inc();
  families().duration.with({backend_, method_}).observe(*seconds);
}

void exposeTrueNasConnection(const std::string& backend, std::function<bool()> connected,
                             std::function<uint64_t()> connections) {
  ControllerFamilies& f = families();
  f.connected.addCollector([backend, connected = std::move(connected)] {
    return std::vector<Sample>{{{backend}, connected() ? 1.0 : 0.0}};
  });
  f.reconnects.addCollector([backend, connections = std::move(connections)] {
    const uint64_t n = connections();
    return std::vector<Sample>{{{backend}, n > 1 ? static_cast<double>(n - 1) : 0.0}};
  });
}

void recordLeftoverSweep(const std::string& backend, bool ok, int initiatorGroups, int targets) {
  ControllerFamilies& f = families();
  f.sweeps.with({backend, ok ? "ok" : "error"}).inc();
  f.removed.with({backend, "initiator_group"}).inc(initiatorGroups);
  f.removed.with({backend, "target"}).inc(targets);
}

}  // namespace tnascsi::common::metrics

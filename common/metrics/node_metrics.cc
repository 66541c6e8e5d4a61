// Node agent metrics: stage split, self-healing, scrape-time state (see node_metrics.h).
#include "common/metrics/node_metrics.h"

namespace tnascsi::common::metrics {
namespace {

constexpr const char* kPhases[] = {"login", "device", "identity", "mkfs", "mount"};
constexpr const char* kActions[] = {"relogin", "rescan", "cleanup", "session_release"};

struct NodeFamilies {
  Family<Histogram>& stage;
  Family<Counter>& passes;
  Family<Counter>& actions;
  Family<Gauge>& abnormal;
  Family<Gauge>& sessions;
  Family<Gauge>& volumes;
  Family<Gauge>& layout;
};

NodeFamilies& families() {
  static const std::vector<double> stageBuckets = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  Registry& r = Registry::global();
  static NodeFamilies f = [&] {
    NodeFamilies made{
        r.histogram("truenas_csi_node_stage_phase_duration_seconds",
                    "Duration of each phase of an iSCSI NodeStageVolume that succeeded: login, "
                    "device (LUN in udev), identity (VPD check), mkfs (probe + format), mount.",
                    {"phase"}, stageBuckets),
        r.counter("truenas_csi_node_heal_passes_total", "Self-healing passes run."),
        r.counter("truenas_csi_node_heal_actions_total", "Repairs made by self-healing, by action.",
                  {"action"}),
        r.gauge("truenas_csi_node_heal_abnormal_volumes",
                "Volumes the last self-healing pass found abnormal."),
        r.gauge("truenas_csi_node_iscsi_sessions", "iSCSI sessions on this host now."),
        r.gauge("truenas_csi_node_volumes",
                "Volumes with an attach record on this node, by protocol and phase "
                "(attaching, staged, detaching).",
                {"protocol", "phase"}),
        r.gauge("truenas_csi_node_iscsid_layout_info",
                "Always 1; the label names the iscsid management-protocol layout in use.",
                {"layout"}),
    };
    for (const char* p : kPhases) made.stage.with({p});
    for (const char* a : kActions) made.actions.with({a});
    return made;
  }();
  return f;
}

}  // namespace

void registerNodeMetrics() {
  families();
}

void recordStageSplit(double loginMs, double deviceMs, double identityMs, double mkfsMs,
                      double mountMs) {
  NodeFamilies& f = families();
  const double values[] = {loginMs, deviceMs, identityMs, mkfsMs, mountMs};
  for (size_t i = 0; i < std::size(kPhases); ++i) {
    f.stage.with({kPhases[i]}).observe(values[i] / 1000.0);
  }
}

void recordHealPass(int relogins, int rescans, int cleaned, int sessionsReleased, int abnormal) {
  NodeFamilies& f = families();
  f.passes.with({}).inc();
  f.actions.with({"relogin"}).inc(relogins);
  f.actions.with({"rescan"}).inc(rescans);
  f.actions.with({"cleanup"}).inc(cleaned);
  f.actions.with({"session_release"}).inc(sessionsReleased);
  f.abnormal.with({}).set(abnormal);
}

void exposeIscsiSessions(std::function<std::optional<int>()> sessions) {
  families().sessions.addCollector([sessions = std::move(sessions)] {
    std::vector<Sample> out;
    if (auto n = sessions()) out.push_back({{}, static_cast<double>(*n)});
    return out;
  });
}

void exposeNodeVolumes(std::function<std::vector<Sample>()> volumes) {
  families().volumes.addCollector(std::move(volumes));
}

void exposeIscsidLayout(std::function<std::optional<std::string>()> layout) {
  families().layout.addCollector([layout = std::move(layout)] {
    std::vector<Sample> out;
    if (auto name = layout()) out.push_back({{*name}, 1.0});
    return out;
  });
}

}  // namespace tnascsi::common::metrics

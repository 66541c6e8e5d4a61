// tnas-e2e-faults: runs the real-kernel fault scenarios (test/e2e/faults.h) against a running
// controller, node agent, iscsid and LIO target, prints a step table per scenario and a summary,
// and writes faults-<scenario>.json reports; exit 0 when every scenario passed.
//
//   tnas-e2e-faults --controller EP --node EP --sim-url URL --agent-pidfile FILE
//                   --hook CMD [--hook ARG]... [--scenario NAME]... [--soak-cycles N]
//                   [--outage S] [--heal-wait S] [--kubelet-dir D] [--state-dir D]
//                   [--report-dir DIR]
#include <cstdio>
#include <cstdlib>
#include <string>

#include "test/e2e/faults.h"

namespace {

// A positive count from the command line; exits with a usage error otherwise.
int positive(const std::string& flag, const std::string& text) {
  char* end = nullptr;
  long v = std::strtol(text.c_str(), &end, 10);
  if (end == text.c_str() || *end != '\0' || v <= 0 || v > 100000) {
    std::fprintf(stderr, "%s needs a positive number, not \"%s\"\n", flag.c_str(), text.c_str());
    std::exit(2);
  }
  return static_cast<int>(v);
}

int usage() {
  std::fprintf(stderr,
               "usage: tnas-e2e-faults --controller EP --node EP --sim-url URL --agent-pidfile F\n"
               "       --hook CMD [--hook ARG]... [--scenario NAME]... [--soak-cycles N]\n"
               "       [--outage S] [--heal-wait S] [--kubelet-dir D] [--state-dir D]\n"
               "       [--report-dir DIR]\nscenarios:");
  for (const auto& n : tnascsi::e2e::faultScenarioNames()) std::fprintf(stderr, " %s", n.c_str());
  std::fprintf(stderr, "\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  tnascsi::e2e::FaultsConfig cfg;
  std::vector<std::string> scenarios;
  std::string reportDir;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = tnascsi::e2e::flagValue(argc, argv, &i);
    if (tnascsi::e2e::takeStackFlag(a, next, &cfg.stack)) {
      continue;
    }
    if (a == "--agent-pidfile") {
      cfg.agentPidFile = next();
    } else if (a == "--hook") {
      cfg.hook.push_back(next());
    } else if (a == "--scenario") {
      scenarios.push_back(next());
    } else if (a == "--soak-cycles") {
      cfg.soakCycles = positive(a, next());
    } else if (a == "--outage") {
      cfg.outageSeconds = positive(a, next());
    } else if (a == "--heal-wait") {
      cfg.healWaitSeconds = positive(a, next());
    } else if (a == "--report-dir") {
      reportDir = next();
    } else {
      return usage();
    }
  }
  if (cfg.stack.controllerEndpoint.empty() || cfg.stack.nodeEndpoint.empty() || cfg.hook.empty() ||
      cfg.agentPidFile.empty()) {
    return usage();
  }
  if (scenarios.empty()) scenarios = tnascsi::e2e::faultScenarioNames();
  std::vector<tnascsi::e2e::ScenarioResult> results;
  for (const auto& name : scenarios) {
    results.push_back(tnascsi::e2e::runFaultScenario(cfg, name));
    const auto& r = results.back();
    std::string path = reportDir;
    path += "/faults-";
    path += name;
    path += ".json";
    if (!reportDir.empty() && !tnascsi::e2e::writeStepsReport(path, name, r.ok, r.steps)) {
      std::fprintf(stderr, "cannot write the report of %s\n", name.c_str());
    }
  }
  bool all = true;
  std::printf("\nfault scenarios:\n");
  for (const auto& r : results) {
    std::printf("  %-22s %-6s %6.1f s\n", r.name.c_str(), r.ok ? "PASSED" : "FAILED", r.seconds);
    all = all && r.ok;
  }
  return all ? 0 : 1;
}

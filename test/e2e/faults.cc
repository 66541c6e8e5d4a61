// The fault scenario registry and runner (see faults.h).
#include "test/e2e/faults.h"

#include <chrono>
#include <cstdio>
#include <functional>
#include <map>

#include "test/e2e/faults_env.h"

namespace tnascsi::e2e {
namespace {

using Scenario = std::function<bool(FaultRun&)>;

const std::vector<std::pair<std::string, Scenario>>& registry() {
  static const std::vector<std::pair<std::string, Scenario>> kAll = {
      {"target-restart", scenarioTargetRestart},
      {"session-destroyed", scenarioSessionDestroyed},
      {"device-deleted", scenarioDeviceDeleted},
      {"serial-mismatch", scenarioSerialMismatch},
      {"foreign-content", scenarioForeignContent},
      {"iscsid-restart", scenarioIscsidRestart},
      {"agent-restart-staged", scenarioAgentRestartStaged},
      {"agent-restart-idle", scenarioAgentRestartIdle},
      {"soak", scenarioSoak},
  };
  return kAll;
}

}  // namespace

std::vector<std::string> faultScenarioNames() {
  std::vector<std::string> out;
  for (const auto& [name, fn] : registry()) out.push_back(name);
  return out;
}

ScenarioResult runFaultScenario(const FaultsConfig& config, const std::string& name) {
  for (const auto& [n, fn] : registry()) {
    if (n != name) continue;
    std::printf("fault %s:\n", name.c_str());
    std::fflush(stdout);
    auto t0 = std::chrono::steady_clock::now();
    FaultRun run(config, name);
    bool ok = fn(run);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ScenarioResult r = run.finish(ok, s);
    if (run.retries() > 0) std::printf("  (retried: %s)\n", run.retryLog().c_str());
    std::printf("fault %s: %s in %.1f s\n", name.c_str(), r.ok ? "PASSED" : "FAILED", s);
    std::fflush(stdout);
    return r;
  }
  ScenarioResult r;
  r.name = name;
  r.steps.push_back(StepResult{"scenario", 0, false, "unknown scenario " + name});
  std::printf("fault %s: unknown scenario\n", name.c_str());
  return r;
}

}  // namespace tnascsi::e2e

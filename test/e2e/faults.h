// Fault scenarios on a real kernel (issues #5/#6): each scenario drives one or more volumes over
// CSI gRPC against the real controller, node agent, iscsid and LIO target in the QEMU guest,
// injects one fault (target restart during I/O, device deleted, serial mismatch, foreign content,
// iscsid restart, agent restart, a foreign session, a 50× stage/unstage soak) and ends with
// "nothing left" checks: sessions, SCSI disks, mounts under the kubelet dir, attach records,
// session ownership markers, and the simulator's object counts back to their baseline.
//
// Process-level actions the scenarios cannot take themselves (restarting the agent or iscsid) go
// through a hook command: `<hook...> restart-agent KILL|TERM` and `<hook...> restart-iscsid`,
// which must return 0 once the restarted daemon answers. Not thread-safe; run one at a time.
#pragma once

#include <string>
#include <vector>

#include "test/e2e/stack_flags.h"
#include "test/e2e/steps.h"

namespace tnascsi::e2e {

struct FaultsConfig {
  StackEndpoints stack;
  std::vector<std::string> hook;  // command + leading args for restart-agent / restart-iscsid
  std::string agentPidFile;       // holds the node agent's current pid
  std::string configfsRoot = "/sys/kernel/config/target";
  int soakCycles = 50;
  int outageSeconds = 10;   // how long the target stays away in target-restart
  int healWaitSeconds = 4;  // long enough for two self-healing passes of the agent under test
};

struct ScenarioResult {
  std::string name;
  bool ok = false;
  double seconds = 0;
  std::vector<StepResult> steps;
};

// Every scenario name, in the order runFaults() runs them by default.
std::vector<std::string> faultScenarioNames();

// Runs one scenario by name; an unknown name yields ok=false with one failed step.
// Progress lines go to stdout as steps finish. Never throws.
ScenarioResult runFaultScenario(const FaultsConfig& config, const std::string& name);

}  // namespace tnascsi::e2e

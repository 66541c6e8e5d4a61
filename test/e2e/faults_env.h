// FaultRun: the toolbox every fault scenario uses (test/e2e/faults.h): CSI calls (retrying like
// kubelet), baseline and "nothing left" checks, the kernel facts a fault needs (session state, the
// SCSI disk behind a session, the LUN's backing file in LIO's configfs), the agent's /proc numbers
// and the restart hook. Not thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "test/e2e/csi_calls.h"
#include "test/e2e/faults.h"
#include "test/e2e/faults_tools.h"
#include "test/e2e/sim_state.h"
#include "test/e2e/steps.h"

namespace tnascsi::e2e {

struct AgentSample {
  int pid = 0;
  long rssKb = -1, hwmKb = -1, anonKb = -1, fileKb = -1, pssKb = -1, threads = -1, fds = -1;
  std::string text() const;
};

class FaultRun {
 public:
  FaultRun(const FaultsConfig& config, std::string scenario);

  bool step(const std::string& name, const std::function<bool(std::string*)>& body) {
    return steps_.step(name, body);
  }
  ScenarioResult finish(bool ok, double seconds) const;

  CsiCalls& csi() { return csi_; }
  const FaultsConfig& config() const { return cfg_; }
  const std::string& nodeId() const { return nodeId_; }

  // Node calls that retry, as kubelet does, for up to ~15 s while the agent answers ABORTED (its
  // self-healing pass holds the volume for a moment) or UNAVAILABLE (e.g. iscsid restarting).
  // Retries are counted in retries() and listed in retryLog().
  grpc::Status nodeStage(const E2eVolume& v, const VolumeSpec& spec);
  grpc::Status nodeUnstage(const E2eVolume& v);
  grpc::Status nodePublish(const E2eVolume& v, const VolumeSpec& spec);
  grpc::Status nodeUnpublish(const E2eVolume& v);
  int retries() const { return retries_; }
  const std::string& retryLog() const { return retryLog_; }

  // Node + simulator baseline and NodeGetInfo; call first.
  bool baseline();
  // "create <name>": CreateVolume of an iSCSI volume; fills v.
  bool create(E2eVolume& v, const VolumeSpec& spec);
  // "attach <name>": ControllerPublish → NodeStage → NodePublish.
  bool attach(E2eVolume& v, const VolumeSpec& spec);
  // Best-effort teardown as steps: NodeUnpublish, NodeUnstage, ControllerUnpublish, DeleteVolume
  // (each must answer OK: they are idempotent). Skips everything when v.id is empty.
  bool teardown(const E2eVolume& v);
  // Node checks (sessions beyond baseline + `allowedExtraSessions`, disks, mounts, records,
  // owned-session markers) and simulator counts back to baseline, as two steps.
  bool nothingLeft(size_t allowedExtraSessions = 0);
  // Node part only, into *d; true when clean.
  bool nodeClean(std::string* d, size_t allowedExtraSessions = 0) const;

  // NodeGetVolumeStats on v.target: false with *d on RPC failure; *abnormal and message set.
  bool volumeCondition(const E2eVolume& v, bool* abnormal, std::string* d);

  // Session facts from /sys/class/iscsi_session for `iqn` (first session found).
  struct SessionInfo {
    bool found = false;
    std::string name;  // "session3"
    std::string state;
  };
  static SessionInfo session(const std::string& iqn);
  // The SCSI disk ("sdb") of LUN `lun` on the session to `iqn`; "" if none.
  static std::string sessionDisk(const std::string& iqn, int lun);
  // The LUN's backing file through LIO's configfs; "" with *error if not found.
  std::string backingFile(const std::string& iqn, int lun, std::string* error) const;
  // Writes `value` to a sysfs/configfs attribute.
  static bool writeAttr(const std::string& path, const std::string& value, std::string* error);

  // The hook (restart-agent, restart-iscsid); false with its output in *d on failure.
  bool hook(const std::vector<std::string>& args, std::string* d);
  AgentSample sampleAgent() const;

  static std::string iqnOf(const E2eVolume& v);
  static int lunOf(const E2eVolume& v);

 private:
  FaultsConfig cfg_;
  std::string scenario_;
  CsiCalls csi_;
  Steps steps_;
  std::string nodeId_;
  std::vector<std::string> sessionsBefore_, disksBefore_;
  SimCounts simBefore_;
  int retries_ = 0;
  std::string retryLog_;  // "<call>: <code> <message>; " per distinct answer retried

  grpc::Status retrying(const char* what, const std::function<grpc::Status()>& call);
};

// Scenarios (faults_io.cc, faults_identity.cc, faults_restart.cc).
bool scenarioTargetRestart(FaultRun& run);
bool scenarioSessionDestroyed(FaultRun& run);
bool scenarioDeviceDeleted(FaultRun& run);
bool scenarioSerialMismatch(FaultRun& run);
bool scenarioForeignContent(FaultRun& run);
bool scenarioIscsidRestart(FaultRun& run);
bool scenarioAgentRestartStaged(FaultRun& run);
bool scenarioAgentRestartIdle(FaultRun& run);
bool scenarioSoak(FaultRun& run);

}  // namespace tnascsi::e2e

// Lifecycle: one volume's whole life driven over CSI gRPC in the order external-provisioner,
// external-attacher, kubelet, external-resizer and external-snapshotter use: create, publish,
// stage, publish, write+checksum, snapshot, clone from the snapshot, stage/publish the clone and
// verify the data, expand online, stats, teardown, delete — then checks that nothing is left on the
// node (sessions, SCSI disks, mounts, attach records) or on the TrueNAS simulator.
//
// Each step is timed; a failed step stops the run and is reported with its error. Used by the
// real-kernel tests in the guest and by the demo.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "test/e2e/csi_calls.h"
#include "test/e2e/stack_flags.h"
#include "test/e2e/steps.h"

namespace tnascsi::e2e {

struct LifecycleConfig {
  StackEndpoints stack;
  VolumeSpec spec;
  std::string name = "pvc-e2e";
};

struct LifecycleResult {
  bool ok = false;
  std::vector<StepResult> steps;
};

// Runs the lifecycle; never throws. Progress lines go to stdout as steps finish.
LifecycleResult runLifecycle(const LifecycleConfig& config);

}  // namespace tnascsi::e2e

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

#include "proto/csi.grpc.pb.h"

namespace tnascsi::e2e {

struct LifecycleConfig {
  std::string controllerEndpoint;  // unix:///…
  std::string nodeEndpoint;
  std::string simUrl;  // http://127.0.0.1:PORT (control plane, for leftover checks)
  std::string kubeletDir = "/var/lib/kubelet";
  std::string stateDir = "/var/lib/truenas-csi";
  std::string driverName = "csi.truenas-csi.io";
  std::string protocol = "iscsi";  // iscsi | nfs
  std::string fsType = "ext4";     // ext4 | xfs (iSCSI filesystem volumes)
  bool block = false;              // raw block volume
  std::string nfsVersion = "4.2";
  std::map<std::string, std::string> parameters;  // extra StorageClass parameters
  int64_t sizeBytes = 1LL << 30;
  std::string name = "pvc-e2e";
};

struct StepResult {
  std::string name;
  double ms = 0;
  bool ok = false;
  std::string detail;
};

struct LifecycleResult {
  bool ok = false;
  std::vector<StepResult> steps;
};

// Runs the lifecycle; never throws. Progress lines go to stdout as steps finish.
LifecycleResult runLifecycle(const LifecycleConfig& config);

}  // namespace tnascsi::e2e

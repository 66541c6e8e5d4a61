// Types shared by the stage flows: their configuration, the seams they act through, the
// protocol-free request shapes the Node service fills from CSI messages, and VolumeHealth (the
// per-volume condition the self-healing loop reports and NodeGetVolumeStats returns).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "agent/block/block_devices.h"
#include "agent/block/filesystems.h"
#include "agent/block/multipath_maps.h"
#include "agent/iscsi/initiator.h"
#include "agent/mount/mounter.h"
#include "agent/stage/attach_record.h"
#include "common/base/clock.h"
#include "common/base/inflight.h"

namespace tnascsi::agent::stage {

struct StageConfig {
  std::string kubeletDir = "/var/lib/kubelet";
  std::chrono::milliseconds lunWaitTimeout{30000};
  std::string defaultFsType = "ext4";
  // Resolves a portal host to a numeric address (getaddrinfo in production).
  std::function<StatusOr<std::string>(const std::string&)> resolve;
  // Records left in "attaching" longer than this (a crash mid-stage) are cleaned up by the healer.
  std::chrono::seconds abandonedAfter{600};
  // Multipath volumes: how long to wait for multipathd to assemble the map from the paths.
  std::chrono::milliseconds multipathWait{20000};
};

// The seams every flow works through (all thread-safe; owned by main).
struct StageEnv {
  IscsiInitiator& initiator;
  BlockDevices& blocks;
  Filesystems& filesystems;
  Mounter& mounter;
  common::Clock& clock;
  AttachRecordStore& records;
  common::InFlight& inflight;  // shared by the flows and the self-healing loop
  // dm-multipath maps (multipath volumes, docs/multipath.md); null: multipath volumes are refused.
  MultipathMaps* multipath = nullptr;
};

using StringMap = std::map<std::string, std::string>;

struct StageRequest {
  std::string volumeId;
  std::string stagingPath;
  bool block = false;
  std::string fsType;                   // mount volumes; "" = StageConfig::defaultFsType
  std::vector<std::string> mountFlags;  // VolumeCapability.mount.mount_flags
  StringMap context;
  StringMap secrets;
};

struct PublishRequest {
  std::string volumeId;
  std::string stagingPath;
  std::string targetPath;
  bool block = false;
  bool readOnly = false;
  std::vector<std::string> mountFlags;
};

struct VolumeCondition {
  bool abnormal = false;
  std::string message;
};

struct VolumeStats {
  bool block = false;
  FsStats fs;              // filesystem volumes
  uint64_t sizeBytes = 0;  // block volumes
  VolumeCondition condition;
};

// The latest condition per volume as seen by the self-healing loop. Thread-safe.
class VolumeHealth {
 public:
  void set(const std::string& volumeId, VolumeCondition condition) {
    std::lock_guard<std::mutex> lock(mu_);
    conditions_[volumeId] = std::move(condition);
  }
  void erase(const std::string& volumeId) {
    std::lock_guard<std::mutex> lock(mu_);
    conditions_.erase(volumeId);
  }
  std::optional<VolumeCondition> get(const std::string& volumeId) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = conditions_.find(volumeId);
    if (it == conditions_.end()) return std::nullopt;
    return it->second;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, VolumeCondition> conditions_;
};

// "H:C:T:L" (kept here so the flows do not depend on the block library's definitions).
inline std::string scsiAddressText(const ScsiAddress& a) {
  return std::to_string(a.host) + ":" + std::to_string(a.channel) + ":" + std::to_string(a.target) +
         ":" + std::to_string(a.lun);
}

}  // namespace tnascsi::agent::stage

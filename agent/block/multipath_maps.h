// MultipathMaps: the agent's seam to dm-multipath maps. multipathd (the host's, configured by the
// admin; see docs/multipath.md) assembles the map from the iSCSI paths' SCSI disks; the agent only
// finds the map that holds the disks it logged in to (sysfs holders, dm/uuid "mpath-…", dm/name)
// and removes it again at unstage. The real implementation (SysfsMultipathMaps) reads sysfs (root
// injectable for tests), waits through libudev and removes maps through libdevmapper.
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/base/status.h"

namespace tnascsi::agent {

struct MultipathMap {
  std::string sysname;              // "dm-3"
  std::string devnode;              // "/dev/dm-3"
  std::string name;                 // dm/name (the WWID, or "mpatha" with user_friendly_names)
  std::string uuid;                 // dm/uuid, "mpath-<wwid>"
  std::vector<std::string> slaves;  // the path disks it holds ("sda", "sdb"), sorted
  uint64_t sizeBytes = 0;
};

class MultipathMaps {
 public:
  virtual ~MultipathMaps() = default;

  // The multipath map (dm/uuid "mpath-…") that holds every disk of `paths` (sysnames), once it
  // exists; waits for udev events up to `timeout`. DeadlineExceeded when no such map appeared
  // (multipathd not running, or not configured to take these paths); FailedPrecondition when the
  // disks are held by different maps or by a dm device that is not a multipath map.
  virtual StatusOr<MultipathMap> waitForMap(const std::vector<std::string>& paths,
                                            std::chrono::milliseconds timeout) = 0;

  // The multipath map with dm/uuid `uuid`, if present now.
  virtual StatusOr<std::optional<MultipathMap>> findByUuid(const std::string& uuid) = 0;

  // Removes the map `name` (libdevmapper DM_DEVICE_REMOVE), retrying while it is briefly open
  // (udev probes, multipathd checks). OK when it is already gone; FailedPrecondition when it
  // stays open (still mounted or used).
  virtual Status removeMap(const std::string& name) = 0;
};

using MultipathMapsPtr = std::unique_ptr<MultipathMaps>;

}  // namespace tnascsi::agent

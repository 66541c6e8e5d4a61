// SysfsMultipathMaps: the real MultipathMaps. Finds maps through sysfs (<root>/block/<disk>/
// holders/dm-N, <root>/block/dm-N/dm/{uuid,name}, slaves/), waits for them with a libudev monitor
// (block "disk" events: multipathd's map appears as a dm-N add/change), and removes them through
// libdevmapper (dm_map_remove.cc). Thread-safe (no mutable state).
#pragma once

#include <string>

#include "agent/block/multipath_maps.h"

namespace tnascsi::agent {

class SysfsMultipathMaps final : public MultipathMaps {
 public:
  explicit SysfsMultipathMaps(std::string sysfsRoot = "/sys", std::string devRoot = "/dev")
      : root_(std::move(sysfsRoot)), devRoot_(std::move(devRoot)) {}

  StatusOr<MultipathMap> waitForMap(const std::vector<std::string>& paths,
                                    std::chrono::milliseconds timeout) override;
  StatusOr<std::optional<MultipathMap>> findByUuid(const std::string& uuid) override;
  Status removeMap(const std::string& name) override;

  // The multipath map holding every disk of `paths` now: nullopt when none (yet), or when only
  // some of the disks are in it. Exposed for tests (fake sysfs trees).
  StatusOr<std::optional<MultipathMap>> findHolding(const std::vector<std::string>& paths);

 private:
  std::optional<MultipathMap> readMap(const std::string& dmSysname) const;

  const std::string root_;
  const std::string devRoot_;
};

// Removes the device-mapper device `name` through libdevmapper (see dm_map_remove.cc). OK when it
// does not exist; FailedPrecondition when it is still open after the retries.
Status removeDmDevice(const std::string& name);

}  // namespace tnascsi::agent

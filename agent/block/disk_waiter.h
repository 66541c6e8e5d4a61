// DiskWaiter: waits for udev to finish with the disk behind a SCSI address. The real
// implementation (UdevDiskWaiter) uses libudev: check → subscribe to the netlink monitor (block
// disks) → re-check → poll() the monitor fd until a deadline, so an event between the first
// check and the subscription cannot be missed, and nothing sleep-polls. Kept behind this small
// interface so SysfsBlockDevices can be tested without udevd. Thread-safe (each call has its own
// udev handles).
#pragma once

#include <chrono>
#include <string>

#include "agent/block/block_devices.h"
#include "common/base/status.h"

namespace tnascsi::agent {

class DiskWaiter {
 public:
  virtual ~DiskWaiter() = default;
  // Returns the sysname ("sdb") of the block disk whose parent SCSI device is `address`, once
  // udev has initialized it (udev_device_get_is_initialized). `remove` events are ignored.
  // DeadlineExceeded when `timeout` passes first; Unavailable if udev cannot be used at all.
  virtual StatusOr<std::string> waitForDisk(const ScsiAddress& address,
                                            std::chrono::milliseconds timeout) = 0;
};

class UdevDiskWaiter final : public DiskWaiter {
 public:
  StatusOr<std::string> waitForDisk(const ScsiAddress& address,
                                    std::chrono::milliseconds timeout) override;
};

}  // namespace tnascsi::agent

// BlockDevices: the agent's seam to SCSI disks (sysfs + libudev). Finds the block device behind an
// iSCSI LUN, waits for udev to finish with it, reads its identity (VPD pages), rescans, flushes and
// deletes it. The real implementation takes a sysfs root so tests can point it at a fake tree.
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/base/status.h"

namespace tnascsi::agent {

// H:C:T:L of a SCSI device.
struct ScsiAddress {
  int host = -1;
  int channel = 0;
  int target = 0;
  int lun = 0;
  std::string str() const;  // "H:C:T:L"
  bool operator==(const ScsiAddress&) const = default;
};

// The identity a LUN reports (VPD page 0x80 unit serial and page 0x83 designators).
struct LunIdentity {
  std::string serial;  // page 0x80, trimmed ASCII
  std::vector<std::string>
      designators;  // page 0x83, normalised: "naa.<hex>", "eui.<hex>", "t10.<ascii>"
};

struct BlockDevice {
  std::string sysname;  // "sda"
  std::string devnode;  // "/dev/sda"
  ScsiAddress address;
  uint64_t sizeBytes = 0;
  std::string vendor;
  std::string model;
  std::string state;  // scsi_device state ("running", "offline", ...)
  LunIdentity identity;
};

class BlockDevices {
 public:
  virtual ~BlockDevices() = default;

  // The SCSI addresses of the LUNs currently attached to iSCSI session `sid` (from sysfs).
  virtual StatusOr<std::vector<ScsiAddress>> sessionLuns(int sid) = 0;

  // The disk at `address` if present now (NotFound otherwise); no waiting, no scanning.
  virtual StatusOr<BlockDevice> findLun(const ScsiAddress& address) = 0;

  // Returns the disk at `address` once udev has initialized it. If the LUN is missing, asks the
  // kernel to scan exactly that H:C:T:L first. Waits by subscribing to udev (check, subscribe,
  // re-check, poll with a deadline); never sleep-polls. DeadlineExceeded when `timeout` passes.
  virtual StatusOr<BlockDevice> waitForLun(const ScsiAddress& address,
                                           std::chrono::milliseconds timeout) = 0;

  // Makes the kernel re-read the LUN's capacity (sysfs rescan) and returns the refreshed device.
  virtual StatusOr<BlockDevice> rescanLun(const ScsiAddress& address) = 0;

  // Flushes the device's buffers (fsync + BLKFLSBUF). NotFound if it is gone.
  virtual Status flush(const std::string& devnode) = 0;

  // Deletes the SCSI device (sysfs delete). OK if it is already gone. FailedPrecondition if it
  // still has holders (dm, md) — the caller must not remove a device someone else uses.
  virtual Status removeLun(const ScsiAddress& address) = 0;
};

using BlockDevicesPtr = std::unique_ptr<BlockDevices>;

}  // namespace tnascsi::agent

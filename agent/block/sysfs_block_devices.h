// SysfsBlockDevices: the real BlockDevices. Walks sysfs (root injectable for tests) from an iSCSI
// session to its SCSI devices and disks (reference §2.1), scans exactly one H:C:T:L, rescans
// capacity, flushes (fsync + BLKFLSBUF) and deletes SCSI devices, and reads the LUN identity from
// vpd_pg80/vpd_pg83. Waiting for udev goes through a DiskWaiter. Thread-safe (no mutable state).
#pragma once

#include <memory>
#include <string>

#include "agent/block/block_devices.h"
#include "agent/block/disk_waiter.h"

namespace tnascsi::agent {

class SysfsBlockDevices final : public BlockDevices {
 public:
  SysfsBlockDevices(std::string sysfsRoot, std::unique_ptr<DiskWaiter> waiter,
                    std::string devRoot = "/dev");

  StatusOr<std::vector<ScsiAddress>> sessionLuns(int sid) override;
  StatusOr<BlockDevice> findLun(const ScsiAddress& address) override;
  StatusOr<BlockDevice> waitForLun(const ScsiAddress& address,
                                   std::chrono::milliseconds timeout) override;
  StatusOr<BlockDevice> rescanLun(const ScsiAddress& address) override;
  Status flush(const std::string& devnode) override;
  Status removeLun(const ScsiAddress& address) override;

  // Writes "C T L" to scsi_host/hostH/scan (exactly that LUN). Exposed for tests.
  Status scanLun(const ScsiAddress& address);

 private:
  std::string scsiDir(const ScsiAddress& address) const;

  const std::string root_;
  const std::unique_ptr<DiskWaiter> waiter_;
  const std::string devRoot_;
};

}  // namespace tnascsi::agent

// Filesystems: the agent's seam for what is on a block device and what to do about it: probe
// (libblkid), create (mkfs — the one tool the agent execs), grow online (kernel ioctls), and
// usage statistics. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/base/status.h"

namespace tnascsi::agent {

struct ProbeResult {
  enum class Kind {
    kBlank,           // no filesystem, no partition table, no RAID/LVM signature
    kFilesystem,      // `type` holds the filesystem (ext4, xfs, ...)
    kPartitionTable,  // `type` holds the table type (dos, gpt)
    kOther,           // some other signature (LVM2_member, linux_raid_member, crypto_LUKS, ...)
  };
  Kind kind = Kind::kBlank;
  std::string type;
  std::string uuid;
};

struct FsStats {
  uint64_t totalBytes = 0;
  uint64_t availableBytes = 0;
  uint64_t usedBytes = 0;
  uint64_t totalInodes = 0;
  uint64_t freeInodes = 0;
  uint64_t usedInodes = 0;
};

class Filesystems {
 public:
  virtual ~Filesystems() = default;

  // What the device holds, read with libblkid (superblocks and partition tables).
  virtual StatusOr<ProbeResult> probe(const std::string& devnode) = 0;

  // Creates `fsType` (ext4 or xfs) on a device the caller has proven blank, with extra mkfs
  // options. InvalidArgument for an unsupported type or option; Internal with mkfs's stderr.
  virtual Status format(const std::string& devnode, const std::string& fsType,
                        const std::vector<std::string>& options) = 0;

  // Grows the filesystem mounted at `mountPath` to fill its device, online (EXT4_IOC_RESIZE_FS /
  // XFS_IOC_FSGROWFSDATA). OK when already at full size.
  virtual Status growOnline(const std::string& mountPath, const std::string& fsType,
                            const std::string& devnode) = 0;

  // statvfs of a mounted path.
  virtual StatusOr<FsStats> stats(const std::string& path) = 0;

  // Size in bytes of a block device (BLKGETSIZE64).
  virtual StatusOr<uint64_t> deviceSize(const std::string& devnode) = 0;
};

using FilesystemsPtr = std::unique_ptr<Filesystems>;

}  // namespace tnascsi::agent

// BlkidFilesystems: the real Filesystems. Probes with libblkid (superblocks + partition tables),
// formats by running mkfs.ext4/mkfs.xfs (argv array, allow-listed options, deadline), grows
// mounted filesystems online with the kernel ioctls (EXT4_IOC_RESIZE_FS, XFS_IOC_FSGROWFSDATA),
// and reports statvfs/BLKGETSIZE64. Thread-safe (no mutable state).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "agent/block/filesystems.h"

namespace tnascsi::agent {

struct BlkidFilesystemsOptions {
  // Where mkfs.* is looked up (never $PATH).
  std::vector<std::string> toolDirs{"/usr/sbin", "/sbin", "/usr/bin", "/bin"};
  std::chrono::milliseconds mkfsTimeout{std::chrono::minutes(10)};
};

class BlkidFilesystems final : public Filesystems {
 public:
  explicit BlkidFilesystems(BlkidFilesystemsOptions options = {});

  // kOther also covers ambivalent results (several signatures): never treated as blank.
  StatusOr<ProbeResult> probe(const std::string& devnode) override;
  Status format(const std::string& devnode, const std::string& fsType,
                const std::vector<std::string>& options) override;
  // PermissionDenied when the kernel refuses the resize ioctl (e.g. EPERM in some containers);
  // InvalidArgument for filesystems other than ext4/xfs; FailedPrecondition if the device is
  // smaller than the filesystem.
  Status growOnline(const std::string& mountPath, const std::string& fsType,
                    const std::string& devnode) override;
  StatusOr<FsStats> stats(const std::string& path) override;
  StatusOr<uint64_t> deviceSize(const std::string& devnode) override;

 private:
  const BlkidFilesystemsOptions options_;
};

}  // namespace tnascsi::agent

// EXT4_IOC_RESIZE_FS / XFS_IOC_FSGROWFSDATA (see online_grow.h).
#include "agent/block/online_grow.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

#include "common/base/unique_fd.h"
#include "common/log/log.h"

namespace tnascsi::agent {
namespace {

// ext4: _IOW('f', 16, __u64), argument = new block count.
constexpr unsigned long kExt4IocResizeFs = _IOW('f', 16, uint64_t);

// xfs geometry as returned by XFS_IOC_FSGEOMETRY_V4 (the 112-byte v4 layout, understood by every
// kernel since 2.6; newer kernels also offer a 256-byte v5).
struct XfsGeometryV4 {
  uint32_t blocksize;
  uint32_t rtextsize;
  uint32_t agblocks;
  uint32_t agcount;
  uint32_t logblocks;
  uint32_t sectsize;
  uint32_t inodesize;
  uint32_t imaxpct;
  uint64_t datablocks;
  uint64_t rtblocks;
  uint64_t rtextents;
  uint64_t logstart;
  unsigned char uuid[16];
  uint32_t sunit;
  uint32_t swidth;
  int32_t version;
  uint32_t flags;
  uint32_t logsectsize;
  uint32_t rtsectsize;
  uint32_t dirblocksize;
  uint32_t logsunit;
};
static_assert(sizeof(XfsGeometryV4) == 112);
static_assert(offsetof(XfsGeometryV4, datablocks) == 32);

struct XfsGrowfsData {
  uint64_t newblocks;
  uint32_t imaxpct;
};
static_assert(sizeof(XfsGrowfsData) == 16);

constexpr unsigned long kXfsIocFsGeometryV4 = _IOR('X', 124, XfsGeometryV4);
constexpr unsigned long kXfsIocFsGrowFsData = _IOW('X', 110, XfsGrowfsData);

Status ioctlError(const std::string& what, int err) {
  if (err == EPERM || err == EACCES) {
    return absl::PermissionDeniedError(what + ": the kernel refused the resize (" +
                                       std::string(strerror(err)) +
                                       "); the agent needs CAP_SYS_RESOURCE/CAP_SYS_ADMIN");
  }
  return common::errnoStatus(what, err);
}

}  // namespace

Status growExt4(const std::string& mountPath, uint64_t deviceBytes) {
  common::UniqueFd fd(::open(mountPath.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) {
    return common::errnoStatus("open " + mountPath, errno);
  }
  struct statvfs sv {};
  if (::fstatvfs(fd.get(), &sv) != 0) {
    return common::errnoStatus("statvfs " + mountPath, errno);
  }
  if (sv.f_bsize == 0) {
    return absl::InternalError("ext4 reports block size 0 at " + mountPath);
  }
  uint64_t blocks = deviceBytes / sv.f_bsize;
  TNAS_LOG(Info).kv("path", mountPath).kv("blocks", blocks) << "growing ext4 online";
  if (::ioctl(fd.get(), kExt4IocResizeFs, &blocks) != 0) {
    const int err = errno;
    if (err == EINVAL) {
      return absl::FailedPreconditionError("ext4 at " + mountPath + " refused to resize to " +
                                           std::to_string(blocks) +
                                           " blocks (device smaller than the filesystem?)");
    }
    return ioctlError("grow ext4 at " + mountPath, err);
  }
  return absl::OkStatus();
}

Status growXfs(const std::string& mountPath, uint64_t deviceBytes) {
  common::UniqueFd fd(::open(mountPath.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) {
    return common::errnoStatus("open " + mountPath, errno);
  }
  XfsGeometryV4 geo{};
  if (::ioctl(fd.get(), kXfsIocFsGeometryV4, &geo) != 0) {
    return common::errnoStatus("xfs geometry of " + mountPath, errno);
  }
  if (geo.blocksize == 0) {
    return absl::InternalError("xfs reports block size 0 at " + mountPath);
  }
  const uint64_t blocks = deviceBytes / geo.blocksize;
  if (blocks == geo.datablocks) {
    return absl::OkStatus();
  }
  if (blocks < geo.datablocks) {
    return absl::FailedPreconditionError("device under " + mountPath + " (" +
                                         std::to_string(blocks) +
                                         " blocks) is smaller than "
                                         "its xfs filesystem (" +
                                         std::to_string(geo.datablocks) + " blocks)");
  }
  XfsGrowfsData in{};
  in.newblocks = blocks;
  in.imaxpct = geo.imaxpct;
  TNAS_LOG(Info).kv("path", mountPath).kv("from_blocks", geo.datablocks).kv("to_blocks", blocks)
      << "growing xfs online";
  if (::ioctl(fd.get(), kXfsIocFsGrowFsData, &in) != 0) {
    return ioctlError("grow xfs at " + mountPath, errno);
  }
  return absl::OkStatus();
}

}  // namespace tnascsi::agent

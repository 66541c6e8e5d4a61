// Online filesystem growth by ioctl on a mounted filesystem (no resize2fs/xfs_growfs exec).
// The small kernel ABI pieces (ioctl numbers, xfs geometry/growfs structs) are declared in
// online_grow.cc. Thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "common/base/status.h"

namespace tnascsi::agent {

// Grows the ext4 filesystem mounted at `mountPath` to `deviceBytes` (EXT4_IOC_RESIZE_FS).
Status growExt4(const std::string& mountPath, uint64_t deviceBytes);

// Grows the xfs filesystem mounted at `mountPath` to `deviceBytes` (XFS_IOC_FSGEOMETRY +
// XFS_IOC_FSGROWFSDATA). OK without an ioctl when it already fills the device.
Status growXfs(const std::string& mountPath, uint64_t deviceBytes);

}  // namespace tnascsi::agent

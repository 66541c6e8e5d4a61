// The owner and mode of a new NFS volume's root directory (StorageClass parameters nfsRootMode,
// nfsRootUid, nfsRootGid, nfsRootStripAcl; docs/storageclass-parameters.md). TrueNAS creates a
// dataset's root as 0755 root:root, which pods running as another user cannot write to; these
// are applied with filesystem.setperm / filesystem.chown after the dataset is made and before its
// share exists. Parsing is pure and thread-safe; every error is INVALID_ARGUMENT naming the
// parameter and what is allowed.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/base/status.h"

namespace tnascsi::controller::provision {

struct NfsRootPermissions {
  std::optional<uint32_t> mode;  // permission bits 0001-0777
  std::optional<int64_t> uid;    // 0-2147483647
  std::optional<int64_t> gid;
  bool stripAcl = false;  // let setperm remove a non-trivial ACL inherited from the parent
  bool any() const { return mode || uid || gid; }
};

// Reads the nfsRoot* keys of `parameters` (other keys are ignored).
StatusOr<NfsRootPermissions> parseNfsRootPermissions(
    const std::map<std::string, std::string>& parameters);

}  // namespace tnascsi::controller::provision

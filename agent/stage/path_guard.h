// PathGuard: the agent runs privileged and mounts at paths named in requests, so every staging
// and target path, and every volume id, is treated as hostile until checked here. Thread-safe
// (immutable after construction).
#pragma once

#include <string>

#include "common/base/status.h"

namespace tnascsi::agent::stage {

// Volume ids: 1..256 bytes of [A-Za-z0-9._:/@+=-], not starting with '/' or '.', no "..".
// InvalidArgument otherwise.
Status validateVolumeId(const std::string& volumeId);

class PathGuard {
 public:
  // `root` is the kubelet directory (e.g. /var/lib/kubelet); it must be absolute.
  explicit PathGuard(std::string root);

  // OK when `path` is absolute, normalised (no empty, "." or ".." components, no trailing '/'),
  // at most 4096 bytes, free of control characters, and lies strictly below the root as a string.
  // InvalidArgument otherwise, naming `field` ("staging_target_path", "target_path", ...) and
  // showing at most 256 bytes of the path. This is the string check only: symlinks are judged
  // when the flows resolve the path with BeneathRoot and act on what it found.
  Status check(const std::string& path, const std::string& field) const;

  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

}  // namespace tnascsi::agent::stage

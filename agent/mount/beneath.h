// BeneathRoot: resolve a path below a trusted root directory (the kubelet directory) once, without
// ever leaving the root, and hand back file descriptors of what was found, so that every later
// mkdir, mount, unmount and unlink acts on the object that was checked and not on whatever the
// path string names by then (a directory swapped for a symlink with renameat2(RENAME_EXCHANGE)
// between a check and a use cannot redirect the action).
//
// Resolution: the parent directory is opened with openat2(RESOLVE_BENEATH|RESOLVE_NO_MAGICLINKS)
// from an O_PATH fd of the root (symlinks are followed only while they stay below the root);
// missing directories are created with mkdirat on the fd of their parent, walking one component
// at a time with O_NOFOLLOW (no symlink at all is followed there). The final component is always
// opened with a single openat(O_PATH|O_NOFOLLOW) on the parent's fd: it is never followed. When the
// running kernel lacks openat2 (ENOSYS, Linux < 5.6) the whole path is walked component by
// component with O_NOFOLLOW instead.
//
// Thread-safe (immutable after construction).
#pragma once

#include <sys/stat.h>

#include <string>

#include "common/base/status.h"
#include "common/base/unique_fd.h"

namespace tnascsi::agent {

// "/proc/self/fd/<fd>": the kernel resolves it to exactly the object the fd refers to.
std::string procFdPath(int fd);

// A path resolved below the root: an O_PATH fd of its parent directory and, unless only the
// parent was asked for or the object does not exist, an O_PATH fd of the object itself (a mount
// stacked on it is crossed: the fd then refers to the topmost mount's root). Move-only.
class ResolvedPath {
 public:
  const std::string& path() const { return path_; }  // as asked (absolute)
  const std::string& name() const { return name_; }  // final component
  int parentFd() const { return parent_.get(); }
  int fd() const { return object_.get(); }   // -1 when not opened
  bool exists() const { return exists_; }    // false when only the parent was resolved
  bool created() const { return created_; }  // created by this resolution
  bool isDirectory() const { return exists_ && S_ISDIR(stat_.st_mode); }
  bool isRegularFile() const { return exists_ && S_ISREG(stat_.st_mode); }
  const struct stat& stat() const { return stat_; }
  // "/proc/self/fd/<fd>": the object (mount(2) target, statvfs).
  std::string viaFd() const { return procFdPath(fd()); }
  // "/proc/self/fd/<parentFd>/<name>": the name in the verified parent (umount2 with
  // UMOUNT_NOFOLLOW: the final component is never followed and no fd pins the mount).
  std::string viaParent() const { return procFdPath(parentFd()) + "/" + name_; }

 private:
  friend class BeneathRoot;
  std::string path_;
  std::string name_;
  common::UniqueFd parent_;
  common::UniqueFd object_;
  bool exists_ = false;
  bool created_ = false;
  struct stat stat_ {};
};

class BeneathRoot {
 public:
  // What resolve() opens or creates.
  enum class Want {
    kParent,     // the parent only (must exist); the final component is not looked at
    kExisting,   // parent and object; NotFound when either is missing
    kDirectory,  // create missing parents and the final directory (0750)
    kFile,       // create missing parents and the final regular file (0640)
  };

  // `root` is absolute; it is trusted (configuration), so symlinks in it are followed.
  explicit BeneathRoot(std::string root);

  // Resolves `path`, which must lie strictly below the root as a string. Errors: InvalidArgument
  // when the path leaves the root (a symlink pointing out, a component that is not a directory,
  // a final component that is a symlink or of the wrong type); NotFound when a needed part is
  // missing; FailedPrecondition when the root itself cannot be opened; the errno mapping
  // otherwise. Error messages show at most kShownPathBytes of the path.
  StatusOr<ResolvedPath> resolve(const std::string& path, Want want) const;

  const std::string& root() const { return root_; }

  // Tests: resolve as on a kernel without openat2.
  void forceComponentWalk(bool on) { componentWalk_ = on; }

 private:
  StatusOr<common::UniqueFd> openParent(int rootFd, const std::string& rel, const std::string& path,
                                        bool create) const;
  StatusOr<common::UniqueFd> walk(int rootFd, const std::string& rel, const std::string& path,
                                  bool create) const;

  std::string root_;
  bool componentWalk_ = false;
};

// Paths and other request strings shown in error messages are cut to this many bytes.
inline constexpr size_t kShownPathBytes = 256;

// `text` cut to `max` bytes with "..." appended when it was longer (errors never echo unbounded
// input: a 10 kB path would push a gRPC status past the client's metadata limit).
std::string bounded(const std::string& text, size_t max = kShownPathBytes);

}  // namespace tnascsi::agent

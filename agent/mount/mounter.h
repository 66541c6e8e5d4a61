// Mounter: the agent's seam to the mount table (libmount to read mountinfo, the mount syscalls to
// mount and unmount). Every answer is read from the kernel at call time. Every mount and unmount
// acts on a ResolvedPath (agent/mount/beneath.h): the fds of an object resolved once below the
// kubelet directory, never on a path string the kernel would resolve again. Thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/mount/beneath.h"
#include "agent/mount/mount_options.h"
#include "common/base/status.h"

namespace tnascsi::agent {

// One line of /proc/self/mountinfo.
struct MountEntry {
  std::string source;  // "/dev/sda", "server:/export", ...
  std::string target;  // mount point
  std::string fsType;
  std::string options;  // VFS + fs options, comma-separated
  std::string root;     // root of the mount within the filesystem ("/" unless a bind of a subdir)
  unsigned major = 0;   // device of the mounted filesystem
  unsigned minor = 0;
  bool readOnly() const;
};

// An NFS mount: the kernel's text options are built from these (no mount.nfs helper).
struct NfsMountSpec {
  std::string server;           // host name or address; resolved by the implementation
  std::string exportPath;       // "/mnt/tank/k8s/nfs-1"
  std::string target;           // for messages; the mount goes onto the ResolvedPath given with it
  std::string version = "4.2";  // "3", "4", "4.0", "4.1", "4.2"
  std::vector<std::string>
      options;  // user options: hard/soft, timeo=, retrans=, nconnect=, proto=, ro
};

class Mounter {
 public:
  virtual ~Mounter() = default;

  // The mount whose mount point is exactly `target` (the topmost if stacked), or nullopt.
  virtual StatusOr<std::optional<MountEntry>> findByTarget(const std::string& target) = 0;

  // Every mount whose source device is `devnode` (by major:minor, so /dev/sda and its udev
  // symlinks match), including binds of the device node itself onto a file (raw block publish).
  virtual StatusOr<std::vector<MountEntry>> findByDevice(const std::string& devnode) = 0;

  // Every mount whose device numbers are major:minor (a filesystem and all binds of it).
  virtual StatusOr<std::vector<MountEntry>> findByNumbers(unsigned major, unsigned minor) = 0;

  // Mounts a filesystem onto the directory `target` (opened, fd() set). `options` is the
  // comma-separated option string (e.g. "noatime,ro").
  virtual Status mount(const std::string& source, const ResolvedPath& target,
                       const std::string& fsType, const std::string& options) = 0;

  // Bind-mounts the device node `devnode` (raw block publish; a node under /dev found through
  // sysfs, not a request path) onto the regular file `target`, read-only when asked; the flags are
  // set before the bind is attached.
  virtual Status bindMount(const std::string& devnode, const ResolvedPath& target,
                           bool readOnly) = 0;

  // Bind-mounts the directory `source` at `target` with exactly the per-mount flags of `flags`
  // (set on the detached copy before it is attached, so it is never visible with flags inherited
  // from the source mount; the atime mode is kept when `flags` names none). Not idempotent: the
  // caller checks findByTarget first. This default handles read-only alone through bindMount and
  // answers Unimplemented for other flags; LibmountMounter does the real thing.
  virtual Status bindMountWithFlags(const ResolvedPath& source, const ResolvedPath& target,
                                    const BindFlags& flags) {
    if (!flags.onlyReadOnly()) {
      return absl::UnimplementedError("this mounter cannot set per-mount flags (" +
                                      flags.describe() + ")");
    }
    return bindMount(source.path(), target, flags.readOnly);
  }

  // Mounts NFS with mount(2) and the kernel's text options onto the directory `target`.
  virtual Status mountNfs(const NfsMountSpec& spec, const ResolvedPath& target) = 0;

  // Unmounts the topmost mount at `target` (its parent fd and name are used; UMOUNT_NOFOLLOW).
  // OK if nothing is mounted there. With `force`, a stale or hung mount (e.g. an unreachable NFS
  // server) is detached (MNT_FORCE, then MNT_DETACH) without blocking the caller.
  virtual Status unmount(const ResolvedPath& target, bool force) = 0;

  // True if `target` is a mount point whose filesystem no longer answers (ESTALE/EIO/ENOTCONN or
  // a stat that does not return within a short deadline).
  virtual bool isStale(const std::string& target) = 0;
};

using MounterPtr = std::unique_ptr<Mounter>;

}  // namespace tnascsi::agent

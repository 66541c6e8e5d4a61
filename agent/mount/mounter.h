// Mounter: the agent's seam to the mount table (libmount to read mountinfo, libmount/mount(2) to
// mount and unmount). Every answer is read from the kernel at call time. Thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

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
  std::string server;      // host name or address; resolved by the implementation
  std::string exportPath;  // "/mnt/tank/k8s/nfs-1"
  std::string target;
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

  // Mounts a filesystem. `options` is the comma-separated option string (e.g. "noatime,ro").
  virtual Status mount(const std::string& source, const std::string& target,
                       const std::string& fsType, const std::string& options) = 0;

  // Bind-mounts `source` (a directory, or a device node onto a file) at `target`, read-only when
  // asked (a bind followed by a read-only remount, as the kernel requires).
  virtual Status bindMount(const std::string& source, const std::string& target, bool readOnly) = 0;

  // Bind-mounts the directory `source` at `target` with exactly the per-mount flags of `flags`:
  // a bind, then MS_REMOUNT|MS_BIND|flags.msFlags (the kernel ignores flags on the bind itself),
  // so the bind never keeps flags inherited from the source mount (the atime mode is kept when
  // `flags` names none). On a failed remount the bind is detached again. Not idempotent: the
  // caller checks findByTarget first. This default handles read-only alone through bindMount
  // and answers Unimplemented for other flags; LibmountMounter does the real thing.
  virtual Status bindMountWithFlags(const std::string& source, const std::string& target,
                                    const BindFlags& flags) {
    if (!flags.onlyReadOnly()) {
      return absl::UnimplementedError("this mounter cannot set per-mount flags (" +
                                      flags.describe() + ")");
    }
    return bindMount(source, target, flags.readOnly);
  }

  // Mounts NFS with mount(2) and the kernel's text options.
  virtual Status mountNfs(const NfsMountSpec& spec) = 0;

  // Unmounts `target`. OK if nothing is mounted there. With `force`, a stale or hung mount
  // (e.g. an unreachable NFS server) is detached (MNT_FORCE, then MNT_DETACH) without blocking
  // the caller.
  virtual Status unmount(const std::string& target, bool force) = 0;

  // True if `target` is a mount point whose filesystem no longer answers (ESTALE/EIO/ENOTCONN or
  // a stat that does not return within a short deadline).
  virtual bool isStale(const std::string& target) = 0;
};

using MounterPtr = std::unique_ptr<Mounter>;

}  // namespace tnascsi::agent

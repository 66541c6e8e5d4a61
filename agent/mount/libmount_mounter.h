// LibmountMounter: the real Mounter. Reads /proc/self/mountinfo through libmount on every call,
// mounts filesystems with mount(2) onto /proc/self/fd/N of the verified O_PATH fd of the target
// (VFS flags and filesystem options split by libmount's option map, so no mount helper is ever
// exec'd), binds with the new mount API (open_tree(OPEN_TREE_CLONE), mount_setattr on the
// detached copy, move_mount(MOVE_MOUNT_T_EMPTY_PATH) onto the target's fd; Linux >= 5.12, a clear
// Unimplemented error on older kernels), unmounts with umount2(UMOUNT_NOFOLLOW) of the name in the
// verified parent directory's fd. Stale NFS mounts never hang a caller:
// staleness is judged by a stat with a deadline, and a forced unmount uses MNT_FORCE then
// MNT_DETACH. Thread-safe (no mutable state).
#pragma once

#include <chrono>
#include <string>

#include "agent/mount/mounter.h"
#include "agent/mount/nfs_options.h"

namespace tnascsi::agent {

class LibmountMounter final : public Mounter {
 public:
  struct Options {
    std::string mountinfoPath = "/proc/self/mountinfo";
    std::chrono::milliseconds staleDeadline{2000};
    AddressResolver resolve = resolveHostAddress;
    LocalAddressFinder localAddress = localAddressTowards;
  };
  LibmountMounter() : LibmountMounter(Options{}) {}
  explicit LibmountMounter(Options options) : options_(std::move(options)) {}

  StatusOr<std::optional<MountEntry>> findByTarget(const std::string& target) override;
  StatusOr<std::vector<MountEntry>> findByDevice(const std::string& devnode) override;
  StatusOr<std::vector<MountEntry>> findByNumbers(unsigned major, unsigned minor) override;
  Status mount(const std::string& source, const ResolvedPath& target, const std::string& fsType,
               const std::string& options) override;
  Status bindMount(const std::string& devnode, const ResolvedPath& target, bool readOnly) override;
  Status bindMountWithFlags(const ResolvedPath& source, const ResolvedPath& target,
                            const BindFlags& flags) override;
  Status mountNfs(const NfsMountSpec& spec, const ResolvedPath& target) override;
  Status unmount(const ResolvedPath& target, bool force) override;
  bool isStale(const std::string& target) override;

  // Every entry of the mount table, in mountinfo order.
  StatusOr<std::vector<MountEntry>> list();

 private:
  Options options_;
};

}  // namespace tnascsi::agent

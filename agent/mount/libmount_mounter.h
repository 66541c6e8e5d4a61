// LibmountMounter: the real Mounter. Reads /proc/self/mountinfo through libmount on every call,
// mounts with mount(2) (VFS flags and filesystem options split by libmount's option map, so no
// mount helper is ever exec'd), unmounts with umount2(2). Stale NFS mounts never hang a caller:
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
  Status mount(const std::string& source, const std::string& target, const std::string& fsType,
               const std::string& options) override;
  Status bindMount(const std::string& source, const std::string& target, bool readOnly) override;
  Status bindMountWithFlags(const std::string& source, const std::string& target,
                            const BindFlags& flags) override;
  Status mountNfs(const NfsMountSpec& spec) override;
  Status unmount(const std::string& target, bool force) override;
  bool isStale(const std::string& target) override;

  // Every entry of the mount table, in mountinfo order.
  StatusOr<std::vector<MountEntry>> list();

 private:
  Options options_;
};

}  // namespace tnascsi::agent

// FakeKernel and the four fakes built on it: a stateful, map-backed stand-in for the host's iSCSI
// sessions, SCSI LUNs/block devices, on-disk contents and mount table. The fakes implement the
// agent's seams (IscsiInitiator, BlockDevices, Filesystems, Mounter) against one shared
// FakeKernel, so a login makes devices appear, a format changes what a probe sees, a logout makes
// devices vanish, and mounts are visible to findByTarget/findByDevice — the same causality the
// real kernel has. Tests arrange targets, inject failures per operation, and read counters.
//
// Thread-safe: every fake call locks FakeKernel::mu. Test code may touch the public fields while no
// fake call is running (or while holding `mu`).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "agent/block/block_devices.h"
#include "agent/block/filesystems.h"
#include "agent/block/multipath_maps.h"
#include "agent/iscsi/initiator.h"
#include "agent/mount/mounter.h"

namespace tnascsi::agent::fakes {

struct FakeLun {
  int lun = 0;
  std::string serial;
  std::vector<std::string> designators;
  uint64_t sizeBytes = 1ull << 30;
  ProbeResult content;  // what a probe finds (blank by default)
  // When set, the device for this LUN uses this node (e.g. a real loop device, so real
  // Filesystems/Mounter implementations can act on it); otherwise a made-up /dev/sdX.
  std::string devnode;
};

inline FakeLun makeLun(int lun, std::string serial, std::vector<std::string> designators = {}) {
  FakeLun l;
  l.lun = lun;
  l.serial = std::move(serial);
  l.designators = std::move(designators);
  return l;
}

struct FakeTarget {
  std::string iqn;
  std::string address = "192.0.2.10";
  int port = 3260;
  std::map<int, FakeLun> luns;
  std::string chapUser;  // when set, logins must present exactly these credentials
  std::string chapSecret;
  bool reachable = true;
  // Multipath: further portal addresses of the same target, and a serial the LUNs report through
  // one portal address (a path that is not the same LUN).
  std::vector<std::string> moreAddresses;
  std::map<std::string, std::string> serialVia;
};

struct FakeDevice {
  BlockDevice device;
  int sid = -1;
  int lun = 0;
  bool hasHolders = false;
  // A dm-multipath map (FakeMultipathMaps): the IQN whose LUN it carries, its name and the path
  // disks it holds. Maps have no session (sid -1) and survive logouts, as in the kernel.
  std::string mapOf;
  std::string mapName;
  std::vector<std::string> slaves;
};

class FakeKernel {
 public:
  mutable std::mutex mu;

  // --- arrangement ---
  void addTarget(FakeTarget target);
  // The LUN `lun` of target `iqn` (the backing store; survives logouts). Caller holds no lock.
  FakeLun& lunOf(const std::string& iqn, int lun);

  // --- state (guarded by mu) ---
  std::map<std::string, FakeTarget> targets;  // by IQN
  std::map<int, IscsiSession> sessions;       // by sid
  std::map<std::string, FakeDevice> devices;  // by devnode
  std::vector<MountEntry> mounts;             // in mount order (last = topmost)
  std::set<std::string> staleMounts;          // targets whose filesystem no longer answers
  std::string initiatorIqn = "iqn.2026-01.test:node-a";
  bool scanOnLogin = true;  // false: LUNs appear only through waitForLun's precise scan
  int nextSid = 1;
  int nextDevice = 0;
  // Device numbers per mount source (the same source is the same filesystem, as NFS shares a
  // superblock); a bind keeps the numbers of what it binds.
  std::map<std::string, std::pair<unsigned, unsigned>> sourceNumbers;
  unsigned nextMinor = 1;

  // Failure injection: a non-OK status registered under an operation name ("login", "logout",
  // "waitForLun", "format", "mount", "bindMount", "mountNfs", "unmount", "growOnline",
  // "rescanLun", "removeLun", "flush", "probe", "stats") is returned by every call of it.
  std::map<std::string, Status> failures;

  // Call counters by operation name.
  std::map<std::string, int> calls;
  std::vector<LoginRequest> loginRequests;
  std::vector<std::pair<std::string, std::vector<std::string>>> formats;  // fsType, options
  // Every operation in call order (what failureLocked saw), for ordering assertions.
  std::vector<std::string> journal;
  bool multipathd = true;  // false: no map ever appears (multipathd not running)
  int nextMap = 0;

  // --- helpers for tests (lock internally) ---
  int count(const std::string& op) const;
  // Simulates a session that vanished (target reboot, manual logout): session and devices gone.
  void dropSession(int sid);
  // Simulates a device that vanished (LUN unmapped) while the session stays.
  void dropDevice(const std::string& devnode);
  std::optional<IscsiSession> sessionFor(const std::string& iqn) const;
  std::string devnodeFor(const std::string& iqn, int lun) const;  // "" if absent
  bool isMounted(const std::string& target) const;

  // --- used by the fakes (caller holds mu) ---
  Status failureLocked(const std::string& op);
  FakeDevice* createDeviceLocked(int sid, int lun);
  FakeDevice* deviceAtLocked(const ScsiAddress& address);
  FakeLun* backingLocked(const FakeDevice& device);
  void numberLocked(MountEntry* entry);
};

class FakeIscsiInitiator final : public IscsiInitiator {
 public:
  explicit FakeIscsiInitiator(FakeKernel& kernel) : k_(kernel) {}
  Status probe() override;
  StatusOr<std::string> initiatorName() override;
  StatusOr<IscsiSession> login(const LoginRequest& request) override;
  Status logout(int sid) override;
  StatusOr<std::vector<IscsiSession>> sessions() override;
  StatusOr<std::optional<IscsiSession>> findSession(const std::string& targetIqn,
                                                    const std::string& address, int port) override;

 private:
  FakeKernel& k_;
};

class FakeBlockDevices final : public BlockDevices {
 public:
  explicit FakeBlockDevices(FakeKernel& kernel) : k_(kernel) {}
  StatusOr<std::vector<ScsiAddress>> sessionLuns(int sid) override;
  StatusOr<BlockDevice> findLun(const ScsiAddress& address) override;
  StatusOr<BlockDevice> waitForLun(const ScsiAddress& address,
                                   std::chrono::milliseconds timeout) override;
  StatusOr<BlockDevice> rescanLun(const ScsiAddress& address) override;
  Status flush(const std::string& devnode) override;
  Status removeLun(const ScsiAddress& address) override;

 private:
  FakeKernel& k_;
};

class FakeFilesystems final : public Filesystems {
 public:
  explicit FakeFilesystems(FakeKernel& kernel) : k_(kernel) {}
  StatusOr<ProbeResult> probe(const std::string& devnode) override;
  Status format(const std::string& devnode, const std::string& fsType,
                const std::vector<std::string>& options) override;
  Status growOnline(const std::string& mountPath, const std::string& fsType,
                    const std::string& devnode) override;
  StatusOr<FsStats> stats(const std::string& path) override;
  StatusOr<uint64_t> deviceSize(const std::string& devnode) override;

 private:
  FakeKernel& k_;
};

class FakeMounter final : public Mounter {
 public:
  explicit FakeMounter(FakeKernel& kernel) : k_(kernel) {}
  StatusOr<std::optional<MountEntry>> findByTarget(const std::string& target) override;
  StatusOr<std::vector<MountEntry>> findByDevice(const std::string& devnode) override;
  StatusOr<std::vector<MountEntry>> findByNumbers(unsigned major, unsigned minor) override;
  // The handle's parent fd must name the directory of its path (checked through /proc/self/fd).
  Status mount(const std::string& source, const ResolvedPath& target, const std::string& fsType,
               const std::string& options) override;
  Status bindMount(const std::string& source, const ResolvedPath& target, bool readOnly) override;
  Status mountNfs(const NfsMountSpec& spec, const ResolvedPath& target) override;
  Status unmount(const ResolvedPath& target, bool force) override;
  bool isStale(const std::string& target) override;

  // Arrangement by path string, for tests (someone else's mounts).
  Status mount(const std::string& source, const std::string& target, const std::string& fsType,
               const std::string& options);
  Status unmount(const std::string& target, bool force);

 private:
  FakeKernel& k_;
};

// multipathd + device-mapper: waitForMap assembles a map over path disks that exist (when
// `multipathd`), holding them (removeLun then refuses, as sysfs delete of a held disk would).
class FakeMultipathMaps final : public MultipathMaps {
 public:
  explicit FakeMultipathMaps(FakeKernel& kernel) : k_(kernel) {}
  StatusOr<MultipathMap> waitForMap(const std::vector<std::string>& paths,
                                    std::chrono::milliseconds timeout) override;
  StatusOr<std::optional<MultipathMap>> findByUuid(const std::string& uuid) override;
  Status removeMap(const std::string& name) override;
  // The maps present now (test helper; locks).
  std::vector<MultipathMap> maps() const;

 private:
  FakeKernel& k_;
};

// All four fakes over one kernel, for convenience.
struct FakeHost {
  FakeKernel kernel;
  FakeIscsiInitiator initiator{kernel};
  FakeBlockDevices blocks{kernel};
  FakeFilesystems filesystems{kernel};
  FakeMounter mounter{kernel};
  FakeMultipathMaps multipath{kernel};
};

}  // namespace tnascsi::agent::fakes

// FakeKernel and its fakes (see fake_kernel.h).
#include "test/fakes/agent/kernel/fake_kernel.h"

#include <unistd.h>

#include <algorithm>

namespace tnascsi::agent::fakes {
namespace {

std::string deviceName(int n) {
  std::string s;
  do {
    s.insert(s.begin(), static_cast<char>('a' + n % 26));
    n = n / 26 - 1;
  } while (n >= 0);
  return "sd" + s;
}

}  // namespace

// ---------------------------------------------------------------- FakeKernel
void FakeKernel::addTarget(FakeTarget target) {
  std::lock_guard<std::mutex> lock(mu);
  for (auto& [n, lun] : target.luns) lun.lun = n;
  targets[target.iqn] = std::move(target);
}

FakeLun& FakeKernel::lunOf(const std::string& iqn, int lun) {
  std::lock_guard<std::mutex> lock(mu);
  return targets.at(iqn).luns.at(lun);
}

int FakeKernel::count(const std::string& op) const {
  std::lock_guard<std::mutex> lock(mu);
  auto it = calls.find(op);
  return it == calls.end() ? 0 : it->second;
}

void FakeKernel::dropSession(int sid) {
  std::lock_guard<std::mutex> lock(mu);
  sessions.erase(sid);
  for (auto it = devices.begin(); it != devices.end();) {
    it = it->second.sid == sid ? devices.erase(it) : std::next(it);
  }
}

void FakeKernel::dropDevice(const std::string& devnode) {
  std::lock_guard<std::mutex> lock(mu);
  devices.erase(devnode);
}

std::optional<IscsiSession> FakeKernel::sessionFor(const std::string& iqn) const {
  std::lock_guard<std::mutex> lock(mu);
  for (const auto& [sid, s] : sessions) {
    if (s.targetIqn == iqn) return s;
  }
  return std::nullopt;
}

std::string FakeKernel::devnodeFor(const std::string& iqn, int lun) const {
  std::lock_guard<std::mutex> lock(mu);
  for (const auto& [node, d] : devices) {
    auto s = sessions.find(d.sid);
    if (s != sessions.end() && s->second.targetIqn == iqn && d.lun == lun) return node;
  }
  return "";
}

bool FakeKernel::isMounted(const std::string& target) const {
  std::lock_guard<std::mutex> lock(mu);
  for (const auto& m : mounts) {
    if (m.target == target) return true;
  }
  return false;
}

Status FakeKernel::failureLocked(const std::string& op) {
  ++calls[op];
  journal.push_back(op);
  auto it = failures.find(op);
  return it == failures.end() ? absl::OkStatus() : it->second;
}

FakeDevice* FakeKernel::createDeviceLocked(int sid, int lun) {
  auto s = sessions.find(sid);
  if (s == sessions.end()) return nullptr;
  auto t = targets.find(s->second.targetIqn);
  if (t == targets.end()) return nullptr;
  auto l = t->second.luns.find(lun);
  if (l == t->second.luns.end()) return nullptr;
  for (auto& [node, d] : devices) {
    if (d.sid == sid && d.lun == lun) return &d;
  }
  FakeDevice d;
  d.sid = sid;
  d.lun = lun;
  d.device.sysname = deviceName(nextDevice++);
  d.device.devnode = "/dev/" + d.device.sysname;
  if (!l->second.devnode.empty()) {
    d.device.devnode = l->second.devnode;
    d.device.sysname = l->second.devnode.substr(l->second.devnode.find_last_of('/') + 1);
  }
  d.device.address = ScsiAddress{s->second.hostNo, 0, 0, lun};
  d.device.sizeBytes = l->second.sizeBytes;
  d.device.vendor = "TrueNAS";
  d.device.model = "iSCSI Disk";
  d.device.state = "running";
  d.device.identity.serial = l->second.serial;
  if (auto via = t->second.serialVia.find(s->second.address); via != t->second.serialVia.end()) {
    d.device.identity.serial = via->second;
  }
  d.device.identity.designators = l->second.designators;
  auto [it, inserted] = devices.emplace(d.device.devnode, d);
  return &it->second;
}

FakeDevice* FakeKernel::deviceAtLocked(const ScsiAddress& address) {
  for (auto& [node, d] : devices) {
    if (d.device.address == address) return &d;
  }
  return nullptr;
}

FakeLun* FakeKernel::backingLocked(const FakeDevice& device) {
  if (!device.mapOf.empty()) {
    auto t = targets.find(device.mapOf);
    if (t == targets.end()) return nullptr;
    auto l = t->second.luns.find(device.lun);
    return l == t->second.luns.end() ? nullptr : &l->second;
  }
  auto s = sessions.find(device.sid);
  if (s == sessions.end()) return nullptr;
  auto t = targets.find(s->second.targetIqn);
  if (t == targets.end()) return nullptr;
  auto l = t->second.luns.find(device.lun);
  return l == t->second.luns.end() ? nullptr : &l->second;
}

// ---------------------------------------------------------------- FakeIscsiInitiator
Status FakeIscsiInitiator::probe() {
  std::lock_guard<std::mutex> lock(k_.mu);
  return k_.failureLocked("probe");
}

StatusOr<std::string> FakeIscsiInitiator::initiatorName() {
  std::lock_guard<std::mutex> lock(k_.mu);
  TNAS_RETURN_IF_ERROR(k_.failureLocked("initiatorName"));
  if (k_.initiatorIqn.empty()) return absl::NotFoundError("iscsid has no InitiatorName");
  return k_.initiatorIqn;
}

StatusOr<IscsiSession> FakeIscsiInitiator::login(const LoginRequest& request) {
  std::lock_guard<std::mutex> lock(k_.mu);
  k_.loginRequests.push_back(request);
  TNAS_RETURN_IF_ERROR(k_.failureLocked("login"));
  auto t = k_.targets.find(request.targetIqn);
  bool portal = t != k_.targets.end() &&
                (t->second.address == request.address ||
                 std::find(t->second.moreAddresses.begin(), t->second.moreAddresses.end(),
                           request.address) != t->second.moreAddresses.end());
  if (!portal || !t->second.reachable || t->second.port != request.port) {
    return absl::UnavailableError("iSCSI login to " + request.targetIqn + " failed: no target");
  }
  for (const auto& [sid, s] : k_.sessions) {
    if (s.targetIqn == request.targetIqn && s.address == request.address &&
        s.port == request.port) {
      return s;
    }
  }
  if (!t->second.chapUser.empty() &&
      (request.chap.user != t->second.chapUser || request.chap.secret != t->second.chapSecret)) {
    return absl::UnauthenticatedError("iSCSI login to " + request.targetIqn +
                                      ": CHAP authentication failed");
  }
  IscsiSession s;
  s.sid = k_.nextSid++;
  s.targetIqn = request.targetIqn;
  s.address = request.address;
  s.port = request.port;
  s.tpgt = 1;
  s.state = "LOGGED_IN";
  s.hostNo = s.sid + 10;
  s.initiatorName = k_.initiatorIqn;
  k_.sessions[s.sid] = s;
  if (k_.scanOnLogin) {
    for (const auto& [n, lun] : t->second.luns) k_.createDeviceLocked(s.sid, n);
  }
  return s;
}

Status FakeIscsiInitiator::logout(int sid) {
  std::lock_guard<std::mutex> lock(k_.mu);
  TNAS_RETURN_IF_ERROR(k_.failureLocked("logout"));
  k_.sessions.erase(sid);
  for (auto it = k_.devices.begin(); it != k_.devices.end();) {
    it = it->second.sid == sid ? k_.devices.erase(it) : std::next(it);
  }
  return absl::OkStatus();
}

StatusOr<std::vector<IscsiSession>> FakeIscsiInitiator::sessions() {
  std::lock_guard<std::mutex> lock(k_.mu);
  TNAS_RETURN_IF_ERROR(k_.failureLocked("sessions"));
  std::vector<IscsiSession> out;
  for (const auto& [sid, s] : k_.sessions) out.push_back(s);
  return out;
}

StatusOr<std::optional<IscsiSession>> FakeIscsiInitiator::findSession(const std::string& targetIqn,
                                                                      const std::string& address,
                                                                      int port) {
  std::lock_guard<std::mutex> lock(k_.mu);
  TNAS_RETURN_IF_ERROR(k_.failureLocked("findSession"));
  for (const auto& [sid, s] : k_.sessions) {
    if (s.targetIqn == targetIqn && s.address == address && s.port == port) {
      return std::optional<IscsiSession>(s);
    }
  }
  return std::optional<IscsiSession>();
}

// ---------------------------------------------------------------- FakeBlockDevices
StatusOr<std::vector<ScsiAddress>> FakeBlockDevices::sessionLuns(int sid) {
  std::lock_guard<std::mutex> lock(k_.mu);
  TNAS_RETURN_IF_ERROR(k_.failureLocked("sessionLuns"));
  if (k_.sessions.count(sid) == 0) return absl::NotFoundError("no session " + std::to_string(sid));
  std::vector<ScsiAddress> out;
  for (const auto& [node, d] : k_.devices) {
    if (d.sid == sid) out.push_back(d.device.address);
  }
  return out;
}

StatusOr<BlockDevice> FakeBlockDevices::findLun(const ScsiAddress& address) {
  std::lock_guard<std::mutex> lock(k_.mu);
  TNAS_RETURN_IF_ERROR(k_.failureLocked("findLun"));
  FakeDevice* d = k_.deviceAtLocked(address);
  if (d == nullptr) return absl::NotFoundError("no SCSI device at the address");
  return d->device;
}

StatusOr<BlockDevice> FakeBlockDevices::waitForLun(const ScsiAddress& address,
                                                   std::chrono::milliseconds) {
  std::lock_guard<std::mutex> lock(k_.mu);
  TNAS_RETURN_IF_ERROR(k_.failureLocked("waitForLun"));
  if (FakeDevice* d = k_.deviceAtLocked(address)) return d->device;
  for (const auto& [sid, s] : k_.sessions) {
    if (s.hostNo == address.host && s.state == "LOGGED_IN") {
      ++k_.calls["preciseScan"];
      if (FakeDevice* d = k_.createDeviceLocked(sid, address.lun)) return d->device;
    }
  }
  return absl::DeadlineExceededError("LUN did not appear");
}

StatusOr<BlockDevice> FakeBlockDevices::rescanLun(const ScsiAddress& address) {
  std::lock_guard<std::mutex> lock(k_.mu);
  TNAS_RETURN_IF_ERROR(k_.failureLocked("rescanLun"));
  FakeDevice* d = k_.deviceAtLocked(address);
  if (d == nullptr) return absl::NotFoundError("no SCSI device at the address");
  if (FakeLun* l = k_.backingLocked(*d)) d->device.sizeBytes = l->sizeBytes;
  return d->device;
}

Status FakeBlockDevices::flush(const std::string& devnode) {
  std::lock_guard<std::mutex> lock(k_.mu);
  TNAS_RETURN_IF_ERROR(k_.failureLocked("flush"));
  if (k_.devices.count(devnode) == 0) return absl::NotFoundError(devnode + " is gone");
  return absl::OkStatus();
}

Status FakeBlockDevices::removeLun(const ScsiAddress& address) {
  std::lock_guard<std::mutex> lock(k_.mu);
  TNAS_RETURN_IF_ERROR(k_.failureLocked("removeLun"));
  FakeDevice* d = k_.deviceAtLocked(address);
  if (d == nullptr) return absl::OkStatus();
  if (d->hasHolders) return absl::FailedPreconditionError(d->device.devnode + " has holders");
  k_.devices.erase(d->device.devnode);
  return absl::OkStatus();
}

// ---------------------------------------------------------------- FakeFilesystems
StatusOr<ProbeResult> FakeFilesystems::probe(const std::string& devnode) {
  std::lock_guard<std::mutex> lock(k_.mu);
  TNAS_RETURN_IF_ERROR(k_.failureLocked("probe"));
  auto d = k_.devices.find(devnode);
  if (d == k_.devices.end()) return absl::NotFoundError(devnode + " does not exist");
  FakeLun* l = k_.backingLocked(d->second);
  if (l == nullptr) return absl::NotFoundError(devnode + " has no backing LUN");
  return l->content;
}

Status FakeFilesystems::format(const std::string& devnode, const std::string& fsType,
                               const std::vector<std::string>& options) {
  std::lock_guard<std::mutex> lock(k_.mu);
  TNAS_RETURN_IF_ERROR(k_.failureLocked("format"));
  if (fsType != "ext4" && fsType != "xfs") {
    return absl::InvalidArgumentError("unsupported filesystem " + fsType);
  }
  auto d = k_.devices.find(devnode);
  if (d == k_.devices.end()) return absl::NotFoundError(devnode + " does not exist");
  FakeLun* l = k_.backingLocked(d->second);
  if (l == nullptr) return absl::NotFoundError(devnode + " has no backing LUN");
  l->content = ProbeResult{ProbeResult::Kind::kFilesystem, fsType, "uuid-" + devnode};
  k_.formats.emplace_back(fsType, options);
  return absl::OkStatus();
}

Status FakeFilesystems::growOnline(const std::string&, const std::string&, const std::string&) {
  std::lock_guard<std::mutex> lock(k_.mu);
  return k_.failureLocked("growOnline");
}

StatusOr<FsStats> FakeFilesystems::stats(const std::string& asked) {
  std::string path = asked;
  if (asked.rfind("/proc/self/fd/", 0) == 0) {  // an fd's path: the object it refers to
    char buf[4096];
    ssize_t n = ::readlink(asked.c_str(), buf, sizeof buf - 1);
    if (n > 0) path.assign(buf, static_cast<size_t>(n));
  }
  std::lock_guard<std::mutex> lock(k_.mu);
  TNAS_RETURN_IF_ERROR(k_.failureLocked("stats"));
  for (auto it = k_.mounts.rbegin(); it != k_.mounts.rend(); ++it) {
    if (it->target != path) continue;
    FsStats st;
    uint64_t size = 1ull << 30;
    auto d = k_.devices.find(it->source);
    if (d != k_.devices.end()) size = d->second.device.sizeBytes;
    st.totalBytes = size;
    st.usedBytes = size / 4;
    st.availableBytes = size - st.usedBytes;
    st.totalInodes = 65536;
    st.usedInodes = 11;
    st.freeInodes = st.totalInodes - st.usedInodes;
    return st;
  }
  return absl::NotFoundError(path + " is not a mount point");
}

StatusOr<uint64_t> FakeFilesystems::deviceSize(const std::string& devnode) {
  std::lock_guard<std::mutex> lock(k_.mu);
  TNAS_RETURN_IF_ERROR(k_.failureLocked("deviceSize"));
  auto d = k_.devices.find(devnode);
  if (d == k_.devices.end()) return absl::NotFoundError(devnode + " does not exist");
  return d->second.device.sizeBytes;
}

// ---------------------------------------------------------------- FakeMounter
StatusOr<std::optional<MountEntry>> FakeMounter::findByTarget(const std::string& target) {
  std::lock_guard<std::mutex> lock(k_.mu);
  TNAS_RETURN_IF_ERROR(k_.failureLocked("findByTarget"));
  for (auto it = k_.mounts.rbegin(); it != k_.mounts.rend(); ++it) {
    if (it->target == target) return std::optional<MountEntry>(*it);
  }
  return std::optional<MountEntry>();
}

StatusOr<std::vector<MountEntry>> FakeMounter::findByDevice(const std::string& devnode) {
  std::lock_guard<std::mutex> lock(k_.mu);
  TNAS_RETURN_IF_ERROR(k_.failureLocked("findByDevice"));
  std::vector<MountEntry> out;
  for (const auto& m : k_.mounts) {
    if (m.source == devnode) out.push_back(m);
  }
  return out;
}

StatusOr<std::vector<MountEntry>> FakeMounter::findByNumbers(unsigned maj, unsigned min) {
  std::lock_guard<std::mutex> lock(k_.mu);
  TNAS_RETURN_IF_ERROR(k_.failureLocked("findByNumbers"));
  std::vector<MountEntry> out;
  for (const auto& m : k_.mounts) {
    if (m.major == maj && m.minor == min) out.push_back(m);
  }
  return out;
}

void FakeKernel::numberLocked(MountEntry* e) {
  auto it = sourceNumbers.find(e->source);
  if (it == sourceNumbers.end()) {
    unsigned major = e->source.rfind("/dev/", 0) == 0 ? 8 : 0;
    it = sourceNumbers.emplace(e->source, std::make_pair(major, nextMinor++)).first;
  }
  e->major = it->second.first;
  e->minor = it->second.second;
}

namespace {

// The handle must name what its path says: its parent fd is the path's directory (so a flow that
// resolved something else, or acted on a string, is caught here as it would be by the kernel).
Status checkHandle(const ResolvedPath& target, bool needObject) {
  if (target.parentFd() < 0) return absl::InvalidArgumentError("handle without a parent fd");
  if (needObject && target.fd() < 0) return absl::InvalidArgumentError("handle without an fd");
  char buf[4096];
  ssize_t n = ::readlink(procFdPath(target.parentFd()).c_str(), buf, sizeof buf - 1);
  if (n < 0) return absl::InternalError("cannot read the handle's parent fd");
  std::string dir(buf, static_cast<size_t>(n));
  std::string want = target.path().substr(0, target.path().rfind('/'));
  if (dir != want || target.name() != target.path().substr(want.size() + 1)) {
    return absl::InternalError("handle for " + target.path() + " refers to " + dir + "/" +
                               target.name());
  }
  return absl::OkStatus();
}

}  // namespace

Status FakeMounter::mount(const std::string& source, const ResolvedPath& target,
                          const std::string& fsType, const std::string& options) {
  TNAS_RETURN_IF_ERROR(checkHandle(target, true));
  return mount(source, target.path(), fsType, options);
}

Status FakeMounter::mount(const std::string& source, const std::string& target,
                          const std::string& fsType, const std::string& options) {
  std::lock_guard<std::mutex> lock(k_.mu);
  TNAS_RETURN_IF_ERROR(k_.failureLocked("mount"));
  MountEntry e;
  e.source = source;
  e.target = target;
  e.fsType = fsType;
  e.options = options.empty() ? "rw" : options;
  e.root = "/";
  k_.numberLocked(&e);
  k_.mounts.push_back(e);
  return absl::OkStatus();
}

Status FakeMounter::bindMount(const std::string& source, const ResolvedPath& target,
                              bool readOnly) {
  TNAS_RETURN_IF_ERROR(checkHandle(target, true));
  std::lock_guard<std::mutex> lock(k_.mu);
  TNAS_RETURN_IF_ERROR(k_.failureLocked("bindMount"));
  MountEntry e;
  e.source = source;
  e.fsType = "none";
  e.root = "/";
  k_.numberLocked(&e);
  for (auto it = k_.mounts.rbegin(); it != k_.mounts.rend(); ++it) {
    if (it->target == source) {  // binding a mount point: same filesystem
      e = *it;
      break;
    }
  }
  e.target = target.path();
  e.options = readOnly ? "ro" : "rw";
  k_.mounts.push_back(e);
  return absl::OkStatus();
}

Status FakeMounter::mountNfs(const NfsMountSpec& spec, const ResolvedPath& target) {
  TNAS_RETURN_IF_ERROR(checkHandle(target, true));
  std::lock_guard<std::mutex> lock(k_.mu);
  TNAS_RETURN_IF_ERROR(k_.failureLocked("mountNfs"));
  MountEntry e;
  e.source = spec.server + ":" + spec.exportPath;
  e.target = target.path();
  e.fsType = spec.version == "3" ? "nfs" : "nfs4";
  std::string opts = "rw,vers=" + spec.version;
  for (const auto& o : spec.options) opts += "," + o;
  e.options = opts;
  e.root = "/";
  // Like the kernel's NFS client, mounts of exports of one server filesystem share a superblock
  // and so their device numbers (the guest's exports all live on one filesystem): number by the
  // server, not by the export.
  MountEntry numbering;
  numbering.source = "nfs-superblock:" + spec.server;
  k_.numberLocked(&numbering);
  e.major = numbering.major;
  e.minor = numbering.minor;
  k_.mounts.push_back(e);
  return absl::OkStatus();
}

Status FakeMounter::unmount(const ResolvedPath& target, bool force) {
  TNAS_RETURN_IF_ERROR(checkHandle(target, false));
  return unmount(target.path(), force);
}

Status FakeMounter::unmount(const std::string& target, bool force) {
  std::lock_guard<std::mutex> lock(k_.mu);
  TNAS_RETURN_IF_ERROR(k_.failureLocked(force ? "forceUnmount" : "unmount"));
  for (auto it = k_.mounts.rbegin(); it != k_.mounts.rend(); ++it) {
    if (it->target == target) {
      if (k_.staleMounts.count(target) != 0 && !force) {
        return absl::UnavailableError("unmount " + target + ": stale file handle");
      }
      k_.mounts.erase(std::next(it).base());
      bool still = false;
      for (const auto& m : k_.mounts) still = still || m.target == target;
      if (!still) k_.staleMounts.erase(target);
      return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

bool FakeMounter::isStale(const std::string& target) {
  std::lock_guard<std::mutex> lock(k_.mu);
  ++k_.calls["isStale"];
  return k_.staleMounts.count(target) != 0;
}

// ---------------------------------------------------------------- FakeMultipathMaps
namespace {

MultipathMap mapOfDevice(const FakeDevice& d) {
  MultipathMap m;
  m.sysname = d.device.sysname;
  m.devnode = d.device.devnode;
  m.name = d.mapName;
  m.uuid = "mpath-" + d.mapName;
  m.slaves = d.slaves;
  m.sizeBytes = d.device.sizeBytes;
  return m;
}

}  // namespace

StatusOr<MultipathMap> FakeMultipathMaps::waitForMap(const std::vector<std::string>& paths,
                                                     std::chrono::milliseconds) {
  std::lock_guard<std::mutex> lock(k_.mu);
  TNAS_RETURN_IF_ERROR(k_.failureLocked("waitForMap"));
  std::vector<std::string> want = paths;
  std::sort(want.begin(), want.end());
  for (const auto& [node, d] : k_.devices) {
    if (!d.mapOf.empty() && d.slaves == want) return mapOfDevice(d);
  }
  std::vector<FakeDevice*> disks;
  for (const auto& p : want) {
    for (auto& [node, d] : k_.devices) {
      if (d.mapOf.empty() && d.device.sysname == p) disks.push_back(&d);
    }
  }
  if (!k_.multipathd || disks.size() != want.size() || disks.empty()) {
    return absl::DeadlineExceededError("no dm-multipath map holds the paths");
  }
  auto s = k_.sessions.find(disks.front()->sid);
  if (s == k_.sessions.end()) return absl::DeadlineExceededError("path has no session");
  FakeDevice m = *disks.front();
  m.sid = -1;
  m.mapOf = s->second.targetIqn;
  m.mapName = "3" + m.device.identity.serial;
  m.slaves = want;
  m.device.sysname = "dm-" + std::to_string(k_.nextMap++);
  m.device.devnode = "/dev/" + m.device.sysname;
  m.device.address = ScsiAddress{-2, 0, 0, m.lun};
  for (FakeDevice* d : disks) d->hasHolders = true;
  k_.devices.emplace(m.device.devnode, m);
  return mapOfDevice(m);
}

StatusOr<std::optional<MultipathMap>> FakeMultipathMaps::findByUuid(const std::string& uuid) {
  std::lock_guard<std::mutex> lock(k_.mu);
  TNAS_RETURN_IF_ERROR(k_.failureLocked("findMap"));
  for (const auto& [node, d] : k_.devices) {
    if (!d.mapOf.empty() && "mpath-" + d.mapName == uuid) {
      return std::optional<MultipathMap>(mapOfDevice(d));
    }
  }
  return std::optional<MultipathMap>();
}

Status FakeMultipathMaps::removeMap(const std::string& name) {
  std::lock_guard<std::mutex> lock(k_.mu);
  TNAS_RETURN_IF_ERROR(k_.failureLocked("removeMap"));
  for (auto it = k_.devices.begin(); it != k_.devices.end(); ++it) {
    if (it->second.mapOf.empty() || it->second.mapName != name) continue;
    std::vector<std::string> slaves = it->second.slaves;
    k_.devices.erase(it);
    for (auto& [node, d] : k_.devices) {
      if (std::find(slaves.begin(), slaves.end(), d.device.sysname) != slaves.end()) {
        d.hasHolders = false;
      }
    }
    return absl::OkStatus();
  }
  return absl::OkStatus();
}

std::vector<MultipathMap> FakeMultipathMaps::maps() const {
  std::lock_guard<std::mutex> lock(k_.mu);
  std::vector<MultipathMap> out;
  for (const auto& [node, d] : k_.devices) {
    if (!d.mapOf.empty()) out.push_back(mapOfDevice(d));
  }
  return out;
}

}  // namespace tnascsi::agent::fakes

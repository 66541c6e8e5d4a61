// IscsiAttacher, multipath half (see iscsi_attacher.h and docs/multipath.md): log in to every
// portal, prove every path is the volume, stage the dm-multipath map multipathd assembles from
// them, and take it all down again (map first, then the paths' disks, then their sessions).
#include <algorithm>
#include <chrono>
#include <set>

#include "agent/stage/iscsi_attacher.h"
#include "common/log/log.h"

namespace tnascsi::agent::stage {
namespace {

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::set<std::string> naaOf(const BlockDevice& d) {
  std::set<std::string> out;
  for (const auto& x : d.identity.designators) {
    if (x.rfind("naa.", 0) == 0) out.insert(x);
  }
  return out;
}

double msSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

std::vector<std::unique_lock<std::mutex>> IscsiAttacher::lockTargets(
    std::vector<std::string> keys) {
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  std::vector<std::unique_lock<std::mutex>> locks;
  for (const auto& k : keys) locks.push_back(lockTarget(k));
  return locks;
}

StatusOr<IscsiAttacher::Attached> IscsiAttacher::attachMultipath(const IscsiVolumeContext& context,
                                                                 const ChapCredentials& chap,
                                                                 const std::string& volumeId,
                                                                 const MultiClaim& claim) {
  if (env_.multipath == nullptr) {
    return absl::FailedPreconditionError("volume " + volumeId +
                                         " asks for multipath but this agent has no "
                                         "device-mapper support");
  }
  std::vector<std::pair<std::string, int>> portals;
  std::vector<std::string> keys;
  for (const auto& portal : context.portals) {
    TNAS_ASSIGN_OR_RETURN(std::string address, config_.resolve
                                                   ? config_.resolve(portal.host)
                                                   : StatusOr<std::string>(portal.host));
    std::string key = sessionKey(context.iqn, address, portal.port);
    if (std::find(keys.begin(), keys.end(), key) != keys.end()) continue;  // listed twice
    portals.emplace_back(address, portal.port);
    keys.push_back(key);
  }
  auto locks = lockTargets(keys);
  TNAS_RETURN_IF_ERROR(claim(portals));
  // Undo on failure: log out of the sessions this call made (owned, used by no other record;
  // the caller's claimed record is excluded by its volume id). Nothing was written to a device.
  auto rollback = [&](const Status& why) {
    for (const auto& key : keys) {
      Status undone = releaseLocked(key, volumeId);
      if (!undone.ok()) {
        TNAS_LOG(Warn).kv("session", key) << "rollback: " << undone;
      }
    }
    return why;
  };

  Attached a;
  auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < portals.size(); ++i) {
    bool created = false;
    auto session = loginOrReuse(context.iqn, portals[i].first, portals[i].second, chap, &created);
    if (!session.ok()) return rollback(common::annotate(session.status(), "path " + keys[i]));
    a.createdSession = a.createdSession || created;
    a.paths.push_back(Attached::Path{portals[i].first, portals[i].second, *session, {}});
  }
  a.loginMs = msSince(t0);
  t0 = std::chrono::steady_clock::now();
  std::vector<std::string> disks;
  for (size_t i = 0; i < a.paths.size(); ++i) {
    auto where = lunAddress(a.paths[i].session, context.lun);
    if (!where.ok()) return rollback(where.status());
    auto device = env_.blocks.waitForLun(*where, config_.lunWaitTimeout);
    if (!device.ok()) {
      return rollback(common::annotate(device.status(), "LUN " + std::to_string(context.lun) +
                                                            " did not appear on path " + keys[i]));
    }
    a.paths[i].device = *device;
    disks.push_back(device->sysname);
  }
  a.deviceMs = msSince(t0);
  t0 = std::chrono::steady_clock::now();
  const BlockDevice& first = a.paths.front().device;
  for (size_t i = 0; i < a.paths.size(); ++i) {
    const BlockDevice& d = a.paths[i].device;
    Status ok = verifyIdentity(d, context.serial, context.naa, context.iqn + " via " + keys[i]);
    if (ok.ok() && (d.identity.serial != first.identity.serial || naaOf(d) != naaOf(first))) {
      ok = absl::FailedPreconditionError(
          "the iSCSI paths of " + context.iqn + " are not one LUN: " + first.devnode + " (" +
          keys[0] + ") reports serial \"" + first.identity.serial + "\" but " + d.devnode + " (" +
          keys[i] + ") reports \"" + d.identity.serial + "\"; refusing multipath over them");
    }
    if (!ok.ok()) return rollback(ok);
  }
  a.identityMs = msSince(t0);

  // One path: the disk itself unless multipathd took it anyway (find_multipaths "no"/"greedy").
  auto wait = a.paths.size() > 1 ? config_.multipathWait : std::chrono::milliseconds(0);
  auto map = env_.multipath->waitForMap(disks, wait);
  if (!map.ok() && !(absl::IsDeadlineExceeded(map.status()) && a.paths.size() == 1)) {
    if (absl::IsDeadlineExceeded(map.status())) {
      return rollback(absl::FailedPreconditionError(
          "volume " + volumeId + " has " + std::to_string(a.paths.size()) + " iSCSI paths (" +
          joined(keys) + ") but no dm-multipath map holds their disks (" + joined(disks) +
          ") after " + std::to_string(config_.multipathWait.count() / 1000) +
          " s: multipathd is not running or not configured to take them (docs/multipath.md); "
          "logged out of the paths again"));
    }
    return rollback(map.status());
  }
  a.session = a.paths.front().session;
  a.address = a.paths.front().address;
  a.port = a.paths.front().port;
  a.device = first;
  if (map.ok()) {
    a.map = *map;
    a.device.sysname = map->sysname;
    a.device.devnode = map->devnode;
    a.device.sizeBytes = map->sizeBytes;
    TNAS_LOG(Info).kv("map", map->name).kv("device", map->devnode).kv("paths", joined(disks))
        << "multipath map holds every path";
  }
  return a;
}

Status IscsiAttacher::detachMultipath(const AttachRecord& r) {
  std::vector<std::string> keys;
  for (const auto& p : r.paths) keys.push_back(sessionKey(r.iqn, p.address, p.port));
  auto locks = lockTargets(keys);
  auto removeMap = [&]() -> Status {
    if (r.mapUuid.empty()) return absl::OkStatus();
    if (env_.multipath == nullptr) {
      return absl::FailedPreconditionError("volume " + r.volumeId +
                                           " is multipath but the agent has no device-mapper "
                                           "support");
    }
    TNAS_ASSIGN_OR_RETURN(auto map, env_.multipath->findByUuid(r.mapUuid));
    if (!map) return absl::OkStatus();
    TNAS_RETURN_IF_ERROR(flushUnmounted(r.volumeId, map->devnode));
    return env_.multipath->removeMap(map->name);
  };
  TNAS_RETURN_IF_ERROR(removeMap());
  for (const auto& p : r.paths) {
    TNAS_ASSIGN_OR_RETURN(Located where, locateAt(r, p.address, p.port));
    if (!where.device) continue;
    const BlockDevice& dev = *where.device;
    TNAS_RETURN_IF_ERROR(flushUnmounted(r.volumeId, dev.devnode));
    Status removed = env_.blocks.removeLun(dev.address);
    if (absl::IsFailedPrecondition(removed)) {
      // multipathd may have re-assembled the map from the paths in between: remove it again.
      TNAS_RETURN_IF_ERROR(removeMap());
      removed = env_.blocks.removeLun(dev.address);
    }
    TNAS_RETURN_IF_ERROR(removed);
    TNAS_LOG(Info).kv("volume", r.volumeId).kv("device", dev.devnode) << "removed path disk";
  }
  Status first = absl::OkStatus();
  for (const auto& key : keys) {
    Status released = releaseLocked(key, r.volumeId);
    if (!released.ok() && first.ok()) first = released;
  }
  return first;
}

StatusOr<IscsiAttacher::LocatedPaths> IscsiAttacher::locatePaths(const AttachRecord& r) {
  LocatedPaths out;
  for (const auto& p : r.paths) {
    TNAS_ASSIGN_OR_RETURN(Located where, locateAt(r, p.address, p.port));
    if (where.session && where.session->state == "LOGGED_IN" && where.device) ++out.up;
    out.paths.push_back(std::move(where));
  }
  if (!r.mapUuid.empty() && env_.multipath != nullptr) {
    TNAS_ASSIGN_OR_RETURN(out.map, env_.multipath->findByUuid(r.mapUuid));
  }
  return out;
}

VolumeCondition IscsiAttacher::pathsCondition(const AttachRecord& r, const LocatedPaths& where) {
  const size_t n = where.paths.size();
  if (!r.mapUuid.empty() && !where.map) {
    return VolumeCondition{true, "multipath map " + r.mapName + " is gone"};
  }
  std::vector<std::string> problems;
  for (size_t i = 0; i < n; ++i) {
    const Located& l = where.paths[i];
    if (l.session && l.session->state != "LOGGED_IN") {
      problems.push_back(r.paths[i].address + ": session " + l.session->state);
    } else if (!l.problem.empty()) {
      problems.push_back(l.problem);
    }
  }
  if (where.up == 0) {
    return VolumeCondition{
        true, "all " + std::to_string(n) + " iSCSI paths are down (" + joined(problems) + ")"};
  }
  if (static_cast<size_t>(where.up) < n) {
    return VolumeCondition{true, std::to_string(n - where.up) + " of " + std::to_string(n) +
                                     " iSCSI paths down (" + joined(problems) +
                                     "); I/O continues on the others"};
  }
  return VolumeCondition{false, "all " + std::to_string(n) + " iSCSI paths are up"};
}

StatusOr<IscsiSession> IscsiAttacher::reloginPath(const AttachRecord& r,
                                                  const AttachRecord::Path& p) {
  auto lock = lockTarget(sessionKey(r.iqn, p.address, p.port));
  bool created = false;
  return loginOrReuse(r.iqn, p.address, p.port, r.chap, &created);
}

}  // namespace tnascsi::agent::stage

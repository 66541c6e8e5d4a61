// IscsiAttacher (see iscsi_attacher.h).
#include "agent/stage/iscsi_attacher.h"

#include <algorithm>
#include <cctype>
#include <chrono>

#include "absl/strings/ascii.h"
#include "common/log/log.h"

namespace tnascsi::agent::stage {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

std::unique_lock<std::mutex> IscsiAttacher::lockTarget(const std::string& key) {
  std::shared_ptr<std::mutex> mu;
  {
    std::lock_guard<std::mutex> lock(mapMu_);
    auto& slot = targetMu_[key];
    if (!slot) slot = std::make_shared<std::mutex>();
    mu = slot;
  }
  // The map keeps the mutex alive for the agent's lifetime (one per target ever seen).
  return std::unique_lock<std::mutex>(*mu);
}

// The unit serial (VPD page 0x80) is the identity TrueNAS assigns per extent (unique, random) and
// the one every target implementation reports verbatim, so it decides when both sides have one.
// The NAA designator (page 0x83) decides only when there is no serial to compare: targets derive
// NAAs differently (LIO, for one, builds it from its own company id and the serial), so a differing
// NAA next to a matching serial is logged, not refused.
Status IscsiAttacher::verifyIdentity(const BlockDevice& device, const std::string& serial,
                                     const std::string& naa, const std::string& what) {
  auto refuse = [&](const std::string& why) {
    return absl::FailedPreconditionError(what + ": LUN " + scsiAddressText(device.address) + " (" +
                                         device.devnode + ") " + why +
                                         "; refusing to use a device that is not this volume");
  };
  bool naaFound = false;
  for (const auto& d : device.identity.designators) naaFound = naaFound || lower(d) == lower(naa);
  const std::string reported(absl::StripAsciiWhitespace(device.identity.serial));
  if (!serial.empty() && !reported.empty()) {
    if (reported != absl::StripAsciiWhitespace(serial)) {
      return refuse("reports serial \"" + device.identity.serial +
                    "\" but the volume's serial is \"" + serial + "\"");
    }
    if (!naa.empty() && !naaFound) {
      TNAS_LOG(Debug).kv("device", device.devnode).kv("naa", naa)
          << "serial matches; the target reports a different NAA designator";
    }
    return absl::OkStatus();
  }
  if (!naa.empty()) {
    if (!naaFound) return refuse("does not carry designator " + naa);
    return absl::OkStatus();
  }
  if (!serial.empty()) return refuse("reports no unit serial to compare with \"" + serial + "\"");
  return absl::OkStatus();
}

StatusOr<ScsiAddress> IscsiAttacher::lunAddress(const IscsiSession& session, int lun) {
  ScsiAddress address{session.hostNo, 0, 0, lun};
  auto luns = env_.blocks.sessionLuns(session.sid);
  if (luns.ok()) {
    for (const auto& a : *luns) {
      if (a.lun == lun) return a;
    }
    if (!luns->empty()) {  // take channel/target from a sibling LUN of the same session
      address.channel = luns->front().channel;
      address.target = luns->front().target;
    }
  } else if (!absl::IsNotFound(luns.status())) {
    return luns.status();
  }
  return address;
}

StatusOr<IscsiAttacher::Attached> IscsiAttacher::attach(const IscsiVolumeContext& context,
                                                        const ChapCredentials& chap,
                                                        const Claim& claim) {
  Status last = absl::UnavailableError("no portal given");
  for (const auto& portal : context.portals) {
    auto address =
        config_.resolve ? config_.resolve(portal.host) : StatusOr<std::string>(portal.host);
    if (!address.ok()) {
      last = address.status();
      continue;
    }
    std::string key = sessionKey(context.iqn, *address, portal.port);
    auto targetLock = lockTarget(key);
    auto t0 = std::chrono::steady_clock::now();
    auto msSince = [](std::chrono::steady_clock::time_point t) {
      return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t)
          .count();
    };
    Attached a;
    a.address = *address;
    a.port = portal.port;
    TNAS_RETURN_IF_ERROR(claim(*address, portal.port));
    auto session = loginOrReuse(context.iqn, *address, portal.port, chap, &a.createdSession);
    if (!session.ok()) {
      if (absl::IsUnauthenticated(session.status()) || absl::IsPermissionDenied(session.status())) {
        return session.status();  // permanent: other portals will say the same
      }
      last = session.status();
      continue;
    }
    a.session = *session;
    a.loginMs = msSince(t0);
    t0 = std::chrono::steady_clock::now();
    TNAS_ASSIGN_OR_RETURN(ScsiAddress where, lunAddress(a.session, context.lun));
    auto device = env_.blocks.waitForLun(where, config_.lunWaitTimeout);
    if (!device.ok()) {
      return common::annotate(device.status(), "LUN " + std::to_string(context.lun) + " of " +
                                                   context.iqn + " did not appear");
    }
    a.device = *device;
    a.deviceMs = msSince(t0);
    t0 = std::chrono::steady_clock::now();
    TNAS_RETURN_IF_ERROR(verifyIdentity(a.device, context.serial, context.naa, context.iqn));
    a.identityMs = msSince(t0);
    return a;
  }
  return last;
}

StatusOr<IscsiSession> IscsiAttacher::loginOrReuse(const std::string& iqn,
                                                   const std::string& address, int port,
                                                   const ChapCredentials& chap, bool* created) {
  const std::string key = sessionKey(iqn, address, port);
  *created = false;
  TNAS_ASSIGN_OR_RETURN(auto existing, env_.initiator.findSession(iqn, address, port));
  if (existing) {
    if (existing->state != "LOGGED_IN") {
      return absl::UnavailableError("iSCSI session to " + iqn + " at " + key + " is " +
                                    existing->state + "; iscsid is reconnecting, retry later");
    }
    return *existing;
  }
  LoginRequest login;
  login.targetIqn = iqn;
  login.address = address;
  login.port = port;
  login.chap = chap;
  auto session = env_.initiator.login(login);
  if (!session.ok()) {
    TNAS_LOG(Warn)
            .kv("iqn", iqn)
            .kv("session", key)
            .kv("error", std::string(session.status().message()))
        << "iSCSI login failed";
    return session.status();
  }
  *created = true;
  Status marked = env_.records.markSessionOwned(key);
  if (!marked.ok()) {
    TNAS_LOG(Error).kv("session", key) << "cannot record session ownership: " << marked;
  }
  TNAS_LOG(Info).kv("session", key).kv("sid", session->sid) << "logged in";
  return *session;
}

StatusOr<IscsiAttacher::Located> IscsiAttacher::locate(const AttachRecord& r) {
  return locateAt(r, r.portalAddress, r.portalPort);
}

StatusOr<IscsiAttacher::Located> IscsiAttacher::locateAt(const AttachRecord& r,
                                                         const std::string& address, int port) {
  Located out;
  TNAS_ASSIGN_OR_RETURN(out.session, env_.initiator.findSession(r.iqn, address, port));
  if (!out.session) {
    out.problem = "iSCSI session to " + r.iqn + " at " + address + " is gone";
    return out;
  }
  TNAS_ASSIGN_OR_RETURN(ScsiAddress where, lunAddress(*out.session, r.lun));
  out.address = where;
  auto device = env_.blocks.findLun(where);
  if (!device.ok()) {
    if (!absl::IsNotFound(device.status())) return device.status();
    out.problem = "LUN " + std::to_string(r.lun) + " of " + r.iqn + " is missing";
    return out;
  }
  Status identity = verifyIdentity(*device, r.serial, r.naa, r.iqn);
  if (!identity.ok()) {
    out.problem = std::string(identity.message());
    return out;
  }
  out.device = *device;
  return out;
}

Status IscsiAttacher::detach(const AttachRecord& r) {
  if (r.multipath) return detachMultipath(r);
  std::string key = sessionKey(r.iqn, r.portalAddress, r.portalPort);
  auto targetLock = lockTarget(key);
  TNAS_ASSIGN_OR_RETURN(Located where, locate(r));
  if (where.device) {
    const BlockDevice& dev = *where.device;
    TNAS_RETURN_IF_ERROR(flushUnmounted(r.volumeId, dev.devnode));
    TNAS_RETURN_IF_ERROR(env_.blocks.removeLun(dev.address));
    TNAS_LOG(Info).kv("volume", r.volumeId).kv("device", dev.devnode) << "removed SCSI device";
  } else if (!where.problem.empty()) {
    TNAS_LOG(Info).kv("volume", r.volumeId) << "nothing to remove: " << where.problem;
  }
  return releaseLocked(key, r.volumeId);
}

Status IscsiAttacher::flushUnmounted(const std::string& volumeId, const std::string& devnode) {
  TNAS_ASSIGN_OR_RETURN(auto mounts, env_.mounter.findByDevice(devnode));
  if (!mounts.empty()) {
    return absl::FailedPreconditionError("volume " + volumeId + ": " + devnode +
                                         " is still mounted at " + mounts.front().target +
                                         "; unpublish it first");
  }
  Status flushed = env_.blocks.flush(devnode);
  return flushed.ok() || absl::IsNotFound(flushed) ? absl::OkStatus() : flushed;
}

Status IscsiAttacher::releaseSessionIfUnused(const std::string& key,
                                             const std::string& exceptVolumeId) {
  auto targetLock = lockTarget(key);
  return releaseLocked(key, exceptVolumeId);
}

Status IscsiAttacher::releaseLocked(const std::string& key, const std::string& exceptVolumeId) {
  std::string iqn, address;
  int port = 0;
  if (!parseSessionKey(key, &iqn, &address, &port)) {
    return absl::InternalError("malformed session key " + key);
  }
  if (!env_.records.isSessionOwned(key)) return absl::OkStatus();  // never touch others' sessions
  TNAS_ASSIGN_OR_RETURN(auto records, env_.records.loadAll());
  for (const auto& other : records) {
    if (other.volumeId != exceptVolumeId && other.usesSession(key)) {
      return absl::OkStatus();  // another volume still uses the session
    }
  }
  TNAS_ASSIGN_OR_RETURN(auto session, env_.initiator.findSession(iqn, address, port));
  if (!session) return env_.records.clearSessionOwned(key);
  auto luns = env_.blocks.sessionLuns(session->sid);
  if (luns.ok()) {
    for (const auto& a : *luns) {
      auto dev = env_.blocks.findLun(a);
      if (!dev.ok()) continue;
      auto mounts = env_.mounter.findByDevice(dev->devnode);
      if (mounts.ok() && !mounts->empty()) {
        TNAS_LOG(Info).kv("session", key).kv("device", dev->devnode)
            << "keeping session: another LUN is mounted";
        return absl::OkStatus();
      }
    }
  }
  TNAS_RETURN_IF_ERROR(env_.initiator.logout(session->sid));
  TNAS_LOG(Info).kv("session", key).kv("sid", session->sid) << "logged out";
  return env_.records.clearSessionOwned(key);
}

}  // namespace tnascsi::agent::stage

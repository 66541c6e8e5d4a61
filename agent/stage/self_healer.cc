// SelfHealer (see self_healer.h).
#include "agent/stage/self_healer.h"

#include <set>

#include "common/log/log.h"
#include "common/metrics/node_metrics.h"

namespace tnascsi::agent::stage {

SelfHealer::SelfHealer(StageEnv env, StageConfig config, IscsiAttacher& attacher,
                       VolumeHealth& health)
    : env_(env), config_(std::move(config)), attacher_(attacher), health_(health) {}

SelfHealer::~SelfHealer() {
  stop();
}

int64_t SelfHealer::now() const {
  return std::chrono::duration_cast<std::chrono::seconds>(env_.clock.wallNow().time_since_epoch())
      .count();
}

// Multipath: each recorded path on its own. A path whose session is gone is logged in to again;
// a path whose disk is missing gets a precise scan; multipathd puts the path back into the map.
// The condition says how many paths are down while the others still carry the I/O.
void SelfHealer::healMultipath(const AttachRecord& r, PassResult* result) {
  for (const auto& p : r.paths) {
    auto where = attacher_.locateAt(r, p.address, p.port);
    if (!where.ok()) continue;  // reported through locatePaths below
    if (!where->session) {
      ++result->relogins;
      auto session = attacher_.reloginPath(r, p);
      if (!session.ok()) {
        TNAS_LOG(Warn).kv("path", p.address).kv("error", std::string(session.status().message()))
            << "path re-login failed";
        continue;
      }
      TNAS_LOG(Info).kv("path", p.address).kv("sid", session->sid) << "path re-logged in";
      where = attacher_.locateAt(r, p.address, p.port);
      if (!where.ok()) continue;
    }
    if (where->session && where->session->state == "LOGGED_IN" && !where->device &&
        where->address) {
      ++result->rescans;
      auto device = env_.blocks.waitForLun(*where->address, config_.lunWaitTimeout);
      if (device.ok()) {
        TNAS_LOG(Info).kv("device", device->devnode) << "path disk is back";
      }
    }
  }
  auto paths = attacher_.locatePaths(r);
  VolumeCondition c =
      paths.ok() ? IscsiAttacher::pathsCondition(r, *paths)
                 : VolumeCondition{true, "cannot check: " + std::string(paths.status().message())};
  if (c.abnormal) ++result->abnormal;
  health_.set(r.volumeId, c);
}

void SelfHealer::healIscsi(const AttachRecord& r, PassResult* result) {
  if (r.multipath) return healMultipath(r, result);
  auto where = attacher_.locate(r);
  if (!where.ok()) {
    health_.set(r.volumeId,
                VolumeCondition{true, "cannot check: " + std::string(where.status().message())});
    ++result->abnormal;
    return;
  }
  if (!where->session) {
    LoginRequest login;
    login.targetIqn = r.iqn;
    login.address = r.portalAddress;
    login.port = r.portalPort;
    login.chap = r.chap;
    std::string key = sessionKey(r.iqn, r.portalAddress, r.portalPort);
    auto targetLock = attacher_.lockTarget(key);
    auto session = env_.initiator.login(login);
    ++result->relogins;
    if (!session.ok()) {
      TNAS_LOG(Warn).kv("volume", r.volumeId).kv("error", std::string(session.status().message()))
          << "re-login failed";
      health_.set(r.volumeId, VolumeCondition{true, where->problem + "; re-login failed: " +
                                                        std::string(session.status().message())});
      ++result->abnormal;
      return;
    }
    Status marked = env_.records.markSessionOwned(key);
    if (!marked.ok()) {
      TNAS_LOG(Error) << "cannot record session ownership: " << marked;
    }
    TNAS_LOG(Info).kv("volume", r.volumeId).kv("sid", session->sid) << "re-logged in";
    targetLock.unlock();
    where = attacher_.locate(r);
    if (!where.ok() || !where->session) {
      health_.set(r.volumeId, VolumeCondition{true, "session not visible after re-login"});
      ++result->abnormal;
      return;
    }
  }
  if (where->session->state != "LOGGED_IN") {
    health_.set(r.volumeId,
                VolumeCondition{true, "iSCSI session to " + r.iqn + " is " + where->session->state +
                                          " (iscsid is reconnecting)"});
    ++result->abnormal;
    return;
  }
  if (!where->device && where->address) {
    ++result->rescans;
    auto device = env_.blocks.waitForLun(*where->address, config_.lunWaitTimeout);
    Status identity = device.ok() ? IscsiAttacher::verifyIdentity(*device, r.serial, r.naa, r.iqn)
                                  : device.status();
    if (!identity.ok()) {
      health_.set(
          r.volumeId,
          VolumeCondition{true, where->problem + "; rescan: " + std::string(identity.message())});
      ++result->abnormal;
      return;
    }
    TNAS_LOG(Info).kv("volume", r.volumeId).kv("device", device->devnode) << "LUN is back";
  }
  health_.set(r.volumeId, VolumeCondition{false, "iSCSI session and LUN are healthy"});
}

SelfHealer::PassResult SelfHealer::runOnce() {
  PassResult result;
  auto records = env_.records.loadAll();
  if (!records.ok()) {
    TNAS_LOG(Error) << "self-healing: cannot list attach records: " << records.status();
    return result;
  }
  for (const auto& r : *records) {
    auto token = env_.inflight.tryAcquire(r.volumeId);
    if (!token.ok()) {
      ++result.busy;
      continue;
    }
    ++result.visited;
    common::LogScope scope("volume", r.volumeId);
    bool abandoned = r.phase == AttachRecord::Phase::kAttaching &&
                     now() - r.updatedAt >= config_.abandonedAfter.count();
    if (abandoned || r.phase == AttachRecord::Phase::kDetaching) {
      Status cleaned = absl::OkStatus();
      if (!r.block) {  // the recorded staging path, resolved below the kubelet directory
        auto mounted = env_.mounter.findByTarget(r.stagingPath);
        if (mounted.ok() && *mounted) {
          auto at =
              BeneathRoot(config_.kubeletDir).resolve(r.stagingPath, BeneathRoot::Want::kParent);
          cleaned = at.ok() ? env_.mounter.unmount(*at, true) : at.status();
        }
      }
      if (cleaned.ok() && r.isIscsi()) cleaned = attacher_.detach(r);
      if (cleaned.ok()) cleaned = env_.records.remove(r.volumeId);
      if (cleaned.ok()) {
        ++result.cleaned;
        health_.erase(r.volumeId);
        TNAS_LOG(Info).kv("phase", phaseName(r.phase)) << "cleaned up an unfinished attach record";
      } else {
        TNAS_LOG(Warn) << "cleanup of an unfinished attach record failed: " << cleaned;
      }
      continue;
    }
    if (r.phase != AttachRecord::Phase::kStaged) continue;
    if (r.isIscsi()) {
      healIscsi(r, &result);
    } else if (env_.mounter.isStale(r.stagingPath)) {
      health_.set(r.volumeId, VolumeCondition{true, "NFS mount at " + r.stagingPath + " is stale"});
      ++result.abnormal;
    } else {
      health_.set(r.volumeId, VolumeCondition{false, "NFS mount is healthy"});
    }
  }

  // Owned sessions no record needs any more (a crash between logout decisions, a lost record).
  auto owned = env_.records.ownedSessions();
  if (owned.ok()) {
    auto current = env_.records.loadAll();
    std::set<std::string> used;
    if (current.ok()) {
      for (const auto& r : *current) {
        for (const auto& key : *owned) {
          if (r.usesSession(key)) used.insert(key);  // every path of a multipath record too
        }
      }
    }
    for (const auto& key : *owned) {
      if (!current.ok() || used.count(key) != 0) continue;
      Status released = attacher_.releaseSessionIfUnused(key, "");
      if (released.ok()) {
        ++result.sessionsReleased;
      } else {
        TNAS_LOG(Warn).kv("session", key) << "cannot release unused session: " << released;
      }
    }
  }
  common::metrics::recordHealPass(result.relogins, result.rescans, result.cleaned,
                                  result.sessionsReleased, result.abnormal);
  return result;
}

void SelfHealer::start(std::chrono::milliseconds interval) {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this, interval] { loop(interval); });
}

void SelfHealer::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SelfHealer::loop(std::chrono::milliseconds interval) {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    PassResult r = runOnce();
    TNAS_LOG(Debug)
            .kv("visited", r.visited)
            .kv("relogins", r.relogins)
            .kv("rescans", r.rescans)
            .kv("cleaned", r.cleaned)
            .kv("abnormal", r.abnormal)
        << "self-healing pass";
    lock.lock();
    cv_.wait_for(lock, interval, [this] { return stopping_; });
  }
}

}  // namespace tnascsi::agent::stage

// IscsiAttacher: the iSCSI half of staging, shared by the stage flows and the self-healing loop.
// attach(): log in (or reuse the session) on the first portal that works, find the LUN, wait for
// udev, and prove the device is the volume (VPD serial / NAA) before anyone writes to it.
// detach(): take one volume's LUN away cleanly and log out when nothing else needs the session.
// Work on one target (IQN + portal) is serialised by a per-target mutex; different targets run
// in parallel. Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "agent/stage/stage_types.h"
#include "agent/stage/volume_context.h"

namespace tnascsi::agent::stage {

class IscsiAttacher {
 public:
  IscsiAttacher(StageEnv env, StageConfig config) : env_(env), config_(std::move(config)) {}

  struct Attached {
    IscsiSession session;
    BlockDevice device;
    std::string address;  // numeric portal address used
    int port = 3260;
    bool createdSession = false;  // this call logged in
    // Where the time went (for the stage-timings log line): login (or session lookup), waiting
    // for the LUN's disk, and the identity check.
    double loginMs = 0;
    double deviceMs = 0;
    double identityMs = 0;
    // Multipath volumes (attachMultipath): every path, and the map `device` stands for.
    struct Path {
      std::string address;
      int port = 3260;
      IscsiSession session;
      BlockDevice device;
    };
    std::vector<Path> paths;
    std::optional<MultipathMap> map;
  };

  // Errors: Unauthenticated (CHAP), Unavailable (no portal reachable), DeadlineExceeded (LUN did
  // not appear), FailedPrecondition (the LUN is another volume: serial/NAA mismatch — nothing is
  // written to it).
  // `claim` runs under the target lock before the session is looked up or created, with the
  // numeric portal chosen: the caller writes its "attaching" record there, so a concurrent
  // detach of another volume never logs out a session this call is about to use.
  using Claim = std::function<Status(const std::string& address, int port)>;
  StatusOr<Attached> attach(const IscsiVolumeContext& context, const ChapCredentials& chap,
                            const Claim& claim);

  // Multipath (multipath_attacher.cc): logs in to every portal, waits for every path's disk,
  // checks that all paths are the volume (same serial/NAA), then waits up to
  // StageConfig::multipathWait for the dm-multipath map holding all of them and returns it as
  // `device` (with one path only, the disk itself when no map holds it). With several paths and no
  // map: FailedPrecondition (multipathd not running/configured). On any error the sessions this
  // call logged in to are logged out again. `claim` runs under the target locks with every
  // numeric portal before any login (the caller records them, as for attach()).
  using MultiClaim = std::function<Status(const std::vector<std::pair<std::string, int>>&)>;
  StatusOr<Attached> attachMultipath(const IscsiVolumeContext& context, const ChapCredentials& chap,
                                     const std::string& volumeId, const MultiClaim& claim);

  struct Located {
    std::optional<IscsiSession> session;
    std::optional<BlockDevice> device;   // present and identity-verified
    std::optional<ScsiAddress> address;  // where the LUN is (or would be) on the session
    std::string problem;                 // why device is absent, for conditions and logs
  };
  // Finds the record's session and LUN now (no login, no waiting). Errors only for failures of
  // the seams themselves.
  StatusOr<Located> locate(const AttachRecord& record);
  // The same for one path (portal) of the record.
  StatusOr<Located> locateAt(const AttachRecord& record, const std::string& address, int port);
  // Multipath records: every recorded path located, and the map if present.
  struct LocatedPaths {
    std::vector<Located> paths;  // in record order
    std::optional<MultipathMap> map;
    int up = 0;  // paths with a LOGGED_IN session and a verified disk
  };
  StatusOr<LocatedPaths> locatePaths(const AttachRecord& record);
  // The volume condition of a multipath record from where its paths are: abnormal when the map is
  // gone, when every path is down, and ("1 of 2 iSCSI paths down …") while I/O still flows on
  // fewer paths than were staged.
  static VolumeCondition pathsCondition(const AttachRecord& record, const LocatedPaths& where);
  // Self-healing of one recorded path whose session is gone: logs in again (the record's CHAP)
  // under the target lock.
  StatusOr<IscsiSession> reloginPath(const AttachRecord& record, const AttachRecord::Path& path);

  // Removes the record's LUN from the host (flush, delete) if it is still ours and not mounted,
  // then logs out if the session is owned by this agent and no other record or mounted LUN needs
  // it. OK when the device or session is already gone. FailedPrecondition if the device is still
  // mounted somewhere (e.g. not unpublished yet).
  Status detach(const AttachRecord& record);

  // Logs out of an owned session that no record references (healer GC and stage rollback).
  // OK when the session is gone, not owned, or still in use (then nothing happens).
  Status releaseSessionIfUnused(const std::string& key, const std::string& exceptVolumeId);

  // FailedPrecondition unless the device's identity matches the expected serial/NAA.
  static Status verifyIdentity(const BlockDevice& device, const std::string& serial,
                               const std::string& naa, const std::string& what);

  std::unique_lock<std::mutex> lockTarget(const std::string& key);

 private:
  StatusOr<ScsiAddress> lunAddress(const IscsiSession& session, int lun);
  Status detachMultipath(const AttachRecord& record);
  // FailedPrecondition while `devnode` is mounted anywhere; else flushes it (gone is fine).
  Status flushUnmounted(const std::string& volumeId, const std::string& devnode);
  // The LOGGED_IN session for the portal, logging in (and marking it owned) when there is none.
  // Unavailable when the session exists but iscsid is reconnecting it.
  StatusOr<IscsiSession> loginOrReuse(const std::string& iqn, const std::string& address, int port,
                                      const ChapCredentials& chap, bool* created);
  // Locks every key (sorted, so two multipath calls cannot deadlock).
  std::vector<std::unique_lock<std::mutex>> lockTargets(std::vector<std::string> keys);
  Status releaseLocked(const std::string& key, const std::string& exceptVolumeId);

  StageEnv env_;
  StageConfig config_;
  std::mutex mapMu_;
  std::map<std::string, std::shared_ptr<std::mutex>> targetMu_;  // guarded by mapMu_
};

}  // namespace tnascsi::agent::stage

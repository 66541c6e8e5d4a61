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

  struct Located {
    std::optional<IscsiSession> session;
    std::optional<BlockDevice> device;   // present and identity-verified
    std::optional<ScsiAddress> address;  // where the LUN is (or would be) on the session
    std::string problem;                 // why device is absent, for conditions and logs
  };
  // Finds the record's session and LUN now (no login, no waiting). Errors only for failures of
  // the seams themselves.
  StatusOr<Located> locate(const AttachRecord& record);

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
  Status releaseLocked(const std::string& key, const std::string& exceptVolumeId);

  StageEnv env_;
  StageConfig config_;
  std::mutex mapMu_;
  std::map<std::string, std::shared_ptr<std::mutex>> targetMu_;  // guarded by mapMu_
};

}  // namespace tnascsi::agent::stage

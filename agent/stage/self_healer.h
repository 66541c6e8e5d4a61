// SelfHealer: the node agent's background repair loop over the attach records.
//
// Each pass (runOnce) visits every record whose volume is not busy (it takes the volume's
// InFlight key, so it never races a CSI call):
//  - staged iSCSI volume: session gone → log in again (CHAP from the record); session in FAILED →
//    reported (iscsid recovers it); LUN missing → a precise scan of exactly that H:C:T:L; the
//    result is published to VolumeHealth for NodeGetVolumeStats;
//  - staged multipath iSCSI volume: the same per recorded path (a lost path session is logged in
//    again); "k of n iSCSI paths down" is reported while the map still carries the I/O;
//  - staged NFS volume: stale mount → reported;
//  - "attaching" records older than StageConfig::abandonedAfter (a crash mid-stage) and
//    "detaching" records (an interrupted unstage) are cleaned up like an unstage;
//  - sessions this agent created (ownership markers) that no record references are logged out.
// Sessions this agent did not create are never touched.
//
// start() runs passes every `interval` on a thread until stop() (or destruction). Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "agent/stage/iscsi_attacher.h"
#include "agent/stage/stage_types.h"

namespace tnascsi::agent::stage {

class SelfHealer {
 public:
  SelfHealer(StageEnv env, StageConfig config, IscsiAttacher& attacher, VolumeHealth& health);
  ~SelfHealer();
  SelfHealer(const SelfHealer&) = delete;
  SelfHealer& operator=(const SelfHealer&) = delete;

  struct PassResult {
    int visited = 0;
    int busy = 0;  // skipped: a CSI call holds the volume
    int relogins = 0;
    int rescans = 0;
    int cleaned = 0;  // abandoned/interrupted records cleaned up
    int sessionsReleased = 0;
    int abnormal = 0;
  };

  // One pass. Never fails as a whole: per-volume problems are logged and reported as conditions.
  PassResult runOnce();

  void start(std::chrono::milliseconds interval);
  void stop();

 private:
  void healIscsi(const AttachRecord& record, PassResult* result);
  void healMultipath(const AttachRecord& record, PassResult* result);
  void loop(std::chrono::milliseconds interval);
  int64_t now() const;

  StageEnv env_;
  StageConfig config_;
  IscsiAttacher& attacher_;
  VolumeHealth& health_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace tnascsi::agent::stage

// ExportCollector: amortised garbage collection of the iSCSI objects that TrueNAS's dataset-delete
// cascade leaves behind, so DeleteVolume itself costs two TrueNAS calls (read the zvol, delete it).
//
// `pool.dataset.delete` on a zvol removes its extents, their LUN mappings and every target left
// without LUNs (reference §3.6). What stays is the volume's initiator group (removed by TrueNAS
// 24.10's target delete only, §4.5) and, after a create that was interrupted between the target and
// its LUN, a target of ours without any LUN. A sweep removes exactly those:
//   - initiator groups whose comment carries our marker for a volume of this backend
//     ("truenas-csi:<parent>/<leaf>", iscsi_masking.h) and that no target references;
//   - targets whose alias carries our marker (props::kTargetAliasPrefix), whose group is one of
//     those initiator groups and that map no LUN (their groups then go in the same sweep).
// Objects without our marker are never touched. A sweep costs three reads (initiator groups,
// targets, mappings) plus one delete per leftover.
//
// Safety against in-flight creates: an iSCSI create makes its initiator group before the target
// that references it, and its target before the LUN. Creates hold Backend::exportsGate() shared
// for their whole duration; a sweep holds it exclusively, so it never sees a half-made volume of
// this process. (Only one controller instance runs per backend: the CSI sidecars' leader
// election.) A half-made volume of a crashed earlier instance may lose its group or target; its
// create retry recreates them (IscsiProvisioner resumes).
//
// Scheduling: schedule() after each iSCSI DeleteVolume; one sweep per backend runs `debounce`
// after the last schedule() (a burst of deletes costs one sweep), but never later than `maxDelay`
// after the first schedule() it serves, so continuous deletes cannot starve it. VolumeManager
// schedules every backend at start-up (leftovers of a controller that died before its sweep). A
// failed sweep is tried again `maxDelay` later. Pending sweeps are dropped at destruction; the
// start-up sweep of the next instance removes what they would have.
// Thread-safety: all methods are thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "common/base/status.h"
#include "controller/provision/backend.h"

namespace tnascsi::controller::provision {

struct SweepResult {
  int initiatorGroups = 0;  // deleted
  int targets = 0;          // deleted
};

class ExportCollector {
 public:
  explicit ExportCollector(std::chrono::milliseconds debounce = std::chrono::seconds(5),
                           std::chrono::milliseconds maxDelay = std::chrono::seconds(60));
  ~ExportCollector();
  ExportCollector(const ExportCollector&) = delete;
  ExportCollector& operator=(const ExportCollector&) = delete;

  // Asks for a sweep of `backend` (not owned; must outlive this collector) `debounce` from now;
  // a later call postpones it, up to `maxDelay` after the first pending request.
  void schedule(Backend& backend);

  // Sweeps `backend` now (blocks iSCSI creates on it meanwhile). Returns what was deleted; the
  // first failing read or delete aborts the sweep with its status (NotFound deletes count as done).
  StatusOr<SweepResult> sweep(Backend& backend);

  // Runs every pending sweep now (tests, shutdown paths). Returns the first error.
  Status flush();

 private:
  void run();

  void scheduleAt(Backend& backend, std::chrono::steady_clock::time_point when);

  std::chrono::milliseconds debounce_;
  std::chrono::milliseconds maxDelay_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<Backend*, std::chrono::steady_clock::time_point> due_;  // guarded by mu_
  // When the pending sweep of a backend must run at the latest.
  std::map<Backend*, std::chrono::steady_clock::time_point> deadline_;  // guarded by mu_
  bool stopping_ = false;                                               // guarded by mu_
  std::thread worker_;
};

}  // namespace tnascsi::controller::provision

// NodeVolumes: the node's volume operations (NodeStage/Unstage/Publish/Unpublish/Expand/Stats)
// over iSCSI and NFS, as a plain class the Node service calls after decoding CSI messages.
//
// Contract of every method:
//  - Requests are hostile: volume ids and paths are validated (PathGuard) before anything else;
//    bad ones are InvalidArgument. Paths are then resolved once below the kubelet directory
//    (BeneathRoot) and every mkdir, mount, unmount and unlink acts on the fds found, so a symlink
//    swapped in meanwhile cannot send an action outside it.
//  - Destructive calls act only on what the volume's attach record holds (its staging path, the
//    targets it was published at) or on a mount proven to be this volume's (its device, the
//    staging filesystem, its NFS export); anything else is left alone.
//  - One operation per volume at a time: a concurrent call on the same volume is Aborted
//    (common::InFlight, shared with the self-healing loop).
//  - Idempotent: repeating a call that already succeeded returns OK without acting again.
//  - Decisions come from the kernel (sessions, devices, mount table) plus the attach record;
//    nothing is cached in memory.
// Thread-safe.
#pragma once

#include "agent/stage/iscsi_attacher.h"
#include "agent/stage/path_guard.h"
#include "agent/stage/stage_types.h"

namespace tnascsi::agent::stage {

class NodeVolumes {
 public:
  NodeVolumes(StageEnv env, StageConfig config, IscsiAttacher& attacher, VolumeHealth& health);

  // iSCSI: login/reuse → LUN → identity check → (filesystem volumes) probe, mkfs when blank, mount
  // at the staging path → attach record. NFS: mount the export at the staging path. Errors:
  // InvalidArgument (request), FailedPrecondition (identity mismatch, foreign filesystem,
  // partition table/LVM/RAID signature, staged elsewhere or from another device), Unauthenticated
  // (CHAP), Unavailable / DeadlineExceeded (portal, LUN), Aborted (in flight).
  Status stage(const StageRequest& request);

  // Unmounts the staging path, flushes and deletes the LUN, logs out of an owned session nothing
  // else uses, deletes the record. OK when already unstaged, when the device or session is gone,
  // and after an agent restart. FailedPrecondition while the volume is still published (iSCSI
  // and NFS), and when there is no record but something is mounted at the path (it is not
  // touched). An unreadable record is an error.
  Status unstage(const std::string& volumeId, const std::string& stagingPath);

  // Bind-mounts the staged volume (directory, or the device node onto a file for block volumes)
  // at the target path, read-only when asked; the target is recorded first. FailedPrecondition
  // if not staged; AlreadyExists if the target already holds an incompatible mount.
  Status publish(const PublishRequest& request);

  // Unmounts the target (forced when stale) and removes the file or directory publish created
  // there. The target must be one the record holds or hold a mount of this volume; a path that
  // is neither is OK only when nothing is mounted there (FailedPrecondition otherwise), and
  // nothing is removed. OK if already gone.
  Status unpublish(const std::string& volumeId, const std::string& targetPath);

  // Rescans the LUN and grows the filesystem online; block volumes are only rescanned; NFS is a
  // no-op. Returns the new capacity in bytes (0 when unknown, i.e. NFS). NotFound if not staged.
  StatusOr<uint64_t> expand(const std::string& volumeId, const std::string& volumePath);

  // Usage and condition of a published or staged path of this volume (recorded, or a mount of
  // it). NotFound when the volume is not staged here, the path is not one of its own, or it does
  // not exist.
  StatusOr<VolumeStats> stats(const std::string& volumeId, const std::string& volumePath);

 private:
  Status stageIscsi(const StageRequest& request, const std::optional<AttachRecord>& existing);
  Status stageNfs(const StageRequest& request, const std::optional<AttachRecord>& existing);
  // Milliseconds spent in probe+mkfs and in mount during one stage (for the timings log).
  struct StageSplit {
    double mkfsMs = 0;
    double mountMs = 0;
  };
  Status mountFilesystem(const StageRequest& request, const std::string& fsType,
                         const IscsiVolumeContext& context, const BlockDevice& device,
                         StageSplit* split);
  Status rollback(const AttachRecord& record, bool recordIsNew, bool createdSession);
  // Multipath: the record's paths (before any login) and, after the attach, sessions and map.
  static void recordPaths(AttachRecord& record,
                          const std::vector<std::pair<std::string, int>>& portals);
  static void recordMap(AttachRecord& record, const IscsiAttacher::Attached& attached);
  // Unmounts every mount stacked at `path` (resolved below the kubelet directory; a missing
  // parent means nothing is mounted). With `owner`, a mount that is not that volume's is left
  // alone and reported as FailedPrecondition.
  Status unmountAt(const std::string& path, const AttachRecord* owner);
  // True when the mount `m` is the volume's: a bind of its staging filesystem, a mount or bind of
  // its LUN's device, or its NFS export.
  StatusOr<bool> mountIsVolumes(const AttachRecord& record, const MountEntry& m);
  // For a volume without a record: OK when nothing is mounted at `path`, else FailedPrecondition
  // (the mount is left alone: nothing proves it is this volume's).
  Status nothingMountedAt(const std::string& volumeId, const std::string& path, const char* field);
  // FailedPrecondition naming a place the volume is still mounted other than its staging path.
  Status refuseWhilePublished(const AttachRecord& record);
  Status dropTarget(AttachRecord& record, const std::string& path);
  // `degraded`: abnormal only because some (not all) multipath paths are down; the device works.
  StatusOr<VolumeCondition> liveCondition(const AttachRecord& record, const std::string& path,
                                          std::string* devnode, bool* degraded);
  int64_t now() const;

  StageEnv env_;
  StageConfig config_;
  IscsiAttacher& attacher_;
  VolumeHealth& health_;
  PathGuard guard_;
  BeneathRoot beneath_;
};

}  // namespace tnascsi::agent::stage

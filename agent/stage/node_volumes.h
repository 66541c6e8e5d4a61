// NodeVolumes: the node's volume operations (NodeStage/Unstage/Publish/Unpublish/Expand/Stats)
// over iSCSI and NFS, as a plain class the Node service calls after decoding CSI messages.
//
// Contract of every method:
//  - Requests are hostile: volume ids and paths are validated (PathGuard) before anything else;
//    bad ones are InvalidArgument.
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
  // and after an agent restart. FailedPrecondition while the device is still published.
  Status unstage(const std::string& volumeId, const std::string& stagingPath);

  // Bind-mounts the staged volume (directory, or the device node onto a file for block volumes)
  // at the target path, read-only when asked. FailedPrecondition if not staged; AlreadyExists if
  // the target already holds an incompatible mount.
  Status publish(const PublishRequest& request);

  // Unmounts the target (forced when stale) and removes the target path. OK if already gone.
  Status unpublish(const std::string& volumeId, const std::string& targetPath);

  // Rescans the LUN and grows the filesystem online; block volumes are only rescanned; NFS is a
  // no-op. Returns the new capacity in bytes (0 when unknown, i.e. NFS). NotFound if not staged.
  StatusOr<uint64_t> expand(const std::string& volumeId, const std::string& volumePath);

  // Usage and condition of a published or staged path. NotFound when the volume is not staged
  // here or the path does not exist.
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
  Status unmountIfMounted(const std::string& path);
  StatusOr<VolumeCondition> liveCondition(const AttachRecord& record, const std::string& path,
                                          std::string* devnode);
  int64_t now() const;

  StageEnv env_;
  StageConfig config_;
  IscsiAttacher& attacher_;
  VolumeHealth& health_;
  PathGuard guard_;
};

}  // namespace tnascsi::agent::stage

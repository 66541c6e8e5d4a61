// NodeVolumes: which mounts are a volume's own, and unmounting only those (see node_volumes.h).
// Ownership is proven from the attach record (staging path, recorded targets) or from the mount
// itself (same device numbers as the staging filesystem, a mount or bind of the LUN's device, the
// volume's NFS export); everything else is someone else's and is never touched.
// NFS: the client shares one superblock (so one st_dev) between mounts of different exports of
// the same server filesystem, so device numbers alone never prove a bind of our staging mount;
// the mount source (server:/export, which a bind copies) must match too.
#include <algorithm>

#include "agent/stage/node_volumes.h"
#include "common/log/log.h"

namespace tnascsi::agent::stage {
namespace {

// `m` is the staged filesystem itself or a bind of it: same device numbers and the same source
// (a bind copies the source; NFS mounts of other exports may share the device numbers).
bool sameFilesystemMount(const MountEntry& staged, const MountEntry& m) {
  return staged.major == m.major && staged.minor == m.minor && staged.source == m.source;
}

}  // namespace

StatusOr<bool> NodeVolumes::mountIsVolumes(const AttachRecord& record, const MountEntry& m) {
  if (!record.block) {
    TNAS_ASSIGN_OR_RETURN(auto staged, env_.mounter.findByTarget(record.stagingPath));
    if (staged && sameFilesystemMount(*staged, m)) return true;
  }
  if (record.isIscsi()) {
    TNAS_ASSIGN_OR_RETURN(auto where, attacher_.locate(record));
    if (where.device) {
      TNAS_ASSIGN_OR_RETURN(auto onDevice, env_.mounter.findByDevice(where.device->devnode));
      for (const auto& d : onDevice) {
        if (d.target == m.target) return true;
      }
    }
    return false;
  }
  return m.source == record.nfsServer + ":" + record.nfsExport ||
         m.source == "[" + record.nfsServer + "]:" + record.nfsExport;
}

Status NodeVolumes::unmountAt(const std::string& path, const AttachRecord* owner) {
  auto at = beneath_.resolve(path, BeneathRoot::Want::kParent);
  if (absl::IsNotFound(at.status())) return absl::OkStatus();  // no directory, no mount
  TNAS_RETURN_IF_ERROR(at.status());
  for (int i = 0; i < 8; ++i) {  // stacked mounts: peel them all
    TNAS_ASSIGN_OR_RETURN(auto current, env_.mounter.findByTarget(path));
    if (!current) return absl::OkStatus();
    if (owner != nullptr) {
      TNAS_ASSIGN_OR_RETURN(bool ours, mountIsVolumes(*owner, *current));
      if (!ours) {
        return absl::FailedPreconditionError(bounded(path) + " holds a mount of " +
                                             bounded(current->source) + " that is not volume " +
                                             owner->volumeId + "'s; it was left alone");
      }
    }
    bool stale = env_.mounter.isStale(path);
    TNAS_RETURN_IF_ERROR(env_.mounter.unmount(*at, stale || current->fsType.rfind("nfs", 0) == 0));
  }
  return absl::FailedPreconditionError(bounded(path) + " still has mounts after 8 unmounts");
}

Status NodeVolumes::nothingMountedAt(const std::string& volumeId, const std::string& path,
                                     const char* field) {
  TNAS_ASSIGN_OR_RETURN(auto current, env_.mounter.findByTarget(path));
  if (!current) return absl::OkStatus();
  return absl::FailedPreconditionError(
      "volume " + volumeId + " has no attach record on this node, and " + field + " " +
      bounded(path) + " holds a mount of " + bounded(current->source) +
      " that this agent cannot prove is its own; it was left alone");
}

Status NodeVolumes::refuseWhilePublished(const AttachRecord& record) {
  auto busy = [&](const std::string& where) {
    return absl::FailedPreconditionError("volume " + record.volumeId + " is still mounted at " +
                                         bounded(where) + "; unpublish it first");
  };
  for (const auto& t : record.targets) {
    TNAS_ASSIGN_OR_RETURN(auto m, env_.mounter.findByTarget(t.path));
    if (m) return busy(t.path);
  }
  if (record.isIscsi()) {
    // Refuse while a pod still uses the device (kubelet unpublishes first; this guards the rest).
    TNAS_ASSIGN_OR_RETURN(auto where, attacher_.locate(record));
    if (!where.device) return absl::OkStatus();
    TNAS_ASSIGN_OR_RETURN(auto mounts, env_.mounter.findByDevice(where.device->devnode));
    for (const auto& m : mounts) {
      if (m.target != record.stagingPath) return busy(m.target);
    }
    return absl::OkStatus();
  }
  // NFS: every bind of the staging mount shares its device numbers and its source.
  TNAS_ASSIGN_OR_RETURN(auto staged, env_.mounter.findByTarget(record.stagingPath));
  if (!staged) return absl::OkStatus();
  TNAS_ASSIGN_OR_RETURN(auto binds, env_.mounter.findByNumbers(staged->major, staged->minor));
  for (const auto& m : binds) {
    if (m.target != record.stagingPath && sameFilesystemMount(*staged, m)) return busy(m.target);
  }
  return absl::OkStatus();
}

Status NodeVolumes::dropTarget(AttachRecord& record, const std::string& path) {
  auto it = std::find_if(record.targets.begin(), record.targets.end(),
                         [&](const AttachRecord::Target& t) { return t.path == path; });
  if (it == record.targets.end()) return absl::OkStatus();
  record.targets.erase(it);
  record.updatedAt = now();
  return env_.records.save(record);
}

}  // namespace tnascsi::agent::stage

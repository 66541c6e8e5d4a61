// NodeVolumes: expand and stats (see node_volumes.h).
#include "agent/stage/node_volumes.h"
#include "common/log/log.h"

namespace tnascsi::agent::stage {

StatusOr<uint64_t> NodeVolumes::expand(const std::string& volumeId, const std::string& volumePath) {
  TNAS_RETURN_IF_ERROR(validateVolumeId(volumeId));
  TNAS_RETURN_IF_ERROR(guard_.check(volumePath, "volume_path"));
  TNAS_ASSIGN_OR_RETURN(auto token, env_.inflight.tryAcquire(volumeId));
  common::LogScope scope("volume", volumeId);
  TNAS_ASSIGN_OR_RETURN(auto record, env_.records.load(volumeId));
  if (!record || record->phase != AttachRecord::Phase::kStaged) {
    return absl::NotFoundError("volume " + volumeId + " is not staged on this node");
  }
  if (!record->isIscsi()) return uint64_t{0};  // NFS: the quota grew on the server
  if (record->multipath) {
    return absl::FailedPreconditionError(
        "volume " + volumeId +
        ": online expansion of multipath volumes is not supported yet (docs/multipath.md); "
        "unstage, expand and stage it again");
  }
  TNAS_ASSIGN_OR_RETURN(auto where, attacher_.locate(*record));
  if (!where.device) {
    return absl::UnavailableError("volume " + volumeId + ": " + where.problem + "; retry later");
  }
  TNAS_ASSIGN_OR_RETURN(BlockDevice device, env_.blocks.rescanLun(where.device->address));
  if (record->block) {
    TNAS_LOG(Info).kv("bytes", device.sizeBytes) << "rescanned block volume";
    return device.sizeBytes;
  }
  TNAS_RETURN_IF_ERROR(
      env_.filesystems.growOnline(record->stagingPath, record->fsType, device.devnode));
  TNAS_LOG(Info).kv("bytes", device.sizeBytes) << "grew filesystem online";
  return device.sizeBytes;
}

StatusOr<VolumeCondition> NodeVolumes::liveCondition(const AttachRecord& record,
                                                     const std::string& path, std::string* devnode,
                                                     bool* degraded) {
  if (!record.isIscsi()) {
    if (env_.mounter.isStale(path)) {
      return VolumeCondition{true, "NFS mount at " + path + " is stale (server unreachable)"};
    }
    return VolumeCondition{false, "NFS mount is healthy"};
  }
  std::optional<VolumeCondition> pathsDown;  // multipath: some paths down, the map still works
  if (record.multipath) {
    TNAS_ASSIGN_OR_RETURN(auto where, attacher_.locatePaths(record));
    VolumeCondition c = IscsiAttacher::pathsCondition(record, where);
    if (c.abnormal && (where.up == 0 || (!record.mapUuid.empty() && !where.map))) return c;
    if (c.abnormal) pathsDown = c;
    if (where.map) {
      *devnode = where.map->devnode;
    } else {
      for (const auto& l : where.paths) {
        if (l.device && devnode->empty()) *devnode = l.device->devnode;
      }
    }
  } else {
    TNAS_ASSIGN_OR_RETURN(auto where, attacher_.locate(record));
    if (!where.session) return VolumeCondition{true, where.problem};
    if (where.session->state != "LOGGED_IN") {
      return VolumeCondition{true, "iSCSI session to " + record.iqn + " is " +
                                       where.session->state + " (iscsid is reconnecting)"};
    }
    if (!where.device) return VolumeCondition{true, where.problem};
    *devnode = where.device->devnode;
  }
  if (!record.block) {
    // A disk deleted under a mounted filesystem keeps its name and numbers until the unmount, so a
    // rescan (self-healing) brings the LUN back as another disk while the staged filesystem stays
    // on the dead one and fails every write: that is not healthy.
    TNAS_ASSIGN_OR_RETURN(auto onDevice, env_.mounter.findByDevice(*devnode));
    bool stagedHere = false;
    for (const auto& m : onDevice) stagedHere = stagedHere || m.target == record.stagingPath;
    if (!stagedHere) {
      TNAS_ASSIGN_OR_RETURN(auto staged, env_.mounter.findByTarget(record.stagingPath));
      if (staged) {
        return VolumeCondition{true, "the staged filesystem is on " + staged->source +
                                         " but the LUN is now " + *devnode +
                                         " (its disk was removed and found again); unstage and "
                                         "stage the volume again"};
      }
    }
  }
  if (!record.block && env_.mounter.isStale(path)) {
    return VolumeCondition{true, "filesystem at " + path + " does not answer"};
  }
  if (pathsDown) {
    *degraded = true;
    return *pathsDown;
  }
  if (record.multipath) return VolumeCondition{false, "all iSCSI paths and the map are healthy"};
  return VolumeCondition{false, "iSCSI session and LUN are healthy"};
}

StatusOr<VolumeStats> NodeVolumes::stats(const std::string& volumeId,
                                         const std::string& volumePath) {
  TNAS_RETURN_IF_ERROR(validateVolumeId(volumeId));
  TNAS_RETURN_IF_ERROR(guard_.check(volumePath, "volume_path"));
  TNAS_ASSIGN_OR_RETURN(auto record, env_.records.load(volumeId));
  if (!record || record->phase != AttachRecord::Phase::kStaged) {
    return absl::NotFoundError("volume " + volumeId + " is not staged on this node");
  }
  // Only the volume's own paths: its staging path, a recorded target, or a mount of it.
  bool own = volumePath == record->stagingPath || record->findTarget(volumePath) != nullptr;
  if (!own) {
    TNAS_ASSIGN_OR_RETURN(auto current, env_.mounter.findByTarget(volumePath));
    if (current) {
      TNAS_ASSIGN_OR_RETURN(own, mountIsVolumes(*record, *current));
    }
  }
  if (!own) {
    return absl::NotFoundError("volume_path " + bounded(volumePath) + " is not where volume " +
                               volumeId + " is staged or published on this node");
  }
  auto at = beneath_.resolve(volumePath, BeneathRoot::Want::kExisting);
  if (absl::IsNotFound(at.status())) {
    return absl::NotFoundError("volume_path " + bounded(volumePath) + " does not exist");
  }
  TNAS_RETURN_IF_ERROR(at.status());
  VolumeStats out;
  out.block = record->block;
  std::string devnode;
  bool degraded = false;
  auto live = liveCondition(*record, volumePath, &devnode, &degraded);
  if (live.ok()) {
    out.condition = *live;
  } else {
    // The seams could not answer now: fall back to the self-healing loop's last verdict.
    auto healer = health_.get(volumeId);
    out.condition = healer && healer->abnormal
                        ? *healer
                        : VolumeCondition{true, "cannot check the volume: " +
                                                    std::string(live.status().message())};
  }
  // Do not touch a sick device or mount; a multipath volume with a path down still serves I/O.
  if (out.condition.abnormal && !degraded) return out;
  if (record->block) {
    TNAS_ASSIGN_OR_RETURN(out.sizeBytes, env_.filesystems.deviceSize(devnode));
  } else {
    TNAS_ASSIGN_OR_RETURN(out.fs, env_.filesystems.stats(at->viaFd()));  // the resolved object
  }
  return out;
}

}  // namespace tnascsi::agent::stage

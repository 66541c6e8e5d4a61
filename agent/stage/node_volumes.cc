// NodeVolumes: stage and unstage (see node_volumes.h). Publish/unpublish live in publish.cc,
// expand/stats in volume_ops.cc.
#include "agent/stage/node_volumes.h"

#include <chrono>

#include "agent/mount/mount_options.h"
#include "common/log/log.h"
#include "common/metrics/node_metrics.h"

namespace tnascsi::agent::stage {
NodeVolumes::NodeVolumes(StageEnv env, StageConfig config, IscsiAttacher& attacher,
                         VolumeHealth& health)
    : env_(env),
      config_(std::move(config)),
      attacher_(attacher),
      health_(health),
      guard_(config_.kubeletDir),
      beneath_(config_.kubeletDir) {}

int64_t NodeVolumes::now() const {
  return std::chrono::duration_cast<std::chrono::seconds>(env_.clock.wallNow().time_since_epoch())
      .count();
}

Status NodeVolumes::stage(const StageRequest& request) {
  TNAS_RETURN_IF_ERROR(validateVolumeId(request.volumeId));
  TNAS_RETURN_IF_ERROR(guard_.check(request.stagingPath, "staging_target_path"));
  TNAS_ASSIGN_OR_RETURN(Protocol protocol, parseProtocol(request.context));
  TNAS_ASSIGN_OR_RETURN(auto token, env_.inflight.tryAcquire(request.volumeId));
  TNAS_ASSIGN_OR_RETURN(auto existing, env_.records.load(request.volumeId));
  if (existing && existing->phase == AttachRecord::Phase::kStaged &&
      existing->stagingPath != request.stagingPath) {
    return absl::FailedPreconditionError("volume " + request.volumeId + " is already staged at " +
                                         existing->stagingPath);
  }
  if (existing && existing->phase == AttachRecord::Phase::kDetaching) {
    return absl::FailedPreconditionError("volume " + request.volumeId +
                                         " is being unstaged; retry when that finishes");
  }
  common::LogScope scope("volume", request.volumeId);
  return protocol == Protocol::kNfs ? stageNfs(request, existing) : stageIscsi(request, existing);
}

Status NodeVolumes::stageIscsi(const StageRequest& request,
                               const std::optional<AttachRecord>& existing) {
  auto stageStarted = std::chrono::steady_clock::now();
  TNAS_ASSIGN_OR_RETURN(IscsiVolumeContext context, parseIscsiContext(request.context));
  TNAS_ASSIGN_OR_RETURN(ChapCredentials chap, parseChapSecrets(request.secrets));
  std::string fsType = request.fsType.empty() ? config_.defaultFsType : request.fsType;
  if (!request.block) {
    if (fsType != "ext4" && fsType != "xfs") {
      return absl::InvalidArgumentError("fs_type \"" + bounded(fsType, 64) +
                                        "\" is not supported (ext4, xfs)");
    }
    TNAS_RETURN_IF_ERROR(validateFsMountOptions(request.mountFlags));
    TNAS_RETURN_IF_ERROR(
        beneath_.resolve(request.stagingPath, BeneathRoot::Want::kDirectory).status());
  }
  if (existing && existing->phase == AttachRecord::Phase::kStaged &&
      (existing->iqn != context.iqn || existing->lun != context.lun ||
       existing->block != request.block || existing->multipath != context.multipath)) {
    return absl::FailedPreconditionError("volume " + request.volumeId +
                                         " is already staged from another target, LUN or mode");
  }

  AttachRecord record;
  record.volumeId = request.volumeId;
  record.protocol = "iscsi";
  record.phase = existing ? existing->phase : AttachRecord::Phase::kAttaching;
  record.stagingPath = request.stagingPath;
  record.block = request.block;
  record.fsType = request.block ? "" : fsType;
  record.iqn = context.iqn;
  record.lun = context.lun;
  record.serial = context.serial;
  record.naa = context.naa;
  record.chap = chap;
  bool recordIsNew = !existing.has_value();

  StatusOr<IscsiAttacher::Attached> attached = absl::UnknownError("not attached");
  if (context.multipath) {
    attached =
        attacher_.attachMultipath(context, chap, record.volumeId,
                                  [&](const std::vector<std::pair<std::string, int>>& portals) {
                                    recordPaths(record, portals);
                                    record.updatedAt = now();
                                    return env_.records.save(record);
                                  });
    if (!attached.ok()) {  // attachMultipath logged out of what it logged in to
      if (recordIsNew && !record.paths.empty()) {
        Status undone = env_.records.remove(record.volumeId);
        if (!undone.ok()) {
          TNAS_LOG(Warn) << "rollback after failed attach: " << undone;
        }
      }
      return attached.status();
    }
    recordMap(record, *attached);
  } else {
    attached = attacher_.attach(context, chap, [&](const std::string& address, int port) {
      record.portalAddress = address;
      record.portalPort = port;
      record.updatedAt = now();
      return env_.records.save(record);
    });
  }
  if (!attached.ok()) {
    // Nothing was written to any device; undo a login made for a record that is not needed.
    if (recordIsNew && !record.portalAddress.empty()) {
      Status undone = attacher_.releaseSessionIfUnused(
          sessionKey(record.iqn, record.portalAddress, record.portalPort), record.volumeId);
      if (undone.ok()) undone = env_.records.remove(record.volumeId);
      if (!undone.ok()) {
        TNAS_LOG(Warn) << "rollback after failed attach: " << undone;
      }
    }
    return attached.status();
  }
  record.sid = attached->session.sid;
  record.devnode = attached->device.devnode;

  StageSplit split;
  if (!request.block) {
    Status mounted = mountFilesystem(request, fsType, context, attached->device, &split);
    if (!mounted.ok()) {
      if (recordIsNew) {
        Status undone = rollback(record, true, attached->createdSession);
        if (!undone.ok()) {
          TNAS_LOG(Warn) << "rollback after failed stage: " << undone;
        }
      }
      return mounted;
    }
  }
  record.phase = AttachRecord::Phase::kStaged;
  record.updatedAt = now();
  TNAS_RETURN_IF_ERROR(env_.records.save(record));
  health_.set(request.volumeId, VolumeCondition{false, "staged"});
  TNAS_LOG(Info).kv("device", attached->device.devnode).kv("block", request.block)
      << "staged iSCSI volume";
  TNAS_LOG(Info)  // the volume id comes from the log scope
          .kv("login_ms", attached->loginMs)
          .kv("device_ms", attached->deviceMs)
          .kv("identity_ms", attached->identityMs)
          .kv("mkfs_ms", split.mkfsMs)
          .kv("mount_ms", split.mountMs)
          .kv("total_ms", std::chrono::duration<double, std::milli>(
                              std::chrono::steady_clock::now() - stageStarted)
                              .count())
      << "stage timings";
  common::metrics::recordStageSplit(attached->loginMs, attached->deviceMs, attached->identityMs,
                                    split.mkfsMs, split.mountMs);
  return absl::OkStatus();
}

// ---- multipath (issue #16): what the record holds of a multipath attach.
void NodeVolumes::recordPaths(AttachRecord& record,
                              const std::vector<std::pair<std::string, int>>& portals) {
  record.multipath = true;
  record.paths.clear();
  for (const auto& [address, port] : portals) {
    AttachRecord::Path p;
    p.address = address;
    p.port = port;
    record.paths.push_back(p);
  }
  record.portalAddress = portals.front().first;  // single-path readers see the first path
  record.portalPort = portals.front().second;
}

void NodeVolumes::recordMap(AttachRecord& record, const IscsiAttacher::Attached& attached) {
  for (size_t i = 0; i < record.paths.size() && i < attached.paths.size(); ++i) {
    record.paths[i].sid = attached.paths[i].session.sid;
    record.paths[i].devnode = attached.paths[i].device.devnode;
  }
  record.mapName = attached.map ? attached.map->name : "";
  record.mapUuid = attached.map ? attached.map->uuid : "";
}
// ---- end multipath

Status NodeVolumes::mountFilesystem(const StageRequest& request, const std::string& fsType,
                                    const IscsiVolumeContext& context, const BlockDevice& device,
                                    StageSplit* split) {
  auto t0 = std::chrono::steady_clock::now();
  auto msSince = [](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
  };
  TNAS_ASSIGN_OR_RETURN(auto current, env_.mounter.findByTarget(request.stagingPath));
  if (current) {
    TNAS_ASSIGN_OR_RETURN(auto deviceMounts, env_.mounter.findByDevice(device.devnode));
    for (const auto& m : deviceMounts) {
      if (m.target == request.stagingPath) return absl::OkStatus();  // already staged
    }
    return absl::FailedPreconditionError("staging path " + request.stagingPath + " already has " +
                                         current->source + " mounted, not " + device.devnode);
  }
  TNAS_ASSIGN_OR_RETURN(auto elsewhere, env_.mounter.findByDevice(device.devnode));
  if (!elsewhere.empty()) {
    return absl::FailedPreconditionError(device.devnode + " is already mounted at " +
                                         elsewhere.front().target);
  }
  TNAS_ASSIGN_OR_RETURN(ProbeResult probe, env_.filesystems.probe(device.devnode));
  switch (probe.kind) {
    case ProbeResult::Kind::kBlank:
      TNAS_LOG(Info).kv("device", device.devnode).kv("fstype", fsType) << "formatting blank LUN";
      TNAS_RETURN_IF_ERROR(env_.filesystems.format(device.devnode, fsType, context.mkfsOptions));
      break;
    case ProbeResult::Kind::kFilesystem:
      if (probe.type != fsType) {
        return absl::FailedPreconditionError(device.devnode + " holds a " + probe.type +
                                             " filesystem but the volume asks for " + fsType +
                                             "; refusing to mount or format it");
      }
      break;
    case ProbeResult::Kind::kPartitionTable:
      return absl::FailedPreconditionError(device.devnode + " holds a " + probe.type +
                                           " partition table; refusing to format it");
    case ProbeResult::Kind::kOther:
      return absl::FailedPreconditionError(
          device.devnode + " holds a " + probe.type +
          " signature (LVM/RAID/encryption?); refusing to format it");
  }
  split->mkfsMs = msSince(t0);  // probe + mkfs (0 formatting when the filesystem exists)
  t0 = std::chrono::steady_clock::now();
  std::vector<std::string> options = request.mountFlags;
  if (fsType == "xfs") options.push_back("nouuid");  // clones share the source's UUID
  TNAS_ASSIGN_OR_RETURN(auto at,
                        beneath_.resolve(request.stagingPath, BeneathRoot::Want::kDirectory));
  Status mounted = env_.mounter.mount(device.devnode, at, fsType, joinOptions(options));
  split->mountMs = msSince(t0);
  return mounted;
}

Status NodeVolumes::rollback(const AttachRecord& record, bool recordIsNew, bool createdSession) {
  (void)createdSession;  // ownership markers decide; a fresh login is marked owned
  Status detached = attacher_.detach(record);
  if (!detached.ok()) return detached;
  if (recordIsNew) TNAS_RETURN_IF_ERROR(env_.records.remove(record.volumeId));
  return absl::OkStatus();
}

Status NodeVolumes::stageNfs(const StageRequest& request,
                             const std::optional<AttachRecord>& existing) {
  if (request.block) {
    return absl::InvalidArgumentError("NFS volumes cannot be used as raw block devices");
  }
  TNAS_ASSIGN_OR_RETURN(NfsVolumeContext context, parseNfsContext(request.context));
  TNAS_RETURN_IF_ERROR(validateNfsMountOptions(request.mountFlags));
  TNAS_ASSIGN_OR_RETURN(auto at,
                        beneath_.resolve(request.stagingPath, BeneathRoot::Want::kDirectory));
  std::string source = context.server + ":" + context.share;
  TNAS_ASSIGN_OR_RETURN(auto current, env_.mounter.findByTarget(request.stagingPath));
  if (current) {
    bool sameExport =
        current->source == source || current->source == "[" + context.server + "]:" + context.share;
    if (!sameExport) {
      return absl::FailedPreconditionError("staging path " + request.stagingPath + " already has " +
                                           current->source + " mounted");
    }
    if (env_.mounter.isStale(request.stagingPath)) {
      TNAS_LOG(Warn).kv("path", request.stagingPath) << "staging mount is stale; remounting";
      TNAS_RETURN_IF_ERROR(env_.mounter.unmount(at, true));
      current.reset();
    }
  }
  AttachRecord record = existing.value_or(AttachRecord{});
  record.volumeId = request.volumeId;
  record.protocol = "nfs";
  record.stagingPath = request.stagingPath;
  record.block = false;
  record.fsType = "nfs";
  record.nfsServer = context.server;
  record.nfsExport = context.share;
  record.nfsVersion = context.version;
  record.mountOptions = request.mountFlags;
  if (!current) {
    if (!existing) {  // recorded before the mount, so unstage can prove the mount is its own
      record.phase = AttachRecord::Phase::kAttaching;
      record.updatedAt = now();
      TNAS_RETURN_IF_ERROR(env_.records.save(record));
    }
    NfsMountSpec spec;
    spec.server = context.server;
    spec.exportPath = context.share;
    spec.target = request.stagingPath;
    spec.version = context.version;
    spec.options = request.mountFlags;
    Status mounted = env_.mounter.mountNfs(spec, at);
    if (!mounted.ok()) {
      if (!existing) {
        Status undone = env_.records.remove(request.volumeId);
        if (!undone.ok()) {
          TNAS_LOG(Warn) << "rollback after failed NFS mount: " << undone;
        }
      }
      return mounted;
    }
  }
  record.phase = AttachRecord::Phase::kStaged;
  record.updatedAt = now();
  TNAS_RETURN_IF_ERROR(env_.records.save(record));
  health_.set(request.volumeId, VolumeCondition{false, "staged"});
  TNAS_LOG(Info).kv("source", source) << "staged NFS volume";
  return absl::OkStatus();
}

Status NodeVolumes::unstage(const std::string& volumeId, const std::string& stagingPath) {
  TNAS_RETURN_IF_ERROR(validateVolumeId(volumeId));
  TNAS_RETURN_IF_ERROR(guard_.check(stagingPath, "staging_target_path"));
  TNAS_ASSIGN_OR_RETURN(auto token, env_.inflight.tryAcquire(volumeId));
  common::LogScope scope("volume", volumeId);
  TNAS_ASSIGN_OR_RETURN(auto record, env_.records.load(volumeId));
  if (!record) {
    // Never staged, already unstaged, or the record was lost: nothing here is provably this
    // volume's, so nothing is touched; OK only when nothing is mounted at the path.
    TNAS_RETURN_IF_ERROR(nothingMountedAt(volumeId, stagingPath, "staging_target_path"));
    health_.erase(volumeId);
    return absl::OkStatus();
  }
  if (record->stagingPath != stagingPath) {
    TNAS_LOG(Warn).kv("recorded", record->stagingPath).kv("requested", stagingPath)
        << "unstage names another staging path; cleaning this volume's mounts at both";
    TNAS_RETURN_IF_ERROR(unmountAt(stagingPath, &*record));
  }
  TNAS_RETURN_IF_ERROR(refuseWhilePublished(*record));
  if (record->phase != AttachRecord::Phase::kDetaching) {
    record->phase = AttachRecord::Phase::kDetaching;
    record->updatedAt = now();
    TNAS_RETURN_IF_ERROR(env_.records.save(*record));
  }
  TNAS_RETURN_IF_ERROR(unmountAt(record->stagingPath, nullptr));
  if (record->isIscsi()) TNAS_RETURN_IF_ERROR(attacher_.detach(*record));
  TNAS_RETURN_IF_ERROR(env_.records.remove(volumeId));
  health_.erase(volumeId);
  TNAS_LOG(Info) << "unstaged volume";
  return absl::OkStatus();
}

}  // namespace tnascsi::agent::stage

// NodeVolumes: publish and unpublish (see node_volumes.h).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "agent/mount/mount_options.h"
#include "agent/stage/node_volumes.h"
#include "common/log/log.h"

namespace tnascsi::agent::stage {
namespace {

// Removes the directory or regular file publish created, by its name in the resolved parent
// (never followed; anything else found there is left alone).
Status removeCreated(const ResolvedPath& at) {
  struct stat st {};
  if (::fstatat(at.parentFd(), at.name().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return common::errnoStatus("stat " + bounded(at.path()), errno);
  }
  if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) return absl::OkStatus();
  if (::unlinkat(at.parentFd(), at.name().c_str(), S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) != 0 &&
      errno != ENOENT) {
    return common::errnoStatus("remove " + bounded(at.path()), errno);
  }
  return absl::OkStatus();
}

}  // namespace

Status NodeVolumes::publish(const PublishRequest& request) {
  TNAS_RETURN_IF_ERROR(validateVolumeId(request.volumeId));
  TNAS_RETURN_IF_ERROR(guard_.check(request.stagingPath, "staging_target_path"));
  TNAS_RETURN_IF_ERROR(guard_.check(request.targetPath, "target_path"));
  if (request.targetPath == request.stagingPath) {
    return absl::InvalidArgumentError("target_path equals staging_target_path");
  }
  TNAS_ASSIGN_OR_RETURN(auto token, env_.inflight.tryAcquire(request.volumeId));
  common::LogScope scope("volume", request.volumeId);
  TNAS_ASSIGN_OR_RETURN(auto record, env_.records.load(request.volumeId));
  if (!record || record->phase != AttachRecord::Phase::kStaged) {
    return absl::FailedPreconditionError("volume " + request.volumeId +
                                         " is not staged on this node");
  }
  if (record->stagingPath != request.stagingPath) {
    return absl::FailedPreconditionError("volume " + request.volumeId + " is staged at " +
                                         record->stagingPath + ", not " +
                                         bounded(request.stagingPath));
  }
  if (record->block != request.block) {
    return absl::InvalidArgumentError(std::string("volume was staged as a ") +
                                      (record->block ? "block" : "filesystem") +
                                      " volume; the capability asks otherwise");
  }
  if (record->isIscsi()) {
    TNAS_RETURN_IF_ERROR(validateFsMountOptions(request.mountFlags));
  } else {
    TNAS_RETURN_IF_ERROR(validateNfsMountOptions(request.mountFlags));
  }

  // Per-mount flags go on the bind; filesystem options were applied by the staging mount.
  BindFlags flags = bindFlagsFor(request.mountFlags, request.readOnly);
  if (!record->block && !flags.ignored.empty()) {
    TNAS_LOG(Debug).kv("options", joinOptions(flags.ignored))
        << "mount options that only apply to the staging mount are not applied to the bind";
  }

  TNAS_ASSIGN_OR_RETURN(auto current, env_.mounter.findByTarget(request.targetPath));
  if (current) {
    if (current->readOnly() != flags.readOnly) {
      return absl::AlreadyExistsError("target_path " + bounded(request.targetPath) +
                                      " is already published with a different read-only mode");
    }
    if (!record->block) {  // a filesystem bind shares the staging mount's device and source
      TNAS_ASSIGN_OR_RETURN(auto staged, env_.mounter.findByTarget(record->stagingPath));
      if (!staged || staged->source != current->source || staged->major != current->major ||
          staged->minor != current->minor) {
        return absl::AlreadyExistsError("target_path " + bounded(request.targetPath) +
                                        " already holds another mount (" +
                                        bounded(current->source) + ")");
      }
      if (!bindFlagsMatch(flags, current->options)) {
        return absl::AlreadyExistsError("target_path " + bounded(request.targetPath) +
                                        " is already published with other mount flags (" +
                                        current->options + "; asked " + flags.describe() + ")");
      }
    }
    if (!record->block) return absl::OkStatus();  // already published (a bind of the staging fs)
    TNAS_ASSIGN_OR_RETURN(bool ours, mountIsVolumes(*record, *current));
    if (!ours) {
      return absl::AlreadyExistsError("target_path " + bounded(request.targetPath) +
                                      " already holds another mount (" + bounded(current->source) +
                                      ")");
    }
    return absl::OkStatus();  // already published
  }

  // Resolve (and create) the target below the kubelet directory, record it, then mount onto the
  // object that was resolved. The record comes first so that a crash leaves a target that
  // unpublish can prove is this volume's.
  std::optional<ResolvedPath> source;
  std::string devnode;
  if (record->block) {
    TNAS_ASSIGN_OR_RETURN(auto where, attacher_.locate(*record));
    if (!where.device) {
      return absl::UnavailableError("volume " + request.volumeId + ": " + where.problem +
                                    "; the self-healing loop is reattaching it, retry later");
    }
    devnode = where.device->devnode;
  } else {
    TNAS_ASSIGN_OR_RETURN(auto staged, env_.mounter.findByTarget(record->stagingPath));
    if (!staged) {
      return absl::FailedPreconditionError("staging path " + record->stagingPath +
                                           " is not mounted; stage the volume again");
    }
    TNAS_ASSIGN_OR_RETURN(source,
                          beneath_.resolve(record->stagingPath, BeneathRoot::Want::kExisting));
  }
  TNAS_ASSIGN_OR_RETURN(
      auto target,
      beneath_.resolve(request.targetPath,
                       record->block ? BeneathRoot::Want::kFile : BeneathRoot::Want::kDirectory));
  bool recorded = record->findTarget(request.targetPath) != nullptr;
  if (source && target.stat().st_dev == source->stat().st_dev &&
      target.stat().st_ino == source->stat().st_ino) {
    // The resolved target already is the staging filesystem's root (a bind made while the path
    // string named another place, e.g. during a rename race): published, not stacked again.
    if (recorded) return absl::OkStatus();
    record->targets.push_back({request.targetPath, false});
    record->updatedAt = now();
    return env_.records.save(*record);
  }
  auto undoTarget = [&] {
    if (target.created()) {
      ::unlinkat(target.parentFd(), target.name().c_str(), record->block ? 0 : AT_REMOVEDIR);
    }
    if (!recorded) {
      Status dropped = dropTarget(*record, request.targetPath);
      if (!dropped.ok()) {
        TNAS_LOG(Warn) << "cannot drop the unpublished target: " << dropped;
      }
    }
  };
  if (!recorded) {
    record->targets.push_back({request.targetPath, target.created()});
    record->updatedAt = now();
    Status saved = env_.records.save(*record);
    if (!saved.ok()) {
      recorded = true;  // nothing to drop from the file
      undoTarget();
      return saved;
    }
  }
  Status mounted = record->block ? env_.mounter.bindMount(devnode, target, flags.readOnly)
                                 : env_.mounter.bindMountWithFlags(*source, target, flags);
  if (!mounted.ok()) {
    undoTarget();
    return mounted;
  }
  TNAS_LOG(Info).kv("target", request.targetPath).kv("flags", flags.describe()) << "published";
  return absl::OkStatus();
}

Status NodeVolumes::unpublish(const std::string& volumeId, const std::string& targetPath) {
  TNAS_RETURN_IF_ERROR(validateVolumeId(volumeId));
  TNAS_RETURN_IF_ERROR(guard_.check(targetPath, "target_path"));
  TNAS_ASSIGN_OR_RETURN(auto token, env_.inflight.tryAcquire(volumeId));
  common::LogScope scope("volume", volumeId);
  TNAS_ASSIGN_OR_RETURN(auto record, env_.records.load(volumeId));
  const AttachRecord::Target* recorded = record ? record->findTarget(targetPath) : nullptr;
  bool created = recorded != nullptr && recorded->created;
  // A recorded target is this volume's by the record; any other path only when what is mounted
  // there is proven to be this volume's (a path holding someone else's mount is left alone).
  if (recorded != nullptr) {
    TNAS_RETURN_IF_ERROR(unmountAt(targetPath, nullptr));
  } else if (record) {
    TNAS_RETURN_IF_ERROR(unmountAt(targetPath, &*record));
  } else {
    TNAS_RETURN_IF_ERROR(nothingMountedAt(volumeId, targetPath, "target_path"));
  }
  if (created) {
    // Remove only what publish created, re-resolved after the unmount.
    auto at = beneath_.resolve(targetPath, BeneathRoot::Want::kParent);
    if (!at.ok() && !absl::IsNotFound(at.status())) return at.status();
    if (at.ok()) TNAS_RETURN_IF_ERROR(removeCreated(*at));
  }
  if (recorded != nullptr) TNAS_RETURN_IF_ERROR(dropTarget(*record, targetPath));
  TNAS_LOG(Info).kv("target", targetPath) << "unpublished";
  return absl::OkStatus();
}

}  // namespace tnascsi::agent::stage

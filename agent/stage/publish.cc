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

// Creates the missing directories of `path` (below an already checked root).
Status makeParents(const std::string& path) {
  std::string::size_type pos = 1;
  while ((pos = path.find('/', pos)) != std::string::npos) {
    std::string dir = path.substr(0, pos);
    if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) {
      return common::errnoStatus("create directory " + dir, errno);
    }
    ++pos;
  }
  return absl::OkStatus();
}

Status ensureTargetDir(const std::string& path) {
  TNAS_RETURN_IF_ERROR(makeParents(path));
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return absl::OkStatus();
    return absl::InvalidArgumentError("target_path " + path + " exists and is not a directory");
  }
  if (::mkdir(path.c_str(), 0750) != 0 && errno != EEXIST) {
    return common::errnoStatus("create directory " + path, errno);
  }
  return absl::OkStatus();
}

Status ensureTargetFile(const std::string& path) {
  TNAS_RETURN_IF_ERROR(makeParents(path));
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (S_ISREG(st.st_mode)) return absl::OkStatus();
    return absl::InvalidArgumentError("target_path " + path + " exists and is not a regular file");
  }
  int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0640);
  if (fd < 0 && errno != EEXIST) return common::errnoStatus("create file " + path, errno);
  if (fd >= 0) ::close(fd);
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
                                         record->stagingPath + ", not " + request.stagingPath);
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
      return absl::AlreadyExistsError("target_path " + request.targetPath +
                                      " is already published with a different read-only mode");
    }
    if (!record->block) {  // a filesystem bind shares the staging mount's device and source
      TNAS_ASSIGN_OR_RETURN(auto staged, env_.mounter.findByTarget(record->stagingPath));
      if (!staged || staged->source != current->source || staged->major != current->major ||
          staged->minor != current->minor) {
        return absl::AlreadyExistsError("target_path " + request.targetPath +
                                        " already holds another mount (" + current->source + ")");
      }
      if (!bindFlagsMatch(flags, current->options)) {
        return absl::AlreadyExistsError("target_path " + request.targetPath +
                                        " is already published with other mount flags (" +
                                        current->options + "; asked " + flags.describe() + ")");
      }
    }
    return absl::OkStatus();  // already published
  }

  if (record->block) {
    TNAS_ASSIGN_OR_RETURN(auto where, attacher_.locate(*record));
    if (!where.device) {
      return absl::UnavailableError("volume " + request.volumeId + ": " + where.problem +
                                    "; the self-healing loop is reattaching it, retry later");
    }
    TNAS_RETURN_IF_ERROR(ensureTargetFile(request.targetPath));
    TNAS_RETURN_IF_ERROR(
        env_.mounter.bindMount(where.device->devnode, request.targetPath, flags.readOnly));
  } else {
    TNAS_ASSIGN_OR_RETURN(auto staged, env_.mounter.findByTarget(record->stagingPath));
    if (!staged) {
      return absl::FailedPreconditionError("staging path " + record->stagingPath +
                                           " is not mounted; stage the volume again");
    }
    TNAS_RETURN_IF_ERROR(ensureTargetDir(request.targetPath));
    TNAS_RETURN_IF_ERROR(
        env_.mounter.bindMountWithFlags(record->stagingPath, request.targetPath, flags));
  }
  TNAS_LOG(Info).kv("target", request.targetPath).kv("flags", flags.describe()) << "published";
  return absl::OkStatus();
}

Status NodeVolumes::unpublish(const std::string& volumeId, const std::string& targetPath) {
  TNAS_RETURN_IF_ERROR(validateVolumeId(volumeId));
  TNAS_RETURN_IF_ERROR(guard_.check(targetPath, "target_path"));
  TNAS_ASSIGN_OR_RETURN(auto token, env_.inflight.tryAcquire(volumeId));
  common::LogScope scope("volume", volumeId);
  TNAS_RETURN_IF_ERROR(unmountIfMounted(targetPath));
  struct stat st {};
  if (::lstat(targetPath.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return common::errnoStatus("stat " + targetPath, errno);
  }
  int rc = S_ISDIR(st.st_mode) ? ::rmdir(targetPath.c_str()) : ::unlink(targetPath.c_str());
  if (rc != 0 && errno != ENOENT) return common::errnoStatus("remove " + targetPath, errno);
  TNAS_LOG(Info).kv("target", targetPath) << "unpublished";
  return absl::OkStatus();
}

}  // namespace tnascsi::agent::stage

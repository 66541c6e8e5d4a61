// BlkidFilesystems: libblkid probe, mkfs, online grow, stats (see blkid_filesystems.h).
#include "agent/block/blkid_filesystems.h"

#include <blkid.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>

#include "agent/block/mkfs_options.h"
#include "agent/block/online_grow.h"
#include "agent/block/subprocess.h"
#include "common/base/c_handle.h"
#include "common/log/log.h"

namespace tnascsi::agent {
namespace {

using Probe = common::CHandle<blkid_struct_probe, &blkid_free_probe>;

std::string lookup(blkid_probe pr, const char* name) {
  const char* value = nullptr;
  size_t len = 0;
  if (blkid_probe_lookup_value(pr, name, &value, &len) != 0 || value == nullptr) {
    return {};
  }
  std::string s(value, len);
  while (!s.empty() && s.back() == '\0') {
    s.pop_back();
  }
  return s;
}

// The last lines of mkfs's stderr, for an error message.
std::string tail(const std::string& text) {
  constexpr size_t kMax = 512;
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) {
    t.pop_back();
  }
  return t.size() <= kMax ? t : "…" + t.substr(t.size() - kMax);
}

}  // namespace

BlkidFilesystems::BlkidFilesystems(BlkidFilesystemsOptions options)
    : options_(std::move(options)) {}

StatusOr<ProbeResult> BlkidFilesystems::probe(const std::string& devnode) {
  errno = 0;
  Probe pr(blkid_new_probe_from_filename(devnode.c_str()));
  if (!pr) {
    return common::errnoStatus("open " + devnode + " for probing", errno ? errno : EIO);
  }
  blkid_probe_enable_superblocks(pr.get(), 1);
  blkid_probe_set_superblocks_flags(pr.get(),
                                    BLKID_SUBLKS_TYPE | BLKID_SUBLKS_UUID | BLKID_SUBLKS_USAGE);
  blkid_probe_enable_partitions(pr.get(), 1);
  blkid_probe_set_partitions_flags(pr.get(), 0);
  const int rc = blkid_do_safeprobe(pr.get());
  ProbeResult result;
  if (rc == 1) {
    return result;  // nothing found: blank
  }
  if (rc == -2) {
    result.kind = ProbeResult::Kind::kOther;
    result.type = "ambivalent";  // several conflicting signatures
    return result;
  }
  if (rc < 0) {
    return common::errnoStatus("probe " + devnode, errno ? errno : EIO);
  }
  const std::string type = lookup(pr.get(), "TYPE");
  if (!type.empty()) {
    const std::string usage = lookup(pr.get(), "USAGE");
    result.kind =
        usage == "filesystem" ? ProbeResult::Kind::kFilesystem : ProbeResult::Kind::kOther;
    result.type = type;
    result.uuid = lookup(pr.get(), "UUID");
    return result;
  }
  const std::string pttype = lookup(pr.get(), "PTTYPE");
  if (!pttype.empty()) {
    result.kind = ProbeResult::Kind::kPartitionTable;
    result.type = pttype;
    result.uuid = lookup(pr.get(), "PTUUID");
    return result;
  }
  result.kind = ProbeResult::Kind::kOther;
  result.type = "unknown";
  return result;
}

Status BlkidFilesystems::format(const std::string& devnode, const std::string& fsType,
                                const std::vector<std::string>& options) {
  TNAS_RETURN_IF_ERROR(validateMkfsOptions(fsType, options));
  auto tool = findTool("mkfs." + fsType, options_.toolDirs);
  if (!tool.ok()) {
    return absl::FailedPreconditionError(std::string(tool.status().message()));
  }
  TNAS_ASSIGN_OR_RETURN(std::vector<std::string> argv,
                        buildMkfsArgv(*tool, fsType, options, devnode));
  TNAS_LOG(Info).kv("device", devnode).kv("fs", fsType) << "creating filesystem";
  TNAS_ASSIGN_OR_RETURN(ToolResult result, runTool(argv, options_.mkfsTimeout));
  if (result.exitCode != 0) {
    return absl::InternalError("mkfs." + fsType + " on " + devnode + " failed with exit code " +
                               std::to_string(result.exitCode) + ": " + tail(result.stderrText));
  }
  return absl::OkStatus();
}

Status BlkidFilesystems::growOnline(const std::string& mountPath, const std::string& fsType,
                                    const std::string& devnode) {
  TNAS_ASSIGN_OR_RETURN(uint64_t size, deviceSize(devnode));
  if (fsType == "ext4") {
    return growExt4(mountPath, size);
  }
  if (fsType == "xfs") {
    return growXfs(mountPath, size);
  }
  return absl::InvalidArgumentError("online grow supports ext4 and xfs, not '" + fsType + "'");
}

StatusOr<FsStats> BlkidFilesystems::stats(const std::string& path) {
  struct statvfs sv {};
  if (::statvfs(path.c_str(), &sv) != 0) {
    return common::errnoStatus("statvfs " + path, errno);
  }
  FsStats s;
  const uint64_t unit = sv.f_frsize != 0 ? sv.f_frsize : sv.f_bsize;
  s.totalBytes = static_cast<uint64_t>(sv.f_blocks) * unit;
  s.availableBytes = static_cast<uint64_t>(sv.f_bavail) * unit;
  s.usedBytes = static_cast<uint64_t>(sv.f_blocks - sv.f_bfree) * unit;
  s.totalInodes = sv.f_files;
  s.freeInodes = sv.f_ffree;
  s.usedInodes = sv.f_files - sv.f_ffree;
  return s;
}

StatusOr<uint64_t> BlkidFilesystems::deviceSize(const std::string& devnode) {
  const int fd = ::open(devnode.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return common::errnoStatus("open " + devnode, errno);
  }
  uint64_t size = 0;
  const int rc = ::ioctl(fd, BLKGETSIZE64, &size);
  const int err = errno;
  ::close(fd);
  if (rc != 0) {
    return common::errnoStatus("size of " + devnode, err);
  }
  return size;
}

}  // namespace tnascsi::agent

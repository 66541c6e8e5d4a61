// SysfsBlockDevices: sysfs walk, scan, rescan, flush, delete (see sysfs_block_devices.h).
#include "agent/block/sysfs_block_devices.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "agent/block/scsi_address.h"
#include "agent/block/vpd.h"
#include "common/log/log.h"

namespace tnascsi::agent {
namespace fs = std::filesystem;
namespace {

std::optional<std::string> readRaw(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string attr(const fs::path& p) {
  return std::string(absl::StripAsciiWhitespace(readRaw(p).value_or("")));
}

// Writes a sysfs attribute in one write(2), mapping errno once.
Status writeAttr(const fs::path& p, const std::string& value) {
  const int fd = ::open(p.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) {
    return common::errnoStatus("open " + p.string(), errno);
  }
  const ssize_t n = ::write(fd, value.data(), value.size());
  const int err = errno;
  ::close(fd);
  if (n < 0) {
    return common::errnoStatus("write " + p.string(), err);
  }
  return absl::OkStatus();
}

bool dirEmpty(const fs::path& p) {
  std::error_code ec;
  fs::directory_iterator it(p, ec);
  return ec || it == fs::directory_iterator();
}

}  // namespace

SysfsBlockDevices::SysfsBlockDevices(std::string sysfsRoot, std::unique_ptr<DiskWaiter> waiter,
                                     std::string devRoot)
    : root_(std::move(sysfsRoot)), waiter_(std::move(waiter)), devRoot_(std::move(devRoot)) {}

std::string SysfsBlockDevices::scsiDir(const ScsiAddress& address) const {
  return (fs::path(root_) / "bus/scsi/devices" / address.str()).string();
}

StatusOr<std::vector<ScsiAddress>> SysfsBlockDevices::sessionLuns(int sid) {
  const fs::path dev =
      fs::path(root_) / "class/iscsi_session" / ("session" + std::to_string(sid)) / "device";
  std::error_code ec;
  if (!fs::exists(dev, ec)) {
    return absl::NotFoundError("iSCSI session " + std::to_string(sid) + " does not exist");
  }
  std::vector<ScsiAddress> out;
  for (fs::directory_iterator t(dev, ec), end; !ec && t != end; t.increment(ec)) {
    if (t->path().filename().string().rfind("target", 0) != 0) {
      continue;
    }
    std::error_code ec2;
    for (fs::directory_iterator l(t->path(), ec2); !ec2 && l != end; l.increment(ec2)) {
      if (auto a = parseScsiAddress(l->path().filename().string())) {
        out.push_back(*a);
      }
    }
  }
  std::sort(out.begin(), out.end(),
            [](const ScsiAddress& a, const ScsiAddress& b) { return a.lun < b.lun; });
  return out;
}

StatusOr<BlockDevice> SysfsBlockDevices::findLun(const ScsiAddress& address) {
  const fs::path dir = scsiDir(address);
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    return absl::NotFoundError("no SCSI device " + address.str());
  }
  BlockDevice d;
  d.address = address;
  for (fs::directory_iterator it(dir / "block", ec), end; !ec && it != end; it.increment(ec)) {
    d.sysname = it->path().filename().string();
    break;
  }
  if (d.sysname.empty()) {
    return absl::NotFoundError("SCSI device " + address.str() + " has no block disk (yet)");
  }
  d.devnode = devRoot_ + "/" + d.sysname;
  const std::string sectors = attr(dir / "block" / d.sysname / "size");
  try {
    d.sizeBytes = sectors.empty() ? 0 : std::stoull(sectors) * 512;
  } catch (...) {
    return absl::InternalError("unreadable size of " + d.sysname + ": '" + sectors + "'");
  }
  d.vendor = attr(dir / "vendor");
  d.model = attr(dir / "model");
  d.state = attr(dir / "state");
  if (auto pg80 = readRaw(dir / "vpd_pg80")) {
    auto serial = parseVpdSerial(*pg80);
    if (serial.ok()) {
      d.identity.serial = *serial;
    }
  }
  if (auto pg83 = readRaw(dir / "vpd_pg83")) {
    auto ids = parseVpdDesignators(*pg83);
    if (ids.ok()) {
      d.identity.designators = *std::move(ids);
    }
  }
  return d;
}

Status SysfsBlockDevices::scanLun(const ScsiAddress& address) {
  const fs::path scan =
      fs::path(root_) / "class/scsi_host" / ("host" + std::to_string(address.host)) / "scan";
  const std::string value = std::to_string(address.channel) + " " + std::to_string(address.target) +
                            " " + std::to_string(address.lun);
  TNAS_LOG(Info).kv("scsi", address.str()) << "scanning for LUN";
  return common::annotate(writeAttr(scan, value), "scan SCSI " + address.str());
}

StatusOr<BlockDevice> SysfsBlockDevices::waitForLun(const ScsiAddress& address,
                                                    std::chrono::milliseconds timeout) {
  std::error_code ec;
  if (!fs::exists(scsiDir(address), ec)) {
    TNAS_RETURN_IF_ERROR(scanLun(address));
  }
  TNAS_ASSIGN_OR_RETURN(std::string sysname, waiter_->waitForDisk(address, timeout));
  TNAS_ASSIGN_OR_RETURN(BlockDevice d, findLun(address));
  if (d.sysname != sysname) {
    return absl::UnavailableError("SCSI " + address.str() + " changed disks while waiting (" +
                                  sysname + " -> " + d.sysname + "); retry");
  }
  return d;
}

StatusOr<BlockDevice> SysfsBlockDevices::rescanLun(const ScsiAddress& address) {
  const fs::path dir = scsiDir(address);
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    return absl::NotFoundError("no SCSI device " + address.str());
  }
  TNAS_RETURN_IF_ERROR(
      common::annotate(writeAttr(dir / "rescan", "1"), "rescan SCSI " + address.str()));
  return findLun(address);
}

Status SysfsBlockDevices::flush(const std::string& devnode) {
  const int fd = ::open(devnode.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return common::errnoStatus("open " + devnode, errno);
  }
  Status st;
  if (::fsync(fd) != 0) {
    st = common::errnoStatus("fsync " + devnode, errno);
  }
  if (st.ok() && ::ioctl(fd, BLKFLSBUF, 0) != 0) {
    st = common::errnoStatus("flush " + devnode, errno);
  }
  ::close(fd);
  return st;
}

Status SysfsBlockDevices::removeLun(const ScsiAddress& address) {
  const fs::path dir = scsiDir(address);
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    return absl::OkStatus();  // already gone
  }
  for (fs::directory_iterator it(dir / "block", ec), end; !ec && it != end; it.increment(ec)) {
    if (!dirEmpty(it->path() / "holders")) {
      return absl::FailedPreconditionError(
          "SCSI " + address.str() + " (" + it->path().filename().string() +
          ") still has holders (device-mapper/md); refusing to delete it");
    }
  }
  Status st = writeAttr(dir / "delete", "1");
  if (absl::IsNotFound(st)) {
    return absl::OkStatus();  // vanished meanwhile
  }
  TNAS_LOG(Info).kv("scsi", address.str()) << "deleted SCSI device";
  return common::annotate(st, "delete SCSI " + address.str());
}

}  // namespace tnascsi::agent

// SysfsMultipathMaps: sysfs lookup and the udev wait for multipath maps (see
// sysfs_multipath_maps.h). Removal is in dm_map_remove.cc.
#include "agent/block/sysfs_multipath_maps.h"

#include <libudev.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <set>

#include "common/base/c_handle.h"
#include "common/base/files.h"

namespace tnascsi::agent {
namespace fs = std::filesystem;
namespace {

using Udev = common::CHandle<udev, &udev_unref>;
using UdevDevice = common::CHandle<udev_device, &udev_device_unref>;
using UdevMonitor = common::CHandle<udev_monitor, &udev_monitor_unref>;

std::string attr(const fs::path& p) {
  auto text = common::readFile(p.string());
  if (!text.ok()) return "";
  std::string s = *text;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    out.push_back(it->path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool isMultipathUuid(const std::string& uuid) {
  return uuid.rfind("mpath-", 0) == 0;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

std::optional<MultipathMap> SysfsMultipathMaps::readMap(const std::string& dmSysname) const {
  fs::path dir = fs::path(root_) / "block" / dmSysname;
  MultipathMap m;
  m.sysname = dmSysname;
  m.devnode = devRoot_ + "/" + dmSysname;
  m.uuid = attr(dir / "dm" / "uuid");
  m.name = attr(dir / "dm" / "name");
  if (m.name.empty()) return std::nullopt;  // not a dm device, or gone meanwhile
  m.slaves = entries(dir / "slaves");
  std::string sectors = attr(dir / "size");
  m.sizeBytes = sectors.empty() ? 0 : std::strtoull(sectors.c_str(), nullptr, 10) * 512;
  return m;
}

StatusOr<std::optional<MultipathMap>> SysfsMultipathMaps::findHolding(
    const std::vector<std::string>& paths) {
  std::set<std::string> holders;
  for (const auto& disk : paths) {
    if (disk.empty() || disk.find('/') != std::string::npos) {
      return absl::InvalidArgumentError("bad disk name \"" + disk + "\"");
    }
    for (const auto& h : entries(fs::path(root_) / "block" / disk / "holders")) holders.insert(h);
  }
  std::optional<MultipathMap> found;
  for (const auto& h : holders) {
    auto m = readMap(h);
    if (!m) continue;
    if (!isMultipathUuid(m->uuid)) {
      return absl::FailedPreconditionError(
          "disk(s) " + joined(paths) + " are held by " + h + " (dm uuid \"" + m->uuid +
          "\"), which is not a dm-multipath map; refusing to use them");
    }
    bool all = std::all_of(paths.begin(), paths.end(), [&](const std::string& p) {
      return std::find(m->slaves.begin(), m->slaves.end(), p) != m->slaves.end();
    });
    if (!all) {
      if (holders.size() > 1) {
        return absl::FailedPreconditionError("the paths " + joined(paths) +
                                             " are held by different multipath maps; "
                                             "check multipathd's configuration");
      }
      return std::optional<MultipathMap>();  // multipathd is still adding paths
    }
    found = m;
  }
  return found;
}

StatusOr<MultipathMap> SysfsMultipathMaps::waitForMap(const std::vector<std::string>& paths,
                                                      std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  TNAS_ASSIGN_OR_RETURN(auto now, findHolding(paths));
  if (now) return *now;
  if (timeout.count() <= 0) {
    return absl::DeadlineExceededError("no dm-multipath map holds " + joined(paths));
  }
  Udev u(udev_new());
  UdevMonitor mon(u ? udev_monitor_new_from_netlink(u.get(), "udev") : nullptr);
  if (!mon) {
    return absl::UnavailableError(
        "cannot subscribe to udev events (netlink) to wait for the "
        "multipath map");
  }
  udev_monitor_filter_add_match_subsystem_devtype(mon.get(), "block", "disk");
  if (udev_monitor_enable_receiving(mon.get()) < 0) {
    return absl::UnavailableError("cannot enable udev monitor");
  }
  for (;;) {
    // Re-check after subscribing and after every batch of events. The poll is also woken every
    // 500 ms: multipathd adds a path to an existing map with a dm reload, whose event the map's
    // own change uevent may carry before the slaves/ links are visible.
    TNAS_ASSIGN_OR_RETURN(now, findHolding(paths));
    if (now) return *now;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd pfd{udev_monitor_get_fd(mon.get()), POLLIN, 0};
    int ready = ::poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left.count(), 500)));
    if (ready < 0 && errno != EINTR) return common::errnoStatus("poll udev monitor", errno);
    while (ready > 0) {
      UdevDevice dev(udev_monitor_receive_device(mon.get()));
      if (!dev) break;
    }
  }
  return absl::DeadlineExceededError("no dm-multipath map holds " + joined(paths) + " after " +
                                     std::to_string(timeout.count()) + " ms");
}

StatusOr<std::optional<MultipathMap>> SysfsMultipathMaps::findByUuid(const std::string& uuid) {
  if (!isMultipathUuid(uuid)) {
    return absl::InvalidArgumentError("\"" + uuid + "\" is not a multipath map uuid");
  }
  for (const auto& name : entries(fs::path(root_) / "block")) {
    if (name.rfind("dm-", 0) != 0) continue;
    auto m = readMap(name);
    if (m && m->uuid == uuid) return std::optional<MultipathMap>(m);
  }
  return std::optional<MultipathMap>();
}

Status SysfsMultipathMaps::removeMap(const std::string& name) {
  return removeDmDevice(name);
}

}  // namespace tnascsi::agent

// UdevDiskWaiter: libudev check/subscribe/re-check/poll (see disk_waiter.h).
#include "agent/block/disk_waiter.h"

#include <libudev.h>
#include <poll.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "common/base/c_handle.h"
#include "common/log/log.h"

namespace tnascsi::agent {
namespace {

using Udev = common::CHandle<udev, &udev_unref>;
using UdevDevice = common::CHandle<udev_device, &udev_device_unref>;
using UdevEnumerate = common::CHandle<udev_enumerate, &udev_enumerate_unref>;
using UdevMonitor = common::CHandle<udev_monitor, &udev_monitor_unref>;

std::string str(const char* s) {
  return s == nullptr ? std::string() : std::string(s);
}

// The initialized disk under SCSI device `address`, if there is one now.
std::optional<std::string> checkNow(udev* u, const std::string& address, bool* presentButPending) {
  UdevDevice scsi(udev_device_new_from_subsystem_sysname(u, "scsi", address.c_str()));
  if (!scsi) {
    return std::nullopt;
  }
  UdevEnumerate en(udev_enumerate_new(u));
  if (!en) {
    return std::nullopt;
  }
  udev_enumerate_add_match_parent(en.get(), scsi.get());
  udev_enumerate_add_match_subsystem(en.get(), "block");
  udev_enumerate_scan_devices(en.get());
  udev_list_entry* entry = nullptr;
  udev_list_entry_foreach(entry, udev_enumerate_get_list_entry(en.get())) {
    UdevDevice dev(udev_device_new_from_syspath(u, udev_list_entry_get_name(entry)));
    if (!dev || str(udev_device_get_devtype(dev.get())) != "disk") {
      continue;
    }
    if (udev_device_get_is_initialized(dev.get()) > 0) {
      return str(udev_device_get_sysname(dev.get()));
    }
    *presentButPending = true;
  }
  return std::nullopt;
}

}  // namespace

StatusOr<std::string> UdevDiskWaiter::waitForDisk(const ScsiAddress& address,
                                                  std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const std::string addr = address.str();
  Udev u(udev_new());
  if (!u) {
    return absl::UnavailableError("udev_new failed");
  }
  bool pending = false;
  if (auto name = checkNow(u.get(), addr, &pending)) {
    return *name;
  }

  UdevMonitor mon(udev_monitor_new_from_netlink(u.get(), "udev"));
  if (!mon) {
    return absl::UnavailableError(
        "cannot subscribe to udev events (netlink): run the agent in the "
        "host network namespace with /run/udev mounted");
  }
  udev_monitor_filter_add_match_subsystem_devtype(mon.get(), "block", "disk");
  if (udev_monitor_enable_receiving(mon.get()) < 0) {
    return absl::UnavailableError("cannot enable udev monitor");
  }
  const int fd = udev_monitor_get_fd(mon.get());
  // Re-check: the disk may have been initialized between the first check and the subscription.
  if (auto name = checkNow(u.get(), addr, &pending)) {
    return *name;
  }

  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      break;
    }
    pollfd pfd{fd, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready < 0) {
      if (errno == EINTR) {
        continue;
      }
      return common::errnoStatus("poll udev monitor", errno);
    }
    if (ready == 0) {
      break;
    }
    for (;;) {
      UdevDevice dev(udev_monitor_receive_device(mon.get()));
      if (!dev) {
        break;
      }
      if (str(udev_device_get_action(dev.get())) == "remove") {
        continue;
      }
      udev_device* parent =
          udev_device_get_parent_with_subsystem_devtype(dev.get(), "scsi", "scsi_device");
      if (parent == nullptr || str(udev_device_get_sysname(parent)) != addr) {
        continue;
      }
      if (udev_device_get_is_initialized(dev.get()) > 0) {
        return str(udev_device_get_sysname(dev.get()));
      }
      pending = true;
    }
  }
  return absl::DeadlineExceededError(
      "no udev-initialized disk for SCSI " + addr + " within " + std::to_string(timeout.count()) +
      " ms" +
      (pending ? " (the disk exists but udev has not finished with it: is systemd-udevd running "
                 "and /run/udev mounted?)"
               : ""));
}

}  // namespace tnascsi::agent

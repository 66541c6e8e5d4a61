// removeDmDevice: flush and remove a dm-multipath map through libdevmapper.
//
// Why a library call and not `multipath -f` / `dmsetup remove`: the agent runs no helper programs
// but mkfs (docs/architecture.md), and the multipath CLI would add a dependency on multipath-tools
// being installed in the agent's image (and on Talos, in the extension), its config parsing and
// its exit codes and text output as the error channel. Removing a map is one ioctl
// (DM_DEVICE_REMOVE) that libdevmapper wraps with structured results (exists, open count, errno);
// the CLI does the same ioctl after the same "fail_if_no_path" message sent here. The map is
// found by the uuid the attach record holds, so only the map this agent staged is removed.
//
// udev synchronisation is switched off: the agent must not block on a udev cookie semaphore that
// the host's udev rules might never release (hosts without the dm udev rules); the kernel removes
// the /dev/dm-N node and udev its /dev/mapper link on the remove uevent either way.
#include <libdevmapper.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>

#include "agent/block/sysfs_multipath_maps.h"
#include "common/base/c_handle.h"
#include "common/log/log.h"

namespace tnascsi::agent {
namespace {

using DmTask = common::CHandle<dm_task, &dm_task_destroy>;  // RAII for every dm_task

// libdevmapper prints to stderr by default; its messages go to the agent's log instead.
void dmLog(int level, const char* file, int line, int, const char* fmt, ...) {
  (void)file;
  (void)line;
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (level <= 3) {  // _LOG_ERR
    TNAS_LOG(Warn) << "libdevmapper: " << buf;
  } else {
    TNAS_LOG(Debug) << "libdevmapper: " << buf;
  }
}

void initOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    dm_log_with_errno_init(&dmLog);
    dm_udev_set_sync_support(0);
  });
}

struct Info {
  bool exists = false;
  int openCount = 0;
};

StatusOr<Info> info(const std::string& name) {
  DmTask t(dm_task_create(DM_DEVICE_INFO));
  if (!t) return absl::InternalError("dm_task_create(DM_DEVICE_INFO) failed");
  if (!dm_task_set_name(t.get(), name.c_str()) || !dm_task_run(t.get())) {
    return absl::UnavailableError("device-mapper info for " + name +
                                  " failed (is dm_mod loaded, /dev/mapper/control present?)");
  }
  dm_info di{};
  if (!dm_task_get_info(t.get(), &di)) {
    return absl::InternalError("dm_task_get_info for " + name + " failed");
  }
  return Info{di.exists != 0, di.exists ? di.open_count : 0};
}

// multipath's queue_if_no_path would make the flush in the remove wait forever for paths that
// are gone; tell the map to fail I/O instead (what `multipath -f` does first). Best effort.
void failIfNoPath(const std::string& name) {
  DmTask t(dm_task_create(DM_DEVICE_TARGET_MSG));
  if (!t || !dm_task_set_name(t.get(), name.c_str()) || !dm_task_set_sector(t.get(), 0) ||
      !dm_task_set_message(t.get(), "fail_if_no_path") || !dm_task_run(t.get())) {
    TNAS_LOG(Debug).kv("map", name) << "fail_if_no_path message not accepted";
  }
}

}  // namespace

Status removeDmDevice(const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
    return absl::InvalidArgumentError("bad device-mapper name \"" + name + "\"");
  }
  initOnce();
  constexpr int kAttempts = 25;  // 25 × 200 ms: udev probes and multipathd checks are brief
  int openCount = 0;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    TNAS_ASSIGN_OR_RETURN(Info before, info(name));
    if (!before.exists) return absl::OkStatus();
    openCount = before.openCount;
    if (openCount == 0) {
      if (attempt == 0) failIfNoPath(name);
      DmTask t(dm_task_create(DM_DEVICE_REMOVE));
      if (!t) return absl::InternalError("dm_task_create(DM_DEVICE_REMOVE) failed");
      if (!dm_task_set_name(t.get(), name.c_str())) {
        return absl::InternalError("dm_task_set_name failed");
      }
      dm_task_retry_remove(t.get());  // libdevmapper's own short retries on EBUSY
      if (dm_task_run(t.get())) {
        TNAS_LOG(Info).kv("map", name) << "removed multipath map";
        return absl::OkStatus();
      }
      int err = dm_task_get_errno(t.get());
      if (err != EBUSY) {
        TNAS_ASSIGN_OR_RETURN(Info after, info(name));
        if (!after.exists) return absl::OkStatus();
        return common::errnoStatus("device-mapper remove of " + name, err == 0 ? EIO : err);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return absl::FailedPreconditionError("multipath map " + name + " is still open (open count " +
                                       std::to_string(openCount) +
                                       ") after 5 s; is it mounted or used elsewhere?");
}

}  // namespace tnascsi::agent

// statWithDeadline (see path_probe.h).
#include "agent/mount/path_probe.h"

#include <fcntl.h>

#include <cerrno>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace tnascsi::agent {
namespace {

struct CallState {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  int rc = 0;
  int err = 0;
};

}  // namespace

int callWithDeadline(std::function<int()> call, std::chrono::milliseconds deadline, int* err) {
  auto state = std::make_shared<CallState>();
  std::thread worker([state, call = std::move(call)] {
    int rc = call();
    int e = rc == 0 ? 0 : errno;
    std::lock_guard<std::mutex> lock(state->mu);
    state->rc = rc;
    state->err = e;
    state->done = true;
    state->cv.notify_all();
  });
  std::unique_lock<std::mutex> lock(state->mu);
  if (!state->cv.wait_for(lock, deadline, [&] { return state->done; })) {
    lock.unlock();
    worker.detach();  // blocked in the kernel; it finishes (or not) on its own
    *err = ETIMEDOUT;
    return -1;
  }
  lock.unlock();
  worker.join();
  *err = state->err;
  return state->rc;
}

StatusOr<struct statx> statWithDeadline(const std::string& path, std::chrono::milliseconds deadline,
                                        int* errnoOut) {
  auto result = std::make_shared<struct statx>();
  int err = 0;
  int rc = callWithDeadline(
      [path, result] {
        return ::statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS,
                       result.get());
      },
      deadline, &err);
  if (errnoOut != nullptr) *errnoOut = err;
  if (rc != 0 && err == ETIMEDOUT) {
    return absl::DeadlineExceededError("stat " + path + " did not answer within " +
                                       std::to_string(deadline.count()) + " ms");
  }
  if (rc != 0) return common::errnoStatus("stat " + path, err);
  return *result;
}

}  // namespace tnascsi::agent

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

struct ProbeState {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  int rc = 0;
  int err = 0;
  struct statx result {};
};

}  // namespace

StatusOr<struct statx> statWithDeadline(const std::string& path, std::chrono::milliseconds deadline,
                                        int* errnoOut) {
  auto state = std::make_shared<ProbeState>();
  std::thread worker([state, path] {
    struct statx sx {};
    int rc = ::statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx);
    int err = rc == 0 ? 0 : errno;
    std::lock_guard<std::mutex> lock(state->mu);
    state->rc = rc;
    state->err = err;
    state->result = sx;
    state->done = true;
    state->cv.notify_all();
  });
  std::unique_lock<std::mutex> lock(state->mu);
  if (!state->cv.wait_for(lock, deadline, [&] { return state->done; })) {
    lock.unlock();
    worker.detach();  // blocked in the kernel; it finishes (or not) on its own
    if (errnoOut != nullptr) *errnoOut = ETIMEDOUT;
    return absl::DeadlineExceededError("stat " + path + " did not answer within " +
                                       std::to_string(deadline.count()) + " ms");
  }
  lock.unlock();
  worker.join();
  if (errnoOut != nullptr) *errnoOut = state->err;
  if (state->rc != 0) return common::errnoStatus("stat " + path, state->err);
  return state->result;
}

}  // namespace tnascsi::agent

// PathProbe: stat a path without letting a dead filesystem (a hard-mounted NFS export whose
// server is gone) hang the caller. The stat runs in a helper thread; if it does not answer within
// the deadline the caller gets DeadlineExceeded and the helper is left to finish on its own (it
// owns its state, so nothing dangles). Thread-safe.
#pragma once

#include <sys/stat.h>

#include <chrono>
#include <functional>
#include <string>

#include "common/base/status.h"

namespace tnascsi::agent {

// statx(2) of `path` (not following a final symlink) with a deadline. Errors: the errno mapping
// of statx (ESTALE/EIO/ENOTCONN → Internal/Unavailable per common::errnoStatus, with the errno in
// `*errnoOut` when given), DeadlineExceeded when the filesystem does not answer in time.
StatusOr<struct statx> statWithDeadline(const std::string& path, std::chrono::milliseconds deadline,
                                        int* errnoOut = nullptr);

// Runs `call` (a syscall wrapper returning -1 with errno on failure) in a helper thread. Returns
// its result and errno; when it does not return within the deadline, returns -1 with ETIMEDOUT
// and leaves the helper to finish on its own.
int callWithDeadline(std::function<int()> call, std::chrono::milliseconds deadline, int* err);

}  // namespace tnascsi::agent

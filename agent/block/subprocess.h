// runTool: runs one external program (the agent only runs mkfs) with an argv array — never a
// shell — a minimal environment, stdin/stdout on /dev/null, stderr captured (up to 64 KiB) and a
// deadline after which the child is killed. Thread-safe (posix_spawn).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/base/status.h"

namespace tnascsi::agent {

struct ToolResult {
  int exitCode = -1;  // exit status, or 128 + signal number
  std::string stderrText;
};

// argv[0] must be an absolute path. Errors: NotFound if the program does not exist,
// DeadlineExceeded when `timeout` passes (the child is killed), Internal for spawn failures.
// A non-zero exit is not an error here: look at exitCode.
StatusOr<ToolResult> runTool(const std::vector<std::string>& argv,
                             std::chrono::milliseconds timeout);

// The first of `dirs`/`name` that is an executable file; NotFound otherwise.
StatusOr<std::string> findTool(const std::string& name, const std::vector<std::string>& dirs);

}  // namespace tnascsi::agent

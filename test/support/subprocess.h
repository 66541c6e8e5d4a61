// Subprocess: starts a program for a test (argv, no shell), captures its stdout+stderr into a
// temp file, and stops it with a signal. Tests of the real binaries use it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace tnascsi::testing {

class Subprocess {
 public:
  // Starts argv[0] with the given arguments. Aborts the test binary if it cannot start.
  explicit Subprocess(std::vector<std::string> argv);
  ~Subprocess();  // SIGKILLs the process if still running
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // Sends `sig` and waits up to `timeout` for exit. Returns the exit code, 128+signal if killed by
  // a signal, or -1 on timeout.
  int stop(int sig, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Waits up to `timeout` for the process to exit on its own (same return values as stop()).
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  std::string output() const;  // everything written to stdout/stderr so far
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int exitCode_ = -1;
  bool exited_ = false;
  std::string logPath_;
};

// Waits until `path` exists (a socket appearing), up to `timeout`. Returns whether it appeared.
bool waitForPath(const std::string& path, std::chrono::milliseconds timeout);

// A fresh temp directory, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace tnascsi::testing

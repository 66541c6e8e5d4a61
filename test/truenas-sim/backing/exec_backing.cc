// ExecBacking: fork/exec of the backing program with the event on stdin and stderr captured.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/base/c_handle.h"
#include "test/truenas-sim/backing/backing.h"

namespace tnascsi::sim {
namespace {

void closeFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

Status ExecBacking::apply(const Json& event) {
  int in[2] = {-1, -1};
  int err[2] = {-1, -1};
  if (::pipe2(in, O_CLOEXEC) != 0) return common::errnoStatus("pipe", errno);
  if (::pipe2(err, O_CLOEXEC) != 0) {
    int e = errno;
    closeFd(in[0]);
    closeFd(in[1]);
    return common::errnoStatus("pipe", e);
  }
  common::Cleanup closeAll([&] {
    closeFd(in[0]);
    closeFd(in[1]);
    closeFd(err[0]);
    closeFd(err[1]);
  });
  pid_t pid = ::fork();
  if (pid < 0) return common::errnoStatus("fork", errno);
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(err[1], 2);
    int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) ::dup2(devnull, 1);
    ::execl(program_.c_str(), program_.c_str(), static_cast<char*>(nullptr));
    const char msg[] = "cannot execute backing program\n";
    (void)!::write(2, msg, sizeof(msg) - 1);
    ::_exit(127);
  }
  closeFd(in[0]);
  closeFd(err[1]);
  // Write the event, then close stdin. Ignore SIGPIPE-like failures: the exit status decides.
  std::string payload = event.dump() + "\n";
  size_t off = 0;
  while (off < payload.size()) {
    // SIGPIPE is ignored process-wide by SimServer::start(); an early exit shows up as EPIPE.
    ssize_t n = ::write(in[1], payload.data() + off, payload.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    off += static_cast<size_t>(n);
  }
  closeFd(in[1]);
  std::string errText;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(err[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (errText.size() < 65536) errText.append(buf, static_cast<size_t>(n));
  }
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) return absl::OkStatus();
  std::string first = errText.substr(0, errText.find('\n'));
  if (first.empty()) {
    first = WIFEXITED(wstatus)
                ? "backing program exited with status " + std::to_string(WEXITSTATUS(wstatus))
                : "backing program killed by a signal";
  }
  return absl::InternalError(first);
}

}  // namespace tnascsi::sim

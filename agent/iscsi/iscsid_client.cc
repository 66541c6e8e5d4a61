// iscsid abstract-socket exchange (see iscsid_client.h).
#include "agent/iscsi/iscsid_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

#include "common/base/unique_fd.h"

namespace tnascsi::agent {
namespace {

using Clock = std::chrono::steady_clock;

int remainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

}  // namespace

IscsidClient::IscsidClient(std::string socketName) : socketName_(std::move(socketName)) {}

StatusOr<std::optional<IscsidReply>> IscsidClient::exchange(
    const std::string& request, std::chrono::milliseconds timeout) const {
  const auto deadline = Clock::now() + timeout;
  const std::string where = "iscsid socket @" + socketName_;
  common::UniqueFd fd(::socket(AF_LOCAL, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) {
    return common::errnoStatus("socket for " + where, errno);
  }

  // Abstract address: sun_path[0] = 0, name without NUL; length counts exactly those bytes.
  sockaddr_un addr{};
  addr.sun_family = AF_LOCAL;
  if (socketName_.size() + 1 > sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError("iscsid socket name too long");
  }
  std::memcpy(addr.sun_path + 1, socketName_.data(), socketName_.size());
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + socketName_.size());
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), len) != 0) {
    const int err = errno;
    if (err == ECONNREFUSED || err == ENOENT) {
      return absl::UnavailableError(
          "iscsid is not running: nothing listens on " + where +
          "; start iscsid (systemd: iscsid.socket/iscsid.service; Talos: the iscsi-tools "
          "extension) and run the agent in the host network namespace");
    }
    return common::errnoStatus("connect to " + where, err);
  }

  // One write for the whole request; a 16 KB request fits the socket buffer.
  const ssize_t written = ::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL);
  if (written < 0) {
    // iscsid may refuse the caller (ISCSI_ERR_ACCESS) and close before reading the request; its
    // answer can still be waiting in our receive buffer, so read on.
    const int err = errno;
    if (err != EPIPE && err != ECONNRESET) {
      return common::errnoStatus("write to " + where, err);
    }
  } else if (static_cast<size_t>(written) != request.size()) {
    return absl::UnavailableError("short write to " + where);
  } else {
    ::shutdown(fd.get(), SHUT_WR);
  }

  wire::Response rsp{};
  size_t got = 0;
  auto* out = reinterpret_cast<char*>(&rsp);
  while (got < sizeof(rsp)) {
    pollfd pfd{fd.get(), POLLIN, 0};
    const int ms = remainingMs(deadline);
    const int ready = ::poll(&pfd, 1, ms);
    if (ready < 0) {
      if (errno == EINTR) {
        continue;
      }
      return common::errnoStatus("poll " + where, errno);
    }
    if (ready == 0) {
      return absl::DeadlineExceededError("no answer from iscsid within " +
                                         std::to_string(timeout.count()) + " ms on " + where);
    }
    const ssize_t n = ::recv(fd.get(), out + got, sizeof(rsp) - got, 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) {
        continue;
      }
      if (errno == ECONNRESET) {
        break;
      }
      return common::errnoStatus("read from " + where, errno);
    }
    if (n == 0) {
      break;
    }
    got += static_cast<size_t>(n);
  }
  if (got == 0) {
    return std::optional<IscsidReply>();
  }
  if (got != sizeof(rsp)) {
    return absl::UnavailableError("truncated answer (" + std::to_string(got) + " of " +
                                  std::to_string(sizeof(rsp)) + " bytes) from " + where);
  }
  IscsidReply reply;
  reply.command = rsp.command;
  reply.err = rsp.err;
  const char* var = reinterpret_cast<const char*>(rsp.u);
  reply.configVar.assign(var, strnlen(var, wire::kValueMaxLen));
  std::memcpy(&reply.sessionState, rsp.u, sizeof(int32_t));
  std::memcpy(&reply.connState, rsp.u + sizeof(int32_t), sizeof(int32_t));
  int32_t sentCommand = 0;
  if (request.size() >= sizeof(sentCommand)) {
    std::memcpy(&sentCommand, request.data(), sizeof(sentCommand));
  }
  // iscsid echoes the command, except when it refuses the caller before reading the request.
  if (reply.command != sentCommand && reply.err != wire::kErrAccess) {
    return absl::InternalError("iscsid answered command " + std::to_string(reply.command) +
                               " to request " + std::to_string(sentCommand) + " on " + where);
  }
  return std::optional<IscsidReply>(std::move(reply));
}

}  // namespace tnascsi::agent

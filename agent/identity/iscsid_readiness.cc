// IscsidReadiness implementation: a connect() to the abstract socket, nothing written (iscsid
// treats a connection closed before a full request as nothing).
#include "agent/identity/iscsid_readiness.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

namespace tnascsi::agent {

Status IscsidReadiness::ready() {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return common::errnoStatus("socket", errno);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  // Abstract address: leading NUL, name not NUL-terminated, length counts exactly the name.
  std::memcpy(addr.sun_path + 1, socketName_.data(), socketName_.size());
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + socketName_.size());
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), len);
  int err = errno;
  ::close(fd);
  if (rc == 0) return absl::OkStatus();
  return absl::UnavailableError(
      "iscsid is not reachable on its management socket @" + socketName_ + " (" +
      std::strerror(err) +
      "): start iscsid in this host's network namespace (systemd: systemctl enable --now "
      "iscsid.socket; Talos: the iscsi-tools extension)");
}

}  // namespace tnascsi::agent

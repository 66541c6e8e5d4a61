// Test-only LD_PRELOAD shim that lets the distribution's real iscsid start on a kernel without
// scsi_transport_iscsi: socket(AF_NETLINK, ..., NETLINK_ISCSI) returns one end of a unix
// socketpair and bind() on it succeeds. iscsid then serves its management socket normally, so
// the agent's IPC (probe, initiator name, login record parsing, access checks) can be checked
// against the real daemon. Never used outside tests.
#include <dlfcn.h>
#include <sys/socket.h>

namespace {
constexpr int kNetlinkIscsi = 8;
int fakeFd = -1;
}  // namespace

extern "C" {

int socket(int domain, int type, int protocol) noexcept {
  int (*realSocket)(int, int, int) =
      reinterpret_cast<int (*)(int, int, int)>(dlsym(RTLD_NEXT, "socket"));
  if (domain == AF_NETLINK && protocol == kNetlinkIscsi) {
    int (*realPair)(int, int, int, int*) =
        reinterpret_cast<int (*)(int, int, int, int*)>(dlsym(RTLD_NEXT, "socketpair"));
    int sv[2];
    if (realPair(AF_UNIX, SOCK_DGRAM, 0, sv) != 0) {
      return -1;
    }
    fakeFd = sv[0];
    return fakeFd;
  }
  return realSocket(domain, type, protocol);
}

int bind(int fd, const struct sockaddr* addr, socklen_t len) noexcept {
  int (*realBind)(int, const struct sockaddr*, socklen_t) =
      reinterpret_cast<int (*)(int, const struct sockaddr*, socklen_t)>(dlsym(RTLD_NEXT, "bind"));
  if (fd == fakeFd) {
    return 0;
  }
  return realBind(fd, addr, len);
}

}  // extern "C"

// NFS kernel option builder (see nfs_options.h).
#include "agent/mount/nfs_options.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstring>

#include "agent/mount/mount_options.h"
#include "common/base/c_handle.h"

namespace tnascsi::agent {
namespace {

bool validServer(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  for (unsigned char c : s) {
    if (std::isalnum(c) == 0 && c != '.' && c != '-' && c != ':' && c != '_') return false;
  }
  return s.front() != '-';
}

bool validExport(const std::string& p) {
  if (p.empty() || p.front() != '/' || p.size() > 1024) return false;
  for (unsigned char c : p) {
    if (std::iscntrl(c) != 0 || c == ',') return false;
  }
  return true;
}

std::string optionKey(const std::string& option) {
  auto eq = option.find('=');
  return eq == std::string::npos ? option : option.substr(0, eq);
}

std::string sockaddrToString(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (sa->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
  } else if (sa->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf);
  }
  return buf;
}

}  // namespace

StatusOr<std::string> resolveHostAddress(const std::string& host) {
  if (!validServer(host))
    return absl::InvalidArgumentError("malformed NFS server \"" + host + "\"");
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &result);
  if (rc != 0) {
    return absl::UnavailableError("cannot resolve NFS server \"" + host +
                                  "\": " + gai_strerror(rc));
  }
  common::CHandle<addrinfo, &freeaddrinfo> owned(result);
  for (addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
    std::string s = sockaddrToString(ai->ai_addr);
    if (!s.empty()) return s;
  }
  return absl::UnavailableError("NFS server \"" + host + "\" has no IPv4/IPv6 address");
}

StatusOr<std::string> localAddressTowards(const std::string& serverAddress) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, serverAddress.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(2049);
    len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, serverAddress.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(2049);
    len = sizeof(sockaddr_in6);
  } else {
    return absl::InvalidArgumentError("not a numeric address: \"" + serverAddress + "\"");
  }
  int fd = ::socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return common::errnoStatus("socket", errno);
  common::Cleanup closer([fd] { ::close(fd); });
  if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    return common::errnoStatus("route to NFS server " + serverAddress, errno);
  }
  sockaddr_storage local{};
  socklen_t localLen = sizeof local;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &localLen) != 0) {
    return common::errnoStatus("getsockname", errno);
  }
  return sockaddrToString(reinterpret_cast<sockaddr*>(&local));
}

StatusOr<NfsMountArgs> buildNfsMountArgs(const NfsMountSpec& spec, const AddressResolver& resolve,
                                         const LocalAddressFinder& localAddress) {
  if (!validServer(spec.server)) {
    return absl::InvalidArgumentError("malformed NFS server \"" + spec.server + "\"");
  }
  if (!validExport(spec.exportPath)) {
    return absl::InvalidArgumentError("malformed NFS export path \"" + spec.exportPath + "\"");
  }
  std::string vers;
  if (spec.version == "3") {
    vers = "3";
  } else if (spec.version == "4" || spec.version == "4.0") {
    vers = "4.0";
  } else if (spec.version == "4.1" || spec.version == "4.2") {
    vers = spec.version;
  } else {
    return absl::InvalidArgumentError("unsupported NFS version \"" + spec.version +
                                      "\" (use 3, 4.0, 4.1 or 4.2)");
  }
  TNAS_RETURN_IF_ERROR(validateNfsMountOptions(spec.options));
  auto addr = resolve(spec.server);
  if (!addr.ok()) return common::annotate(addr.status(), "NFS mount");

  NfsMountArgs args;
  args.fsType = vers == "3" ? "nfs" : "nfs4";
  bool v6 = spec.server.find(':') != std::string::npos;
  args.source = (v6 ? "[" + spec.server + "]" : spec.server) + ":" + spec.exportPath;

  std::vector<std::string> user;
  for (const auto& item : spec.options) {
    for (const auto& o : splitOptions(item)) user.push_back(o);
  }
  auto userHas = [&](const std::string& key) {
    for (const auto& o : user) {
      if (optionKey(o) == key) return true;
    }
    return false;
  };
  std::vector<std::string> out = {"vers=" + vers};
  if (!userHas("proto") && !userHas("tcp") && !userHas("rdma")) out.push_back("proto=tcp");
  if (!userHas("hard") && !userHas("soft") && !userHas("softerr")) out.push_back("hard");
  if (!userHas("timeo")) out.push_back("timeo=600");
  if (!userHas("retrans")) out.push_back("retrans=2");
  for (const auto& o : user) {
    if (o == "ro") {
      args.readOnly = true;
      continue;
    }
    if (o == "rw" || o == "defaults") continue;
    out.push_back(o);
  }
  out.push_back("addr=" + *addr);
  if (vers == "4.0") {
    auto local = localAddress(*addr);
    if (!local.ok()) return common::annotate(local.status(), "NFSv4.0 callback address");
    out.push_back("clientaddr=" + *local);
  }
  args.data = joinOptions(out);
  return args;
}

}  // namespace tnascsi::agent

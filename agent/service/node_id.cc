// Node id format (see node_id.h).
#include "agent/service/node_id.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstring>

#include "agent/mount/beneath.h"

namespace tnascsi::agent {
namespace {

constexpr size_t kMaxNodeId = 256;

Status checkNodeName(const std::string& name) {
  if (name.empty() || name.size() > 253) {
    return absl::InvalidArgumentError("node name must be 1..253 bytes");
  }
  for (unsigned char c : name) {
    if (!(std::islower(c) != 0 || std::isdigit(c) != 0 || c == '-' || c == '.')) {
      return absl::InvalidArgumentError("node name \"" + name +
                                        "\" is not a lowercase RFC 1123 name");
    }
  }
  if (std::isalnum(static_cast<unsigned char>(name.front())) == 0 ||
      std::isalnum(static_cast<unsigned char>(name.back())) == 0) {
    return absl::InvalidArgumentError("node name \"" + name +
                                      "\" must start and end with a letter or digit");
  }
  return absl::OkStatus();
}

Status checkIqn(const std::string& iqn) {
  if (iqn.empty()) return absl::OkStatus();
  if (iqn.size() > 223 ||
      (iqn.rfind("iqn.", 0) != 0 && iqn.rfind("eui.", 0) != 0 && iqn.rfind("naa.", 0) != 0)) {
    return absl::InvalidArgumentError("initiator name \"" + iqn + "\" is not an iSCSI name");
  }
  for (unsigned char c : iqn) {
    if (std::isgraph(c) == 0 || c == ',') {
      return absl::InvalidArgumentError(
          "initiator name contains a space, control character or ','");
    }
  }
  return absl::OkStatus();
}

Status checkAddress(const std::string& address) {
  if (address.empty()) return absl::OkStatus();
  TNAS_ASSIGN_OR_RETURN(std::string canonical, canonicalAddress(address));
  if (canonical != address) {
    return absl::InvalidArgumentError("NFS address \"" + address + "\" is not in canonical form");
  }
  return absl::OkStatus();
}

}  // namespace

StatusOr<std::string> canonicalAddress(const std::string& text) {
  unsigned char buf[16] = {};
  char out[INET6_ADDRSTRLEN] = {};
  static const unsigned char kZero[16] = {};
  for (int family : {AF_INET, AF_INET6}) {
    if (::inet_pton(family, text.c_str(), buf) != 1) continue;
    if (std::memcmp(buf, kZero, family == AF_INET ? 4 : 16) == 0) {
      return absl::InvalidArgumentError("\"" + text + "\" is the unspecified address");
    }
    if (::inet_ntop(family, buf, out, sizeof out) == nullptr) break;
    return std::string(out);
  }
  return absl::InvalidArgumentError("\"" + text + "\" is not an IPv4 or IPv6 address");
}

StatusOr<std::string> resolveNodeAddress(const std::string& flag) {
  if (flag.empty()) return std::string();
  constexpr std::string_view kRouteTo = "route-to:";
  if (flag.rfind(kRouteTo, 0) != 0) return canonicalAddress(flag);
  TNAS_ASSIGN_OR_RETURN(std::string peer, canonicalAddress(flag.substr(kRouteTo.size())));
  sockaddr_storage to{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&to);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&to);
  if (::inet_pton(AF_INET, peer.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(2049);
    len = sizeof *v4;
  } else if (::inet_pton(AF_INET6, peer.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(2049);
    len = sizeof *v6;
  }
  common::UniqueFd fd(::socket(to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return common::errnoStatus("socket", errno);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&to), len) != 0) {
    return absl::InvalidArgumentError("--node-address " + flag + ": no route to " + peer + " (" +
                                      std::strerror(errno) + ")");
  }
  sockaddr_storage local{};
  socklen_t localLen = sizeof local;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&local), &localLen) != 0) {
    return common::errnoStatus("getsockname", errno);
  }
  char text[INET6_ADDRSTRLEN] = {};
  const void* addr =
      local.ss_family == AF_INET
          ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&local)->sin_addr)
          : &reinterpret_cast<sockaddr_in6*>(&local)->sin6_addr;
  if (::inet_ntop(local.ss_family, addr, text, sizeof text) == nullptr) {
    return common::errnoStatus("inet_ntop", errno);
  }
  return canonicalAddress(text);
}

StatusOr<std::string> formatNodeId(const NodeId& id) {
  TNAS_RETURN_IF_ERROR(checkNodeName(id.nodeName));
  TNAS_RETURN_IF_ERROR(checkIqn(id.initiatorIqn));
  TNAS_RETURN_IF_ERROR(checkAddress(id.nfsAddress));
  std::string out = id.nodeName + "," + id.initiatorIqn;
  if (!id.nfsAddress.empty()) out += "," + id.nfsAddress;
  if (out.size() > kMaxNodeId) {
    return absl::InvalidArgumentError("node id would be longer than 256 bytes");
  }
  return out;
}

StatusOr<NodeId> parseNodeId(const std::string& text) {
  if (text.size() > kMaxNodeId) return absl::InvalidArgumentError("node id longer than 256 bytes");
  auto comma = text.find(',');
  if (comma == std::string::npos) {
    return absl::InvalidArgumentError("node id \"" + text +
                                      "\" is not \"<node-name>,<initiator-iqn>\"");
  }
  NodeId id{text.substr(0, comma), text.substr(comma + 1), ""};
  if (auto second = id.initiatorIqn.find(','); second != std::string::npos) {
    id.nfsAddress = id.initiatorIqn.substr(second + 1);
    id.initiatorIqn.resize(second);
    if (id.nfsAddress.empty()) return absl::InvalidArgumentError("node id has an empty address");
  }
  TNAS_RETURN_IF_ERROR(checkNodeName(id.nodeName));
  TNAS_RETURN_IF_ERROR(checkIqn(id.initiatorIqn));
  TNAS_RETURN_IF_ERROR(checkAddress(id.nfsAddress));
  return id;
}

}  // namespace tnascsi::agent

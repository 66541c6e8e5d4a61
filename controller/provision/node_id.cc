// Node id parsing (see node_id.h).
#include "controller/provision/node_id.h"

#include <arpa/inet.h>

#include <cctype>

#include "absl/strings/match.h"
#include "controller/provision/iscsi_masking.h"

namespace tnascsi::controller::provision {
namespace {

bool isNodeName(const std::string& name) {
  if (name.empty() || name.size() > 253) return false;
  for (unsigned char c : name) {
    if (!(std::islower(c) != 0 || std::isdigit(c) != 0 || c == '-' || c == '.')) return false;
  }
  return std::isalnum(static_cast<unsigned char>(name.front())) != 0 &&
         std::isalnum(static_cast<unsigned char>(name.back())) != 0;
}

}  // namespace

bool isValidIqn(const std::string& iqn) {
  if (iqn.size() <= 4 || iqn.size() > 223) return false;
  if (iqn.rfind("iqn.", 0) != 0 && iqn.rfind("eui.", 0) != 0 && iqn.rfind("naa.", 0) != 0) {
    return false;
  }
  for (unsigned char c : iqn) {
    if (std::isgraph(c) == 0 || c == ',') return false;
  }
  return true;
}

bool isCanonicalAddress(const std::string& address) {
  unsigned char buf[16];
  char text[INET6_ADDRSTRLEN];
  for (int family : {AF_INET, AF_INET6}) {
    if (::inet_pton(family, address.c_str(), buf) == 1) {
      return ::inet_ntop(family, buf, text, sizeof text) != nullptr && address == text;
    }
  }
  return false;
}

std::optional<NodeId> parseNodeId(const std::string& id) {
  if (id.size() > 256) return std::nullopt;
  size_t comma = id.find(',');
  if (comma == std::string::npos) return std::nullopt;
  NodeId out{id.substr(0, comma), id.substr(comma + 1), ""};
  // Version 2 appends ",<nfs-address>"; an IQN never contains ','.
  if (size_t second = out.iqn.find(','); second != std::string::npos) {
    out.address = out.iqn.substr(second + 1);
    out.iqn.resize(second);
    if (!isCanonicalAddress(out.address)) return std::nullopt;
  }
  if (!isNodeName(out.name)) return std::nullopt;
  if (!out.iqn.empty() && !isValidIqn(out.iqn)) return std::nullopt;
  // The placeholder that keeps an unpublished volume's group closed is no node's initiator: a
  // node claiming it would be "published" to every closed volume.
  if (absl::EqualsIgnoreCase(out.iqn, kPlaceholderIqn)) return std::nullopt;
  return out;
}

}  // namespace tnascsi::controller::provision

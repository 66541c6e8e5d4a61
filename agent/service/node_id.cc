// Node id format (see node_id.h).
#include "agent/service/node_id.h"

#include <cctype>

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

}  // namespace

StatusOr<std::string> formatNodeId(const NodeId& id) {
  TNAS_RETURN_IF_ERROR(checkNodeName(id.nodeName));
  TNAS_RETURN_IF_ERROR(checkIqn(id.initiatorIqn));
  std::string out = id.nodeName + "," + id.initiatorIqn;
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
  NodeId id{text.substr(0, comma), text.substr(comma + 1)};
  TNAS_RETURN_IF_ERROR(checkNodeName(id.nodeName));
  TNAS_RETURN_IF_ERROR(checkIqn(id.initiatorIqn));
  return id;
}

}  // namespace tnascsi::agent

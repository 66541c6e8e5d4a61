// Initiator group contents for LUN masking (see iscsi_masking.h).
#include "controller/provision/iscsi_masking.h"

#include "absl/strings/str_split.h"
#include "controller/provision/metadata.h"

namespace tnascsi::controller::provision {

namespace {
constexpr const char* kNodesMarker = " nodes=";
}

truenas::IscsiInitiatorGroupSpec initiatorGroupSpec(const std::string& dataset,
                                                    const std::vector<NodeId>& nodes) {
  truenas::IscsiInitiatorGroupSpec spec;
  spec.comment = props::initiatorGroupKey(dataset);
  std::string names;
  for (const auto& node : nodes) {
    if (node.iqn.empty()) continue;
    spec.initiators.push_back(node.iqn);
    // Only the node name (and its NFS address, when its id carries one: "name/address"): its IQN
    // is the initiator at the same position, so the comment grows by the name alone (it is capped
    // at kMaxInitiatorGroupComment).
    names += (names.empty() ? "" : " ") + node.name;
    if (!node.address.empty()) names += "/" + node.address;
  }
  if (spec.initiators.empty()) {
    spec.initiators.push_back(kPlaceholderIqn);
  } else {
    spec.comment += kNodesMarker + names;
  }
  return spec;
}

std::vector<NodeId> publishedNodes(const truenas::IscsiInitiatorGroup& group) {
  std::vector<NodeId> out;
  size_t pos = group.comment.find(kNodesMarker);
  if (pos == std::string::npos) return out;
  std::string list = group.comment.substr(pos + std::string(kNodesMarker).size());
  size_t index = 0;
  for (absl::string_view part : absl::StrSplit(list, ' ', absl::SkipEmpty())) {
    const size_t i = index++;
    std::string entry(part);
    // Groups written before the names-only form hold whole node ids ("name,iqn").
    if (entry.find(',') == std::string::npos) {
      if (i >= group.initiators.size()) continue;
      size_t slash = entry.find('/');
      std::string address = slash == std::string::npos ? "" : entry.substr(slash + 1);
      entry = entry.substr(0, slash) + "," + group.initiators[i];
      if (!address.empty()) entry += "," + address;
    }
    auto node = parseNodeId(entry);
    if (node && !node->iqn.empty()) out.push_back(*node);
  }
  return out;
}

bool isRestrictive(const truenas::IscsiInitiatorGroup& group) {
  return !group.initiators.empty();
}

}  // namespace tnascsi::controller::provision

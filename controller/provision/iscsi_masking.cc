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
  std::string ids;
  for (const auto& node : nodes) {
    if (node.iqn.empty()) continue;
    spec.initiators.push_back(node.iqn);
    ids += (ids.empty() ? "" : " ") + node.str();
  }
  if (spec.initiators.empty()) {
    spec.initiators.push_back(kPlaceholderIqn);
  } else {
    spec.comment += kNodesMarker + ids;
  }
  return spec;
}

std::vector<NodeId> publishedNodes(const truenas::IscsiInitiatorGroup& group) {
  std::vector<NodeId> out;
  size_t pos = group.comment.find(kNodesMarker);
  if (pos == std::string::npos) return out;
  std::string list = group.comment.substr(pos + std::string(kNodesMarker).size());
  for (absl::string_view part : absl::StrSplit(list, ' ', absl::SkipEmpty())) {
    auto node = parseNodeId(std::string(part));
    if (node && !node->iqn.empty()) out.push_back(*node);
  }
  return out;
}

bool isRestrictive(const truenas::IscsiInitiatorGroup& group) {
  return !group.initiators.empty();
}

}  // namespace tnascsi::controller::provision

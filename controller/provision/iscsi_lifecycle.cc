// iSCSI volumes after creation: deferred and final deletion, expansion, health, publishing
// (see iscsi_provisioner.h).
#include <algorithm>

#include "absl/strings/str_join.h"
#include "common/log/log.h"
#include "controller/provision/iscsi_detail.h"
#include "controller/provision/iscsi_masking.h"
#include "controller/provision/iscsi_provisioner.h"
#include "controller/provision/metadata.h"

namespace tnascsi::controller::provision {

using truenas::TrueNasApi;
using namespace iscsi_detail;  // NOLINT(google-build-using-namespace): this module's helpers

Status IscsiProvisioner::removeExports(Backend& backend, const truenas::Dataset& dataset) {
  TrueNasApi& api = backend.api();
  auto target = api.findIscsiTargetByName(leafOf(dataset.name));
  if (target.ok() && isOurTarget(*target)) {
    truenas::IscsiTargetDeleteOptions options;
    options.force = true;
    options.deleteExtents = true;
    TNAS_RETURN_IF_ERROR(okIfNotFound(api.deleteIscsiTarget(target->id, options)));
  } else if (!target.ok() && target.status().code() != StatusCode::kNotFound) {
    return target.status();
  }
  auto extent = api.findIscsiExtentByDisk(diskOf(dataset.name));
  if (extent.ok()) {
    truenas::IscsiExtentDeleteOptions options;
    options.force = true;
    TNAS_RETURN_IF_ERROR(okIfNotFound(api.deleteIscsiExtent(extent->id, options)));
  } else if (extent.status().code() != StatusCode::kNotFound) {
    return extent.status();
  }
  if (auto group = propInt(dataset, props::kInitiatorGroup)) {
    TNAS_RETURN_IF_ERROR(okIfNotFound(api.deleteIscsiInitiatorGroup(*group)));
  }
  if (auto tag = propInt(dataset, props::kAuthTag)) TNAS_RETURN_IF_ERROR(deleteAuthTag(api, *tag));
  return absl::OkStatus();
}

Status IscsiProvisioner::cleanupAfterDelete(Backend& backend, const truenas::Dataset& dataset) {
  // TrueNAS removed the extent, its mapping and the emptied target with the zvol (§3.6). The
  // initiator group (and a target that never got its LUN) are left to ExportCollector's sweep,
  // which VolumeManager schedules; only a CHAP credential, which carries no marker a sweep could
  // trust, is removed here.
  if (auto tag = propInt(dataset, props::kAuthTag)) {
    TNAS_RETURN_IF_ERROR(deleteAuthTag(backend.api(), *tag));
  }
  return absl::OkStatus();
}

Status IscsiProvisioner::cleanupMissing(Backend& backend, const std::string& dataset) {
  TrueNasApi& api = backend.api();
  std::string key = props::initiatorGroupKey(dataset);
  TNAS_ASSIGN_OR_RETURN(
      auto groups,
      api.queryIscsiInitiatorGroups(
          truenas::QueryFilter::where("comment", truenas::FilterOp::kStartsWith, key), {}));
  for (const auto& group : groups) {
    // "truenas-csi:<dataset>" exactly, or followed by " nodes=..." (not a longer dataset name).
    if (group.comment != key && group.comment.rfind(key + " ", 0) != 0) continue;
    TNAS_RETURN_IF_ERROR(okIfNotFound(api.deleteIscsiInitiatorGroup(group.id)));
  }
  return absl::OkStatus();
}

StatusOr<uint64_t> IscsiProvisioner::expand(Backend& backend, const truenas::Dataset& dataset,
                                            uint64_t required, uint64_t limit) {
  uint64_t current = dataset.volsize.value_or(0);
  if (current >= required) return current;
  uint64_t block = dataset.volblocksize.value_or(16384);
  uint64_t size = (required + block - 1) / block * block;
  if (limit > 0 && size > limit) {
    return absl::OutOfRangeError("capacity " + std::to_string(size) +
                                 " (rounded up to the zvol block size) exceeds limit_bytes " +
                                 std::to_string(limit));
  }
  truenas::DatasetUpdateSpec update;
  update.volsize = size;
  TNAS_RETURN_IF_ERROR(common::annotate(backend.api().updateDataset(dataset.name, update).status(),
                                        "growing zvol " + dataset.name));
  return size;
}

StatusOr<VolumeHealth> IscsiProvisioner::inspect(Backend& backend,
                                                 const truenas::Dataset& dataset) {
  TrueNasApi& api = backend.api();
  VolumeHealth health;
  std::vector<std::string> problems;
  auto target = api.findIscsiTargetByName(leafOf(dataset.name));
  if (!target.ok() && target.status().code() != StatusCode::kNotFound) return target.status();
  if (!target.ok()) problems.push_back("iSCSI target " + leafOf(dataset.name) + " is missing");
  auto extent = api.findIscsiExtentByDisk(diskOf(dataset.name));
  if (!extent.ok() && extent.status().code() != StatusCode::kNotFound) return extent.status();
  if (!extent.ok()) problems.push_back("iSCSI extent on " + diskOf(dataset.name) + " is missing");
  if (target.ok() && extent.ok()) {
    TNAS_ASSIGN_OR_RETURN(
        auto mappings,
        api.queryIscsiTargetExtents(
            truenas::QueryFilter::where("extent", truenas::FilterOp::kEq, extent->id), {}));
    bool mapped = std::any_of(mappings.begin(), mappings.end(),
                              [&](const auto& m) { return m.target == target->id; });
    if (!mapped) problems.push_back("the extent is not mapped to the target (no LUN)");
    if (!extent->enabled) problems.push_back("the iSCSI extent is disabled");
  }
  auto groupId = propInt(dataset, props::kInitiatorGroup);
  if (!groupId) {
    problems.push_back("the zvol does not record its initiator group");
  } else {
    auto group = api.getIscsiInitiatorGroup(*groupId);
    if (!group.ok() && group.status().code() != StatusCode::kNotFound) return group.status();
    if (!group.ok()) {
      problems.push_back("initiator group " + std::to_string(*groupId) + " is missing");
    } else {
      if (!isRestrictive(*group)) problems.push_back("the initiator group admits every initiator");
      for (const auto& node : publishedNodes(*group)) health.publishedNodeIds.push_back(node.str());
    }
    if (target.ok() && (target->groups.empty() || target->groups.front().initiator != *groupId)) {
      problems.push_back("the target does not use the volume's initiator group");
    }
  }
  health.abnormal = !problems.empty();
  health.message = problems.empty() ? "volume is healthy" : absl::StrJoin(problems, "; ");
  return health;
}

Status IscsiProvisioner::publish(Backend& backend, const truenas::Dataset& dataset,
                                 const NodeId& node, bool multiNode) {
  if (node.iqn.empty()) {
    return absl::NotFoundError("node '" + node.name +
                               "' has no iSCSI initiator (its node id carries no IQN)");
  }
  auto groupId = propInt(dataset, props::kInitiatorGroup);
  if (!groupId) {
    return absl::FailedPreconditionError("volume " + dataset.name +
                                         " has no initiator group recorded; recreate the volume");
  }
  TrueNasApi& api = backend.api();
  TNAS_ASSIGN_OR_RETURN(auto group, api.getIscsiInitiatorGroup(*groupId));
  std::vector<NodeId> nodes = publishedNodes(group);
  auto same =
      std::find_if(nodes.begin(), nodes.end(), [&](const NodeId& n) { return n.iqn == node.iqn; });
  if (same != nodes.end() && same->str() == node.str()) return absl::OkStatus();
  if (same != nodes.end()) {
    // The node's agent now reports another id for the same initiator (e.g. with its NFS address):
    // record the id the CO uses, so published_node_ids match it.
    *same = node;
  } else if (!multiNode && !nodes.empty()) {
    return absl::FailedPreconditionError("volume is published to node '" + nodes.front().str() +
                                         "' and its access mode allows a single node");
  }
  if (same == nodes.end()) nodes.push_back(node);
  truenas::IscsiInitiatorGroupSpec spec = initiatorGroupSpec(dataset.name, nodes);
  if (spec.comment.size() > kMaxInitiatorGroupComment) {
    return absl::ResourceExhaustedError(
        "volume " + dataset.name + " is published to " + std::to_string(nodes.size() - 1) +
        " nodes; their names do not fit TrueNAS's 1024-character initiator group comment");
  }
  return api.updateIscsiInitiatorGroup(*groupId, spec).status();
}

Status IscsiProvisioner::unpublish(Backend& backend, const truenas::Dataset& dataset,
                                   const NodeId& node) {
  auto groupId = propInt(dataset, props::kInitiatorGroup);
  if (!groupId) return absl::OkStatus();
  TrueNasApi& api = backend.api();
  auto group = api.getIscsiInitiatorGroup(*groupId);
  if (group.status().code() == StatusCode::kNotFound) return absl::OkStatus();
  if (!group.ok()) return group.status();
  std::vector<NodeId> nodes = publishedNodes(*group);
  auto it = std::remove_if(nodes.begin(), nodes.end(), [&](const NodeId& n) {
    return node.name.empty() || n.str() == node.str() || (!node.iqn.empty() && n.iqn == node.iqn);
  });
  if (it == nodes.end() && isRestrictive(*group)) return absl::OkStatus();
  nodes.erase(it, nodes.end());
  return okIfNotFound(
      api.updateIscsiInitiatorGroup(*groupId, initiatorGroupSpec(dataset.name, nodes)).status());
}

StatusOr<std::map<int64_t, std::vector<std::string>>> IscsiProvisioner::publishedByGroup(
    Backend& backend) {
  TNAS_ASSIGN_OR_RETURN(auto groups,
                        backend.api().queryIscsiInitiatorGroups(
                            truenas::QueryFilter::where("comment", truenas::FilterOp::kStartsWith,
                                                        std::string("truenas-csi:")),
                            {}));
  std::map<int64_t, std::vector<std::string>> out;
  for (const auto& group : groups) {
    for (const auto& node : publishedNodes(group)) out[group.id].push_back(node.str());
  }
  return out;
}

}  // namespace tnascsi::controller::provision

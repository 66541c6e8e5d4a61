// NFS per-node exports (StorageClass nfsExportPerNode): ControllerPublish/Unpublish edit the
// volume's share so that it admits exactly the NFS client addresses of the nodes it is published
// to (see nfs_provisioner.h for the contract).
//
// TrueNAS facts relied on:
//  - a share with empty hosts and networks is exported to everybody ("*"): ref:TS-25.04.2.6:src/
//    middlewared/middlewared/etc_files/exports.mako:209-222 (also TS-24.10.2.4, TS-25.10.0); CORE
//    writes the export line without targets, which FreeBSD exports to the world
//    (ref:TN-13.0-U6.8:src/middlewared/middlewared/etc_files/nfsd.py:56-75). So an unpublished
//    volume's share is kept DISABLED, never "enabled with no hosts";
//  - disabled shares are left out of the exports: SCALE renders only `enabled = True` shares
//    (ref:TS-25.04.2.6:src/middlewared/middlewared/plugins/etc.py:167-173, TS-24.10.2.4 etc.py:
//    150-156, TS-25.10.0 etc.py:166-170), CORE too (ref:TN-13.0-U6.8:src/middlewared/middlewared/
//    etc_files/nfsd.py:81);
//  - sharing.nfs.update merges the given fields into the share and reloads the NFS service, so one
//    update changes hosts and enabled together (ref:TS-25.04.2.6:src/middlewared/middlewared/
//    plugins/nfs.py:495-520; TN-13.0-U6.8 nfs.py:333-358);
//  - hosts entries must be unique and free of spaces and quotes (ref:TS-25.04.2.6:src/middlewared/
//    middlewared/plugins/nfs.py:662-680 and plugins/nfs_/validators.py:7-57; TS-24.10.2.4 nfs.py:
//    478-483 unique=True + NotMatch); an IP address is accepted without a DNS lookup
//    (ref:TS-25.04.2.6:src/middlewared/middlewared/plugins/nfs.py:737-746). We only ever write
//    canonical IP addresses, once each;
//  - 25.10 caps hosts at 42 entries (ref:TS-25.10.0:src/middlewared/middlewared/api/v25_04_0/
//    nfs.py:21-22,99); 25.04.2.6 reverted the cap (Capabilities::maxNfsHostsPerShare);
//  - every string field, the comment too, is at most 1024 characters on 25.04+
//    (ref:TS-25.04.2.6:src/middlewared/middlewared/api/base/model.py:24).
//
// The share's comment records which nodes it is published to ("truenas-csi <name> nodes=<node>/
// <address> ..."), so two nodes behind one address keep it until both are unpublished, and a
// single-node volume can name the node holding it. Per-node shares are created with the marker
// (empty list) at the END of the comment and it is read from the last marker, so a CSI name that
// contains " nodes=" cannot smuggle in entries.
#include <algorithm>

#include "absl/strings/str_split.h"
#include "controller/provision/metadata.h"
#include "controller/provision/nfs_provisioner.h"

namespace tnascsi::controller::provision {
namespace {

constexpr const char* kNodesMarker = " nodes=";
constexpr size_t kMaxShareComment = 1024;

struct ShareNodes {
  std::string base;  // the comment before the marker
  std::vector<NodeId> nodes;
};

ShareNodes readShareNodes(const std::string& comment) {
  ShareNodes out;
  size_t pos = comment.rfind(kNodesMarker);
  if (pos == std::string::npos) {
    out.base = comment;
    return out;
  }
  out.base = comment.substr(0, pos);
  std::string list = comment.substr(pos + std::string(kNodesMarker).size());
  for (absl::string_view part : absl::StrSplit(list, ' ', absl::SkipEmpty())) {
    std::string entry(part);
    size_t slash = entry.find('/');
    if (slash == std::string::npos) continue;
    auto node = parseNodeId(entry.substr(0, slash) + ",," + entry.substr(slash + 1));
    if (node) out.nodes.push_back(*node);
  }
  return out;
}

std::string shareComment(const ShareNodes& s) {
  std::string out = s.base + kNodesMarker;
  for (size_t i = 0; i < s.nodes.size(); ++i) {
    out += (i == 0 ? "" : " ") + s.nodes[i].name + "/" + s.nodes[i].address;
  }
  return out;
}

// The distinct addresses of `nodes`, in publish order.
std::vector<std::string> hostsOf(const std::vector<NodeId>& nodes) {
  std::vector<std::string> out;
  for (const auto& n : nodes) {
    if (std::find(out.begin(), out.end(), n.address) == out.end()) out.push_back(n.address);
  }
  return out;
}

StatusOr<truenas::NfsShare> shareOf(Backend& backend, const truenas::Dataset& dataset) {
  auto share = backend.api().findNfsShareByPath(exportPath(dataset));
  if (share.status().code() == StatusCode::kNotFound) {
    return absl::FailedPreconditionError("the NFS share of " + exportPath(dataset) +
                                         " is missing; recreate the volume");
  }
  return share;
}

Status writeShare(Backend& backend, const truenas::NfsShare& share, const ShareNodes& nodes) {
  truenas::NfsShareUpdateSpec update;
  update.hosts = hostsOf(nodes.nodes);
  update.enabled = !nodes.nodes.empty();
  update.comment = shareComment(nodes);
  return common::annotate(backend.api().updateNfsShare(share.id, update).status(),
                          "updating the hosts of the NFS share of " + share.path);
}

}  // namespace

bool exportsPerNode(const truenas::Dataset& dataset) {
  return props::get(dataset.userProperties, props::kNfsExportPerNode) == "true";
}

std::string perNodeShareComment(const std::string& base) {
  return shareComment(ShareNodes{base, {}});
}

std::vector<NodeId> perNodePublishedNodes(const truenas::NfsShare& share) {
  return readShareNodes(share.comment).nodes;
}

Status NfsProvisioner::publish(Backend& backend, const truenas::Dataset& dataset,
                               const NodeId& node, bool multiNode) {
  if (!exportsPerNode(dataset)) return absl::OkStatus();  // exported as the StorageClass says
  if (node.address.empty()) {
    return absl::FailedPreconditionError(
        "volume " + dataset.name + " is exported per node (nfsExportPerNode) but node '" +
        node.name +
        "' reports no NFS client address in its node id; upgrade its truenas-csi node agent and "
        "give it --node-address");
  }
  TNAS_ASSIGN_OR_RETURN(truenas::NfsShare share, shareOf(backend, dataset));
  ShareNodes nodes = readShareNodes(share.comment);
  auto same = std::find_if(nodes.nodes.begin(), nodes.nodes.end(),
                           [&](const NodeId& n) { return n.name == node.name; });
  if (same != nodes.nodes.end() && same->address == node.address) {
    std::vector<std::string> want = hostsOf(nodes.nodes);
    if (share.enabled && share.hosts == want) return absl::OkStatus();
    return writeShare(backend, share, nodes);  // repair a share someone edited
  }
  if (same != nodes.nodes.end()) {
    same->address = node.address;  // the node's address changed: it moves with it
  } else if (!multiNode && !nodes.nodes.empty()) {
    return absl::FailedPreconditionError("volume is published to node '" +
                                         nodes.nodes.front().name +
                                         "' and its access mode allows a single node");
  } else {
    nodes.nodes.push_back(node);
  }
  TNAS_ASSIGN_OR_RETURN(truenas::Capabilities caps, backend.capabilities());
  size_t hosts = hostsOf(nodes.nodes).size();
  if (caps.maxNfsHostsPerShare > 0 && hosts > caps.maxNfsHostsPerShare) {
    return absl::ResourceExhaustedError(
        "volume " + dataset.name + " would be exported to " + std::to_string(hosts) +
        " node addresses; an NFS share on this TrueNAS admits at most " +
        std::to_string(caps.maxNfsHostsPerShare) + " hosts");
  }
  if (shareComment(nodes).size() > kMaxShareComment) {
    return absl::ResourceExhaustedError(
        "volume " + dataset.name + " is published to " + std::to_string(nodes.nodes.size() - 1) +
        " nodes; their names do not fit TrueNAS's 1024-character NFS share comment");
  }
  return writeShare(backend, share, nodes);
}

Status NfsProvisioner::unpublish(Backend& backend, const truenas::Dataset& dataset,
                                 const NodeId& node) {
  if (!exportsPerNode(dataset)) return absl::OkStatus();
  auto share = backend.api().findNfsShareByPath(exportPath(dataset));
  if (share.status().code() == StatusCode::kNotFound) return absl::OkStatus();
  if (!share.ok()) return share.status();
  ShareNodes nodes = readShareNodes(share->comment);
  auto it = std::remove_if(nodes.nodes.begin(), nodes.nodes.end(), [&](const NodeId& n) {
    return node.name.empty() || n.name == node.name;
  });
  bool fenced = !share->enabled && share->hosts.empty();
  if (it == nodes.nodes.end() && (nodes.nodes.empty() ? fenced : share->enabled)) {
    return absl::OkStatus();
  }
  nodes.nodes.erase(it, nodes.nodes.end());
  Status s = writeShare(backend, *share, nodes);
  return s.code() == StatusCode::kNotFound ? absl::OkStatus() : s;
}

}  // namespace tnascsi::controller::provision

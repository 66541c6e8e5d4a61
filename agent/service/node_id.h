// The node id this agent reports in NodeGetInfo, and the controller's parser for it. The
// controller needs the node's iSCSI initiator IQN to mask LUNs to the node, so the id carries it.
//
// Format (version 1):   <node-name>,<initiator-iqn>
//   node-name      the Kubernetes node name (RFC 1123 subdomain: lowercase a-z, 0-9, '-', '.';
//                  1..253 bytes, starts and ends alphanumeric)
//   initiator-iqn  the initiator name iscsid uses ("iqn.…" or "eui.…"), or empty on a node
//                  without iSCSI (NFS only); never contains ','.
//   whole id       at most 256 bytes (the CSI limit for node_id)
// Examples: "worker-1,iqn.2017-11.dev.talos:8f1c…", "nfs-only-node,".
// Neither part can contain ',', so the first ',' splits them unambiguously.
// Pure functions; thread-safe.
#pragma once

#include <string>

#include "common/base/status.h"

namespace tnascsi::agent {

struct NodeId {
  std::string nodeName;
  std::string initiatorIqn;  // empty: no iSCSI on this node
  bool operator==(const NodeId&) const = default;
};

// InvalidArgument when a part is malformed or the id would exceed 256 bytes.
StatusOr<std::string> formatNodeId(const NodeId& id);

// InvalidArgument naming what is wrong (no ',', bad node name, bad IQN, too long).
StatusOr<NodeId> parseNodeId(const std::string& text);

}  // namespace tnascsi::agent

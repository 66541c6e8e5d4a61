// The node id this agent reports in NodeGetInfo, and the controller's parser for it. The
// controller needs the node's iSCSI initiator IQN to mask LUNs to the node and its NFS client
// address to export per-node NFS shares to it, so the id carries both.
//
// Format:  version 1: <node-name>,<initiator-iqn>
//          version 2: <node-name>,<initiator-iqn>,<nfs-address>
//   node-name      the Kubernetes node name (RFC 1123 subdomain: lowercase a-z, 0-9, '-', '.';
//                  1..253 bytes, starts and ends alphanumeric)
//   initiator-iqn  the initiator name iscsid uses ("iqn.…" or "eui.…"), or empty on a node
//                  without iSCSI (NFS only); never contains ','.
//   nfs-address    the IPv4/IPv6 address the node's NFS client mounts from, canonical text form
//                  (--node-address); the agent writes version 1 when it has none, so ids of
//                  agents without the flag stay what they were.
//   whole id       at most 256 bytes (the CSI limit for node_id)
// Examples: "worker-1,iqn.2017-11.dev.talos:8f1c…", "nfs-only-node,", "worker-2,,10.0.0.12".
// No part can contain ',', so the commas split them unambiguously. The controller parses both
// versions (controller/provision/node_id.h). Pure functions; thread-safe.
#pragma once

#include <string>

#include "common/base/status.h"

namespace tnascsi::agent {

struct NodeId {
  std::string nodeName;
  std::string initiatorIqn;  // empty: no iSCSI on this node
  std::string nfsAddress;    // empty: version 1 id (no NFS client address reported)
  bool operator==(const NodeId&) const = default;
};

// InvalidArgument when a part is malformed or the id would exceed 256 bytes.
StatusOr<std::string> formatNodeId(const NodeId& id);

// InvalidArgument naming what is wrong (no ',', bad node name, bad IQN, bad address, too long).
StatusOr<NodeId> parseNodeId(const std::string& text);

// The canonical text form of an IPv4/IPv6 address ("10.0.0.5", "fd00::5"); InvalidArgument for
// anything else, the unspecified address (0.0.0.0, ::) included.
StatusOr<std::string> canonicalAddress(const std::string& text);

// The node's NFS client address from the --node-address flag: "" -> "" (none: version 1 id); an
// IPv4/IPv6 address -> its canonical form; "route-to:<address>" -> the source address the kernel
// picks for a route to <address> (the TrueNAS NFS server: connect(2) of a UDP socket, which sends
// nothing, then getsockname(2)). InvalidArgument for anything else or when there is no route.
StatusOr<std::string> resolveNodeAddress(const std::string& flag);

}  // namespace tnascsi::agent

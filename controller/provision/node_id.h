// Node ids as the node agent reports them in NodeGetInfo and the controller receives them in
// ControllerPublishVolume. The node agent defines the format (agent/service/node_id.h):
//
//   version 1: <node-name>,<initiator-iqn>               "worker-1,iqn.2017-11.dev.talos:8f1c…"
//   version 2: <node-name>,<initiator-iqn>,<nfs-address> "worker-1,,10.0.0.5"
//
// node-name: lower-case RFC 1123 name (a-z, 0-9, '-', '.'; 1..253 bytes; alphanumeric at both
// ends); initiator-iqn: the initiator name iscsid uses ("iqn.", "eui." or "naa." + printable
// characters other than ','; <= 223 bytes), empty on a node without iSCSI; nfs-address: the IPv4
// or IPv6 address the node's NFS client mounts from, in canonical text form (what per-node NFS
// exports admit). Version 1 ids (older agents; existing VolumeAttachments) still parse, with no
// address. Whole id <= 256 bytes.
// This is the controller's parse side, kept in step with the agent's. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>

namespace tnascsi::controller::provision {

struct NodeId {
  std::string name;
  std::string iqn;      // empty when the node has no iSCSI initiator
  std::string address;  // empty in a version 1 id (the agent reports no NFS client address)
  std::string str() const { return name + "," + iqn + (address.empty() ? "" : "," + address); }
};

// nullopt for anything malformed (the caller answers NOT_FOUND: no such node).
std::optional<NodeId> parseNodeId(const std::string& id);

// An iSCSI name as the node agent accepts it: "iqn.", "eui." or "naa." followed by printable
// characters other than ',', at most 223 bytes (RFC 3720).
bool isValidIqn(const std::string& iqn);

// An IPv4 or IPv6 address in canonical text form (inet_ntop of inet_pton: "10.0.0.5", "fd00::5").
bool isCanonicalAddress(const std::string& address);

}  // namespace tnascsi::controller::provision

// Node ids as the node agent reports them in NodeGetInfo and the controller receives them in
// ControllerPublishVolume. The node agent defines the format (agent/service/node_id.h, version 1):
//
//   <node-name>,<initiator-iqn>     e.g. "worker-1,iqn.2017-11.dev.talos:8f1c…", "nfs-node,"
//
// node-name: lower-case RFC 1123 name (a-z, 0-9, '-', '.'; 1..253 bytes; alphanumeric at both
// ends); initiator-iqn: the initiator name iscsid uses ("iqn.", "eui." or "naa." + printable
// characters other than ','; <= 223 bytes), empty on a node without iSCSI. Whole id <= 256 bytes.
// This is the controller's parse side, kept in step with the agent's. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>

namespace tnascsi::controller::provision {

struct NodeId {
  std::string name;
  std::string iqn;  // empty when the node has no iSCSI initiator
  std::string str() const { return name + "," + iqn; }
};

// nullopt for anything malformed (the caller answers NOT_FOUND: no such node).
std::optional<NodeId> parseNodeId(const std::string& id);

// An iSCSI name as the node agent accepts it: "iqn.", "eui." or "naa." followed by printable
// characters other than ',', at most 223 bytes (RFC 3720).
bool isValidIqn(const std::string& iqn);

}  // namespace tnascsi::controller::provision

// Node ids as the node agent reports them in NodeGetInfo and the controller receives them in
// ControllerPublishVolume: "<node-name>/<initiator-iqn>", or "<node-name>" for a node without an
// iSCSI initiator (NFS only). The node name is a host name (RFC 1123 characters, <= 63 per label,
// <= 128 in all); the IQN is the node's iSCSI initiator name ("iqn.YYYY-MM.reversed.domain[:x]"
// or "eui.<16 hex>"). The node agent defines the format (agent/service/node_id.h once it lands on
// main); this is the controller's parse side. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>

namespace tnascsi::controller::provision {

struct NodeId {
  std::string name;
  std::string iqn;  // empty when the node has no iSCSI initiator
  std::string str() const { return iqn.empty() ? name : name + "/" + iqn; }
};

// nullopt for anything malformed (the caller answers NOT_FOUND: no such node).
std::optional<NodeId> parseNodeId(const std::string& id);

// "iqn.<yyyy>-<mm>.<naming authority>[:<unique>]" in lower case, or "eui." + 16 hex digits; at
// most 223 characters (RFC 3720).
bool isValidIqn(const std::string& iqn);

}  // namespace tnascsi::controller::provision

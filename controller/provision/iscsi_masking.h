// LUN masking through a per-volume iSCSI initiator group.
//
// TrueNAS admits every initiator to a target whose group has an EMPTY initiator list, so a volume
// must never have one, not even between CreateVolume and its first ControllerPublishVolume. The
// group is therefore created holding kPlaceholderIqn, an IQN under the reserved ".invalid" domain
// (RFC 2606) that no node can carry; ControllerPublishVolume replaces it with the node's initiator
// IQN, and ControllerUnpublishVolume puts it back when the last node leaves.
//
// The group's comment records the volume's dataset and the CSI node ids it is published to
// ("truenas-csi:<dataset> nodes=<id> <id>"), so one read answers "published where?" with node ids,
// not bare IQNs. Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "controller/provision/node_id.h"
#include "controller/truenas/types.h"

namespace tnascsi::controller::provision {

inline constexpr const char* kPlaceholderIqn = "iqn.2000-01.invalid.truenas-csi:no-node";

// The group spec for a volume published to `nodeIds` (empty -> the placeholder only).
truenas::IscsiInitiatorGroupSpec initiatorGroupSpec(const std::string& dataset,
                                                    const std::vector<NodeId>& nodes);

// The node ids recorded in a group's comment (unparseable entries are dropped).
std::vector<NodeId> publishedNodes(const truenas::IscsiInitiatorGroup& group);

// True when the group admits nobody but `nodes`' initiators (never empty).
bool isRestrictive(const truenas::IscsiInitiatorGroup& group);

}  // namespace tnascsi::controller::provision

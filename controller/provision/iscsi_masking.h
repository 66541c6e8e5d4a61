// LUN masking through a per-volume iSCSI initiator group.
//
// TrueNAS admits every initiator to a target whose group has an EMPTY initiator list, so a volume
// must never have one, not even between CreateVolume and its first ControllerPublishVolume. The
// group is therefore created holding kPlaceholderIqn, an IQN under the reserved ".invalid" domain
// (RFC 2606) that no node can carry; ControllerPublishVolume replaces it with the node's initiator
// IQN, and ControllerUnpublishVolume puts it back when the last node leaves.
//
// The group's comment records the volume's dataset and the names of the CSI nodes it is published
// to, in the order of the group's initiators ("truenas-csi:<dataset> nodes=<name> <name>/<addr>";
// node id = name + "," + the initiator at that position [+ "," + addr for a version 2 id]), so one
// read answers "published where?" with the node ids the CO knows, not bare IQNs. Whole ids
// ("name,iqn", the older form) are still read. The comment is capped at 1024 characters on 25.04+
// (pydantic str_max_length, TS-25.04.2.6:src/middlewared/middlewared/api/base/model.py:24),
// hence names only and kMaxInitiatorGroupComment. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "controller/provision/node_id.h"
#include "controller/truenas/iscsi_types.h"

namespace tnascsi::controller::provision {

inline constexpr const char* kPlaceholderIqn = "iqn.2000-01.invalid.truenas-csi:no-node";
// The longest initiator group comment TrueNAS accepts (25.04+; older versions are given the same).
inline constexpr size_t kMaxInitiatorGroupComment = 1024;

// The group spec for a volume published to `nodeIds` (empty -> the placeholder only).
truenas::IscsiInitiatorGroupSpec initiatorGroupSpec(const std::string& dataset,
                                                    const std::vector<NodeId>& nodes);

// The node ids recorded in a group's comment (unparseable entries are dropped).
std::vector<NodeId> publishedNodes(const truenas::IscsiInitiatorGroup& group);

// True when the group admits nobody but `nodes`' initiators (never empty).
bool isRestrictive(const truenas::IscsiInitiatorGroup& group);

}  // namespace tnascsi::controller::provision

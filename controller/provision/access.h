// Volume capability rules per protocol (pure; thread-safe):
//  - iSCSI, mount:  single-node modes and MULTI_NODE_READER_ONLY (a filesystem on a shared LUN is
//                   only safe read-only); fs types ext4/xfs (or empty = the StorageClass fstype);
//  - iSCSI, block:  every access mode (the application coordinates multi-writer access);
//  - NFS, mount:    every access mode; block is refused.
// Mount flags are passed through to the node and not checked here.
#pragma once

#include <string>
#include <vector>

#include "common/base/status.h"
#include "controller/provision/requests.h"
#include "controller/provision/volume_id.h"

namespace tnascsi::controller::provision {

// InvalidArgument for a missing/unsupported capability, naming it.
Status validateCapability(Protocol protocol, const Capability& capability);

// The same, for a list; InvalidArgument when empty.
Status validateCapabilities(Protocol protocol, const std::vector<Capability>& capabilities);

// True for access modes that allow more than one node.
bool isMultiNode(AccessMode mode);

}  // namespace tnascsi::controller::provision

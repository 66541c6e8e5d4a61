// Volume capability rules per protocol (pure; thread-safe):
//  - iSCSI, mount:  single-node modes and MULTI_NODE_READER_ONLY (a filesystem on a shared LUN is
//                   only safe read-only); fs types ext4/xfs (or empty = the StorageClass fstype);
//  - iSCSI, block:  every access mode (the application coordinates multi-writer access);
//  - NFS, mount:    every access mode; block is refused.
// Mount flags are passed through to the node and not checked here.
#pragma once

#include <string>

#include "common/base/status.h"
#include "controller/provision/volume_id.h"
#include "proto/csi.pb.h"

namespace tnascsi::controller::provision {

// InvalidArgument for a missing/unsupported capability, naming it.
Status validateCapability(Protocol protocol, const csi::v1::VolumeCapability& capability);

// The same, for a list; InvalidArgument when empty.
Status validateCapabilities(
    Protocol protocol,
    const google::protobuf::RepeatedPtrField<csi::v1::VolumeCapability>& capabilities);

// True for access modes that allow more than one node.
bool isMultiNode(csi::v1::VolumeCapability::AccessMode::Mode mode);

}  // namespace tnascsi::controller::provision

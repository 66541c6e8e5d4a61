// The CSI snapshot RPCs' messages <-> provision's plain shapes (requests.h). Each decode checks the
// CSI shape first (required fields, non-negative numbers) and answers InvalidArgument naming the
// field; each encode fills the response. Pure functions; thread-safe.
#pragma once

#include <string>

#include "common/base/status.h"
#include "controller/provision/requests.h"
#include "proto/csi.pb.h"

namespace tnascsi::controller {

StatusOr<provision::CreateSnapshotRequest> decodeCreateSnapshot(
    const csi::v1::CreateSnapshotRequest& request);
StatusOr<std::string> decodeDeleteSnapshot(const csi::v1::DeleteSnapshotRequest& request);
StatusOr<provision::ListSnapshotsRequest> decodeListSnapshots(
    const csi::v1::ListSnapshotsRequest& request);

// The page part of ListVolumes / ListSnapshots (max_entries must not be negative).
StatusOr<provision::ListRequest> decodePage(int32_t maxEntries, const std::string& startingToken);

void encodeSnapshot(const provision::SnapshotInfo& snapshot, csi::v1::Snapshot* out);
void encodeListSnapshots(const provision::ListSnapshotsResult& result,
                         csi::v1::ListSnapshotsResponse* out);

}  // namespace tnascsi::controller

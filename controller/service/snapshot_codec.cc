// CSI snapshot messages <-> plain shapes (see snapshot_codec.h).
#include "controller/service/snapshot_codec.h"

#include <chrono>

namespace tnascsi::controller {

StatusOr<provision::CreateSnapshotRequest> decodeCreateSnapshot(
    const csi::v1::CreateSnapshotRequest& req) {
  if (req.name().empty()) return absl::InvalidArgumentError("name is required");
  if (req.source_volume_id().empty()) {
    return absl::InvalidArgumentError("source_volume_id is required");
  }
  return provision::CreateSnapshotRequest{req.name(), req.source_volume_id()};
}

StatusOr<std::string> decodeDeleteSnapshot(const csi::v1::DeleteSnapshotRequest& req) {
  if (req.snapshot_id().empty()) return absl::InvalidArgumentError("snapshot_id is required");
  return req.snapshot_id();
}

StatusOr<provision::ListRequest> decodePage(int32_t maxEntries, const std::string& startingToken) {
  if (maxEntries < 0) return absl::InvalidArgumentError("max_entries must not be negative");
  return provision::ListRequest{maxEntries, startingToken};
}

StatusOr<provision::ListSnapshotsRequest> decodeListSnapshots(
    const csi::v1::ListSnapshotsRequest& req) {
  provision::ListSnapshotsRequest out;
  TNAS_ASSIGN_OR_RETURN(out.page, decodePage(req.max_entries(), req.starting_token()));
  out.snapshotId = req.snapshot_id();
  out.sourceVolumeId = req.source_volume_id();
  return out;
}

void encodeSnapshot(const provision::SnapshotInfo& snapshot, csi::v1::Snapshot* out) {
  out->set_snapshot_id(snapshot.id);
  out->set_source_volume_id(snapshot.sourceVolumeId);
  out->set_size_bytes(static_cast<int64_t>(snapshot.size));
  out->set_ready_to_use(true);
  auto nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(snapshot.creation.time_since_epoch())
          .count();
  out->mutable_creation_time()->set_seconds(nanos / 1000000000);
  out->mutable_creation_time()->set_nanos(static_cast<int32_t>(nanos % 1000000000));
}

void encodeListSnapshots(const provision::ListSnapshotsResult& result,
                         csi::v1::ListSnapshotsResponse* out) {
  for (const auto& entry : result.entries) {
    encodeSnapshot(entry, out->add_entries()->mutable_snapshot());
  }
  if (!result.nextToken.empty()) out->set_next_token(result.nextToken);
}

}  // namespace tnascsi::controller

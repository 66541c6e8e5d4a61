// SnapshotManager: CSI snapshots as ZFS snapshots of the volume's dataset, named after the CSI
// snapshot name (naming.h) and marked with our ownership properties. CreateSnapshot is
// idempotent by name across all volumes of a backend (the same name on another source volume is
// ALREADY_EXISTS); DeleteSnapshot of a snapshot with clones uses ZFS deferred destroy (the
// snapshot disappears with its last clone; ListSnapshots hides it from then on), and lets a
// deferred-deleted source volume go once nothing depends on it. ListSnapshots pages in id order;
// the token is the id to resume at. Thread-safety: thread-safe.
#pragma once

#include "common/base/status.h"
#include "controller/provision/requests.h"
#include "controller/provision/volume_manager.h"

namespace tnascsi::controller::provision {

class SnapshotManager {
 public:
  explicit SnapshotManager(VolumeManager& volumes) : volumes_(volumes) {}

  StatusOr<SnapshotInfo> createSnapshot(const CreateSnapshotRequest& request);
  // A missing or unparseable id -> OK.
  Status deleteSnapshot(const std::string& snapshotId);
  StatusOr<ListSnapshotsResult> listSnapshots(const ListSnapshotsRequest& request);

 private:
  VolumeManager& volumes_;
};

}  // namespace tnascsi::controller::provision

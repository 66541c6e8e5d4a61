// Provisioner: the protocol-specific half of a volume (iSCSI: zvol + initiator group + target +
// extent + LUN mapping; NFS: filesystem dataset + share), driven by VolumeManager. CreatePlan is
// what VolumeManager decided (names, size, parameters, source); the provisioner makes TrueNAS
// match it, resuming whatever an earlier, interrupted attempt left behind.
//
// Contract for every method: idempotent (a repeat after success or after a failure at any step
// converges to the same single set of objects); objects without our ownership marker are never
// modified or deleted; errors are Statuses whose message names the TrueNAS object involved.
// Thread-safety: implementations are stateless apart from the Backend caches; VolumeManager
// serializes calls per volume with common::InFlight.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/base/status.h"
#include "controller/provision/backend.h"
#include "controller/provision/node_id.h"
#include "controller/provision/parameters.h"
#include "controller/provision/volume_id.h"
#include "controller/truenas/dataset_types.h"

namespace tnascsi::controller::provision {

struct CreatePlan {
  Backend* backend = nullptr;
  std::string driverName;
  std::string csiName;
  std::string leaf;  // last component of id.dataset
  VolumeId id;
  VolumeParameters params;
  ChapCredentials chap;
  uint64_t capacity = 0;
  // Clone source (a ZFS snapshot "pool/ds@snap") and its volume's size/volblocksize.
  std::optional<std::string> cloneSnapshot;
  uint64_t sourceCapacity = 0;
  // Make the dataset an independent copy of cloneSnapshot (replication.run_onetime) instead of a
  // ZFS clone (StorageClass detachedVolumesFromSnapshots / detachedVolumesFromVolumes).
  bool detached = false;
  // Ownership marker and metadata for the dataset (metadata.h keys).
  std::map<std::string, std::string> userProperties;
};

struct VolumeInfo {
  uint64_t capacity = 0;
  std::map<std::string, std::string> context;  // CSI volume_context
};

struct VolumeHealth {
  bool abnormal = false;
  std::string message;
  std::vector<std::string> publishedNodeIds;
};

class Provisioner {
 public:
  virtual ~Provisioner() = default;

  // Creates (or completes) the volume. AlreadyExists when an object at our deterministic name is
  // not ours or belongs to an incompatible volume.
  virtual StatusOr<VolumeInfo> create(const CreatePlan& plan) = 0;

  // The size CSI reports for the dataset (zvol volsize / refquota).
  virtual uint64_t capacityOf(const truenas::Dataset& dataset) const = 0;

  // The volume context of an existing, owned volume (reads the export objects).
  virtual StatusOr<std::map<std::string, std::string>> context(Backend& backend,
                                                               const truenas::Dataset& dataset,
                                                               const VolumeParameters& params) = 0;

  // Removes the exports (target/extent/initiator group/CHAP, or the share) but keeps the data:
  // used for deferred deletion. NotFound pieces are skipped.
  virtual Status removeExports(Backend& backend, const truenas::Dataset& dataset) = 0;

  // After the dataset was destroyed (TrueNAS cascades extents, mappings, emptied targets and
  // shares): removes what the cascade leaves and no sweep collects (iSCSI: the CHAP credential;
  // initiator groups and LUN-less targets are ExportCollector's).
  virtual Status cleanupAfterDelete(Backend& backend, const truenas::Dataset& dataset) = 0;

  // The dataset is gone (or was never created): removes export objects an interrupted create may
  // have made before it (the iSCSI initiator group is created first).
  virtual Status cleanupMissing(Backend& backend, const std::string& dataset) = 0;

  // Grows the volume to at least `required` (and at most `limit` if non-zero). Returns the new
  // capacity; OK without a call when already large enough.
  virtual StatusOr<uint64_t> expand(Backend& backend, const truenas::Dataset& dataset,
                                    uint64_t required, uint64_t limit) = 0;

  // Checks that every export object exists and is consistent; lists published nodes.
  virtual StatusOr<VolumeHealth> inspect(Backend& backend, const truenas::Dataset& dataset) = 0;
};

// Shared dataset step: creates the dataset (or clones plan.cloneSnapshot into it, or with
// plan.detached copies that snapshot into it, writes `cloneProperties` onto the copy and removes
// the received snapshot from it; a copy whose finishing fails is deleted again) and returns it
// with `created` = true; when it exists already, reads it and returns it with `created` = false
// if it is ours and was made for the same CSI name, protocol, parameters and content source, else
// AlreadyExists explaining why it cannot be adopted.
struct DatasetOutcome {
  truenas::Dataset dataset;
  bool created = false;
};
StatusOr<DatasetOutcome> createOrAdoptDataset(
    const CreatePlan& plan, const truenas::DatasetCreateSpec& spec,
    const std::map<std::string, std::string>& cloneProperties);

// Checks that an existing dataset may be adopted for `plan` (see above).
Status checkAdoptable(const truenas::Dataset& dataset, const CreatePlan& plan);

// Whether a failed create step fails the same way when retried (TrueNAS refused the request, or
// an object at our name is not ours): the create then removes what it made itself. Retryable
// failures (UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED, ...) keep everything for the retry to resume.
bool isPermanent(const Status& status);

// Removes dataset `name` that this create made (not recursively: a dataset made a moment ago holds
// nothing) after a later step failed permanently. Logs what it could not remove.
void rollbackDataset(truenas::TrueNasApi& api, const std::string& name);

}  // namespace tnascsi::controller::provision

// VolumeManager: the CSI Controller logic for volumes (create, delete, expand, get, list,
// validate, capacity, publish/unpublish) over the configured backends. Every mutation is
// lookup -> compare -> act against TrueNAS's own state (ZFS user properties are the only
// database), so a restarted controller or a retried call continues where the last one stopped.
//
// Contract highlights (CSI spec v1.12):
//  - CreateVolume: same name + compatible request -> the existing volume; incompatible ->
//    ALREADY_EXISTS; a create interrupted at any step is completed by the retry; an object at our
//    deterministic name without our marker -> ALREADY_EXISTS, never adopted.
//  - DeleteVolume: a missing or unparseable id -> OK. A volume whose snapshots (or clones of
//    them) still exist is deleted *deferred*: its exports go at once, its data when the last
//    snapshot/clone is deleted (see docs/storageclass-parameters.md). The common path costs two
//    TrueNAS calls (read, delete); iSCSI leftovers are swept later (export_collector.h).
//  - Ids of this driver that do not resolve -> NOT_FOUND (publish, expand, get, validate).
//  - Concurrent calls on the same volume (or the same name) -> ABORTED; the CO retries.
// Thread-safety: all methods are thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/base/inflight.h"
#include "common/base/status.h"
#include "controller/provision/backend.h"
#include "controller/provision/export_collector.h"
#include "controller/provision/iscsi_provisioner.h"
#include "controller/provision/nfs_provisioner.h"
#include "controller/provision/requests.h"

namespace tnascsi::controller::provision {

class VolumeManager {
 public:
  // `sweepDebounce`: delay between the last iSCSI DeleteVolume and the sweep of its leftovers;
  // `sweepMaxDelay`: the longest a sweep waits under continuous deletes. Every backend is swept
  // `sweepDebounce` after construction (leftovers of an earlier instance).
  VolumeManager(BackendRegistry& backends, std::string driverName,
                std::chrono::milliseconds sweepDebounce = std::chrono::seconds(5),
                std::chrono::milliseconds sweepMaxDelay = std::chrono::seconds(60));

  // The requests arrive with their CSI shape checked (requests.h: required fields present,
  // numbers non-negative); what is left to check here needs the backend or the parameters.
  StatusOr<VolumeInfoResult> createVolume(const CreateVolumeRequest& request);
  Status deleteVolume(const std::string& volumeId);
  StatusOr<ExpandVolumeResult> expandVolume(const ExpandVolumeRequest& request);
  StatusOr<VolumeStatusResult> getVolume(const std::string& volumeId);
  StatusOr<ListVolumesResult> listVolumes(const ListRequest& request);
  StatusOr<ValidateResult> validateCapabilities(const ValidateRequest& request);
  // The bytes available for a new volume (0 when the capabilities or topology cannot be served).
  StatusOr<uint64_t> getCapacity(const CapacityRequest& request);
  Status publish(const PublishRequest& request);
  Status unpublish(const UnpublishRequest& request);

  // A resolved volume: its backend and dataset (owned by us, not deleted).
  struct Located {
    Backend* backend = nullptr;
    VolumeId id;
    truenas::Dataset dataset;
  };
  // NotFound for a malformed id, an unknown backend, a dataset outside the backend's parent, a
  // missing, foreign or deleted dataset; other errors (Unavailable...) pass through.
  StatusOr<Located> locate(const std::string& volumeId);

  // Destroys a dataset marked deleted once nothing depends on it any more, then follows its
  // origin (the snapshot it was cloned from). Called after a snapshot or clone goes away.
  Status collectDeferred(Backend& backend, const std::string& dataset, int depth = 0);

  // Sweeps every backend's iSCSI leftovers now (export_collector.h); the first error.
  Status sweepExports();

  Provisioner& provisionerFor(Protocol protocol);
  const std::string& driverName() const { return driverName_; }
  BackendRegistry& backends() { return backends_; }
  common::InFlight& inflight() { return inflight_; }

 private:
  Status destroy(Backend& backend, Protocol protocol, const truenas::Dataset& dataset);
  StatusOr<bool> hasDependents(Backend& backend, const std::string& dataset);
  // Child datasets and snapshots without our marker inside `dataset` (their names).
  StatusOr<std::vector<std::string>> foreignContents(Backend& backend, const std::string& dataset);
  Status followOrigin(Backend& backend, const std::string& origin, int depth);

  BackendRegistry& backends_;
  std::string driverName_;
  IscsiProvisioner iscsi_;
  NfsProvisioner nfs_;
  common::InFlight inflight_;
  ExportCollector collector_;  // last: its worker stops before the rest goes
};

// Whether `dataset` is a direct child of `parent` (where volumes live).
bool isDirectChild(const std::string& parent, const std::string& dataset);

// Whether a backend with `segments` can serve a volume whose requirement lists `topology`: every
// backend key that `topology` names has the same value there.
bool topologyMatches(const Segments& segments, const Segments& topology);

}  // namespace tnascsi::controller::provision

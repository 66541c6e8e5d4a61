// TrueNasApi: the domain interface through which the controller talks to one TrueNAS backend. It
// speaks in the plain types of the *_types.h headers; JSON, WebSockets, protocol versions and
// method renames stay behind it (TrueNasClient is the only implementation; tests run it against
// the TrueNAS simulator, and MockTrueNasApi in test/fakes/truenas/ is a GMock double of it).
//
// Thread-safety: every method may be called concurrently from any thread; calls share one
// connection per backend and are multiplexed.
//
// Error contract, common to all methods (individual methods list what differs):
//  - NotFound          the object does not exist (TrueNAS ENOENT / InstanceNotFound /
//  MatchNotFound).
//  - AlreadyExists     a create clashes with an existing object (EEXIST, "already exists",
//                      "must be unique", "already in use"); the caller looks the object up.
//  - InvalidArgument   TrueNAS rejected the request (validation); the message carries TrueNAS's
//                      attribute and text, e.g. "pool_dataset_create.volsize: Volume size should be
//                      a multiple of volume block size".
//  - FailedPrecondition the object is in a state that forbids the call (busy target without force,
//                      snapshot with clones, dataset with children, not a clone) or the client is
//                      misconfigured (plain ws:// to a remote host).
//  - PermissionDenied  the API key was rejected or expired/revoked (permanent until the key file
//                      changes) or lacks a role.
//  - Unavailable       not connected, the connection dropped while the call was in flight, or the
//                      server is busy (EBUSY). A mutating call that fails with Unavailable may or
//                      may not have been applied: the client never retries mutations; the caller
//                      re-reads state and decides.
//  - ResourceExhausted the client's own bounded wait queue is full.
//  - DeadlineExceeded  the per-call deadline passed (the call may still complete on the server).
//  - Internal          anything else TrueNAS reported (message kept).
// Reads (get*/query*/find*/count/list*) may be retried by the client after a reconnect; mutations
// never are. Idempotency is the caller's job: creates are not idempotent (AlreadyExists on the
// second call), deletes of a missing object return NotFound (callers treat that as done).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/base/status.h"
#include "controller/truenas/dataset_types.h"
#include "controller/truenas/iscsi_types.h"
#include "controller/truenas/nfs_types.h"
#include "controller/truenas/query_types.h"
#include "controller/truenas/snapshot_types.h"
#include "controller/truenas/system_types.h"

namespace tnascsi::controller::truenas {

class TrueNasApi {
 public:
  virtual ~TrueNasApi() = default;

  // ---- System -----------------------------------------------------------------------------------

  // Version, product type, protocol and derived capabilities of the backend. Connects (and
  // authenticates) if needed; cached per connection. Unavailable when the backend is unreachable,
  // PermissionDenied when the key is rejected.
  virtual StatusOr<VersionInfo> versionInfo() = 0;

  // Round-trips a ping over the authenticated connection. OK or Unavailable/DeadlineExceeded.
  virtual Status ping() = 0;

  // Number of entries matching `filter` in `collection` (query option count:true).
  virtual StatusOr<int64_t> count(Collection collection, const QueryFilter& filter) = 0;

  // ---- Pools ------------------------------------------------------------------------------------

  virtual StatusOr<std::vector<Pool>> queryPools(const QueryFilter& filter,
                                                 const QueryOptions& options) = 0;
  // NotFound if no pool has that name.
  virtual StatusOr<Pool> getPool(const std::string& name) = 0;

  // ---- Datasets and zvols -----------------------------------------------------------------------

  // pool.dataset.create. Returns the created dataset. AlreadyExists when a dataset of that name
  // exists ("Path ... already exists" for filesystems, "already exists" for zvols); InvalidArgument
  // for validation (missing parent, size rules, name too long). On versions without user
  // properties (CORE) `userProperties` are stored in `comments` (see Capabilities) and read back
  // from there, so callers see the same map.
  virtual StatusOr<Dataset> createDataset(const DatasetCreateSpec& spec) = 0;

  // pool.dataset.update. Returns the updated dataset. NotFound when missing; InvalidArgument for a
  // shrink or an invalid size. Idempotent when the values are already set.
  virtual StatusOr<Dataset> updateDataset(const std::string& name,
                                          const DatasetUpdateSpec& spec) = 0;

  // pool.dataset.delete. NotFound when missing; FailedPrecondition when it has children (without
  // recursive) or its snapshots have clones; Unavailable when busy (EBUSY; retry later). TrueNAS
  // also deletes the NFS shares and iSCSI extents/mappings/targets that use the dataset.
  virtual Status deleteDataset(const std::string& name, const DatasetDeleteOptions& options) = 0;

  // pool.dataset.get_instance. NotFound when missing.
  virtual StatusOr<Dataset> getDataset(const std::string& name) = 0;

  // pool.dataset.query (flat, without children lists). Empty vector when nothing matches.
  virtual StatusOr<std::vector<Dataset>> queryDatasets(const QueryFilter& filter,
                                                       const QueryOptions& options) = 0;

  // Datasets directly below `parent` (not deeper), in name order. NotFound never: empty vector.
  virtual StatusOr<std::vector<Dataset>> listChildDatasets(const std::string& parent,
                                                           const QueryOptions& options) = 0;

  // Datasets at any depth below `parent` whose user property `key` equals `value` (CORE: read from
  // comments). Empty vector when none.
  virtual StatusOr<std::vector<Dataset>> findDatasetsByUserProperty(const std::string& parent,
                                                                    const std::string& key,
                                                                    const std::string& value) = 0;

  // pool.dataset.promote. NotFound when missing; FailedPrecondition when it is not a clone.
  virtual Status promoteDataset(const std::string& name) = 0;

  // ---- Snapshots (zfs.snapshot.* before 25.10, pool.snapshot.* from 25.10)
  // ------------------------

  // Returns the created snapshot. AlreadyExists when it exists; NotFound/InvalidArgument when the
  // dataset is missing (TrueNAS reports it as validation).
  virtual StatusOr<Snapshot> createSnapshot(const SnapshotCreateSpec& spec) = 0;

  // NotFound when missing; FailedPrecondition when it has clones and `defer` is false.
  virtual Status deleteSnapshot(const std::string& id, const SnapshotDeleteOptions& options) = 0;

  // NotFound when missing.
  virtual StatusOr<Snapshot> getSnapshot(const std::string& id) = 0;

  // Field names: id, name, dataset, pool, snapshot_name. Empty vector when nothing matches.
  virtual StatusOr<std::vector<Snapshot>> querySnapshots(const QueryFilter& filter,
                                                         const QueryOptions& options) = 0;

  // Creates `datasetDst` as a clone. NotFound when the snapshot is missing; AlreadyExists when the
  // destination exists. Not idempotent.
  virtual Status cloneSnapshot(const SnapshotCloneSpec& spec) = 0;

  // replication.run_onetime (a job, awaited up to the client's job timeout): copies one snapshot
  // into a new, independent dataset (see LocalReplicationSpec). AlreadyExists when the target
  // exists (nothing changed); NotFound when the source dataset or snapshot is missing;
  // Unimplemented when the backend has no run_onetime (CORE 13.0); DeadlineExceeded when the job
  // outlives the timeout (it may still complete). Not idempotent.
  virtual Status replicateLocal(const LocalReplicationSpec& spec) = 0;

  // NotFound when missing; FailedPrecondition when newer snapshots exist without `recursive`.
  virtual Status rollbackSnapshot(const std::string& id,
                                  const SnapshotRollbackOptions& options) = 0;

  // ---- iSCSI ------------------------------------------------------------------------------------

  virtual StatusOr<IscsiGlobal> getIscsiGlobal() = 0;

  virtual StatusOr<std::vector<IscsiPortal>> listIscsiPortals() = 0;
  // InvalidArgument when an IP is unknown to TrueNAS; AlreadyExists when an IP is used by another
  // portal.
  virtual StatusOr<IscsiPortal> createIscsiPortal(const IscsiPortalCreateSpec& spec) = 0;

  virtual StatusOr<IscsiInitiatorGroup> createIscsiInitiatorGroup(
      const IscsiInitiatorGroupSpec& spec) = 0;
  // Replaces the group's initiator list and comment. NotFound when missing.
  virtual StatusOr<IscsiInitiatorGroup> updateIscsiInitiatorGroup(
      int64_t id, const IscsiInitiatorGroupSpec& spec) = 0;
  // NotFound when missing.
  virtual Status deleteIscsiInitiatorGroup(int64_t id) = 0;
  virtual StatusOr<IscsiInitiatorGroup> getIscsiInitiatorGroup(int64_t id) = 0;
  virtual StatusOr<std::vector<IscsiInitiatorGroup>> queryIscsiInitiatorGroups(
      const QueryFilter& filter, const QueryOptions& options) = 0;

  // InvalidArgument for secrets outside 12-16 characters (the message never contains them).
  virtual StatusOr<IscsiAuth> createIscsiAuth(const IscsiAuthSpec& spec) = 0;
  virtual StatusOr<IscsiAuth> updateIscsiAuth(int64_t id, const IscsiAuthSpec& spec) = 0;
  // FailedPrecondition when it is the last credential of a tag a target uses.
  virtual Status deleteIscsiAuth(int64_t id) = 0;
  // Every credential carrying `tag` (a tag may group several). Empty vector when none.
  virtual StatusOr<std::vector<IscsiAuth>> queryIscsiAuthByTag(int64_t tag) = 0;

  // AlreadyExists when the name is taken; InvalidArgument for a bad name/portal/initiator.
  virtual StatusOr<IscsiTarget> createIscsiTarget(const IscsiTargetSpec& spec) = 0;
  virtual StatusOr<IscsiTarget> updateIscsiTarget(int64_t id,
                                                  const IscsiTargetUpdateSpec& spec) = 0;
  // Deletes the target and its mappings (and, with deleteExtents, its extents; emulated before
  // 25.04 by deleting the mapped extents first). NotFound when missing; FailedPrecondition when in
  // use and not forced.
  virtual Status deleteIscsiTarget(int64_t id, const IscsiTargetDeleteOptions& options) = 0;
  virtual StatusOr<IscsiTarget> getIscsiTarget(int64_t id) = 0;
  // NotFound when no target has that name.
  virtual StatusOr<IscsiTarget> findIscsiTargetByName(const std::string& name) = 0;
  virtual StatusOr<std::vector<IscsiTarget>> queryIscsiTargets(const QueryFilter& filter,
                                                               const QueryOptions& options) = 0;

  // AlreadyExists when the name or serial is taken; InvalidArgument when the zvol is missing.
  virtual StatusOr<IscsiExtent> createIscsiExtent(const IscsiExtentCreateSpec& spec) = 0;
  virtual StatusOr<IscsiExtent> updateIscsiExtent(int64_t id,
                                                  const IscsiExtentUpdateSpec& spec) = 0;
  // Deletes the extent and its mapping. NotFound when missing; FailedPrecondition when in use and
  // not forced.
  virtual Status deleteIscsiExtent(int64_t id, const IscsiExtentDeleteOptions& options) = 0;
  virtual StatusOr<IscsiExtent> getIscsiExtent(int64_t id) = 0;
  // NotFound when none matches.
  virtual StatusOr<IscsiExtent> findIscsiExtentByName(const std::string& name) = 0;
  // `disk` as TrueNAS stores it: "zvol/<dataset>". NotFound when none matches.
  virtual StatusOr<IscsiExtent> findIscsiExtentByDisk(const std::string& disk) = 0;
  virtual StatusOr<std::vector<IscsiExtent>> queryIscsiExtents(const QueryFilter& filter,
                                                               const QueryOptions& options) = 0;

  // AlreadyExists when the extent is already mapped or the LUN is taken.
  virtual StatusOr<IscsiTargetExtent> createIscsiTargetExtent(
      const IscsiTargetExtentSpec& spec) = 0;
  // NotFound when missing; FailedPrecondition when in use and not forced.
  virtual Status deleteIscsiTargetExtent(int64_t id, bool force) = 0;
  // Field names: target, extent, lunid.
  virtual StatusOr<std::vector<IscsiTargetExtent>> queryIscsiTargetExtents(
      const QueryFilter& filter, const QueryOptions& options) = 0;

  // ---- NFS --------------------------------------------------------------------------------------

  // AlreadyExists on an export conflict; InvalidArgument when the path is not in a pool or the
  // host/network lists are invalid or too long.
  virtual StatusOr<NfsShare> createNfsShare(const NfsShareSpec& spec) = 0;
  virtual StatusOr<NfsShare> updateNfsShare(int64_t id, const NfsShareUpdateSpec& spec) = 0;
  // NotFound when missing.
  virtual Status deleteNfsShare(int64_t id) = 0;
  // The share exporting exactly `path` ("/mnt/tank/k8s/nfs-1"). NotFound when none.
  virtual StatusOr<NfsShare> findNfsShareByPath(const std::string& path) = 0;
  virtual StatusOr<std::vector<NfsShare>> queryNfsShares(const QueryFilter& filter,
                                                         const QueryOptions& options) = 0;

  // ---- Filesystem (a dataset's root directory) --------------------------------------------------

  // filesystem.setperm (a job, awaited up to the client's job timeout): mode, and owner when given.
  // Idempotent (setting the same values again changes nothing). NotFound when the path does not
  // exist; InvalidArgument when TrueNAS refuses it (a non-trivial ACL without stripAcl, a path
  // that is not below /mnt or is a pool's root, a read-only dataset on 25.x, a bad mode or id);
  // DeadlineExceeded when the job outlives the timeout.
  virtual Status setPathPermissions(const PathPermissionsSpec& spec) = 0;

  // filesystem.chown (a job): owner and/or group. Idempotent. Errors as setPathPermissions
  // (ACLs do not matter); InvalidArgument when neither uid nor gid is set.
  virtual Status setPathOwner(const PathOwnerSpec& spec) = 0;

  // ---- Services ("iscsitarget", "nfs")
  // -----------------------------------------------------------

  // NotFound for an unknown service name.
  virtual StatusOr<ServiceState> getService(const std::string& name) = 0;
  // Enables the service at boot and starts it (service.update + start, or service.control START on
  // 25.10, waiting for the job). Idempotent. Internal when TrueNAS fails to start it.
  virtual Status ensureServiceRunning(const std::string& name) = 0;
  // Reloads the service configuration (service.reload, or service.control RELOAD on 25.10).
  virtual Status reloadService(const std::string& name) = 0;
};

using TrueNasApiPtr = std::unique_ptr<TrueNasApi>;

}  // namespace tnascsi::controller::truenas

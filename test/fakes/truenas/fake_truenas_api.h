// FakeTrueNasApi: a stateful, in-memory TrueNasApi for controller tests and benchmarks. It keeps
// the TrueNAS rules the controller depends on (docs: /work/shared/reference/truenas-api.md §3-6,
// §10): AlreadyExists/NotFound, dataset parents and name limits, volsize multiple of volblocksize
// and no shrink, refquota 0 or >= 1 GiB, the dataset-delete cascade (NFS shares, extents, their
// mappings and the targets left without LUNs), snapshots with clones blocking deletes (deferred
// destroy), clones, LUN auto-assignment (lowest free), one mapping per extent, extent name <= 64
// and unique, target name charset/length/uniqueness, CHAP 12-16 characters, and the initiator
// group rule that an EMPTY list admits every initiator (admits()).
//
// Fault injection: fail the Nth call from now, fail a named method once (optionally after
// applying it, like a connection that drops after the server acted), make every call Unavailable,
// and add latency per call. Counters record calls per method.
//
// Thread-safety: every method is thread-safe (one mutex; latency is slept outside it).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "controller/truenas/truenas_api.h"

namespace tnascsi::controller::truenas {

class FakeTrueNasApi final : public TrueNasApi {
 public:
  // A pool `pool` of `poolSize` bytes with its root dataset; parents are created with
  // addDataset().
  explicit FakeTrueNasApi(std::string pool = "tank", uint64_t poolSize = 1ULL << 40);

  // ---- Test setup and inspection (not counted as calls) ----
  void addDataset(const std::string& name);  // a plain filesystem, e.g. "tank/k8s"
  void setVersion(VersionInfo info);
  void setLatency(std::chrono::milliseconds latency) { latencyMs_ = latency.count(); }
  // At most `n` calls "run on the server" at once (TrueNAS runs 10 per connection); the rest wait.
  // 0 = unlimited.
  void setConcurrencyLimit(int n);
  void setUnreachable(bool unreachable) { unreachable_ = unreachable; }
  // Fails the `n`th call from now (1 = the next call) with `status`, before applying it.
  void failNthCall(int n, Status status);
  // Fails the next call of `method` (e.g. "createIscsiTarget") with `status`; with `afterApply`
  // the call takes effect first (the reply is lost).
  void failMethodOnce(const std::string& method, Status status, bool afterApply = false);

  int64_t totalCalls() const;
  int64_t calls(const std::string& method) const;
  int64_t mutatingCalls() const;
  void resetCounters();
  std::vector<std::string> callLog() const;  // method names in order since resetCounters()

  size_t datasetCount() const;  // excluding the pool root and datasets added by addDataset()
  size_t snapshotCount() const;
  size_t initiatorGroupCount() const;
  size_t authCount() const;
  size_t targetCount() const;
  size_t extentCount() const;
  size_t mappingCount() const;
  size_t nfsShareCount() const;
  // Whether `iqn` may log in to target `targetName` (its groups' initiator lists; empty = all).
  bool admits(const std::string& targetName, const std::string& iqn) const;
  // Direct access for assertions.
  std::vector<IscsiInitiatorGroup> initiatorGroups() const;
  std::vector<IscsiTarget> targets() const;
  // A dataset root directory's mode/owner as setPathPermissions/setPathOwner left it (0755 root
  // until then); NotFound when no filesystem dataset is mounted at `path`.
  struct PathPerm {
    uint32_t mode = 0755;
    int64_t uid = 0;
    int64_t gid = 0;
  };
  StatusOr<PathPerm> pathPermissions(const std::string& path) const;
  // Simulate out-of-band changes (an admin deleting objects).
  void removeTargetOutOfBand(const std::string& name);

  // ---- TrueNasApi ----
  StatusOr<VersionInfo> versionInfo() override;
  Status ping() override;
  StatusOr<int64_t> count(Collection collection, const QueryFilter& filter) override;
  StatusOr<std::vector<Pool>> queryPools(const QueryFilter& filter,
                                         const QueryOptions& options) override;
  StatusOr<Pool> getPool(const std::string& name) override;
  StatusOr<Dataset> createDataset(const DatasetCreateSpec& spec) override;
  StatusOr<Dataset> updateDataset(const std::string& name, const DatasetUpdateSpec& spec) override;
  Status deleteDataset(const std::string& name, const DatasetDeleteOptions& options) override;
  StatusOr<Dataset> getDataset(const std::string& name) override;
  StatusOr<std::vector<Dataset>> queryDatasets(const QueryFilter& filter,
                                               const QueryOptions& options) override;
  StatusOr<std::vector<Dataset>> listChildDatasets(const std::string& parent,
                                                   const QueryOptions& options) override;
  StatusOr<std::vector<Dataset>> findDatasetsByUserProperty(const std::string& parent,
                                                            const std::string& key,
                                                            const std::string& value) override;
  Status promoteDataset(const std::string& name) override;
  StatusOr<Snapshot> createSnapshot(const SnapshotCreateSpec& spec) override;
  Status deleteSnapshot(const std::string& id, const SnapshotDeleteOptions& options) override;
  StatusOr<Snapshot> getSnapshot(const std::string& id) override;
  StatusOr<std::vector<Snapshot>> querySnapshots(const QueryFilter& filter,
                                                 const QueryOptions& options) override;
  Status cloneSnapshot(const SnapshotCloneSpec& spec) override;
  Status replicateLocal(const LocalReplicationSpec& spec) override;
  Status rollbackSnapshot(const std::string& id, const SnapshotRollbackOptions& options) override;
  StatusOr<IscsiGlobal> getIscsiGlobal() override;
  StatusOr<std::vector<IscsiPortal>> listIscsiPortals() override;
  StatusOr<IscsiPortal> createIscsiPortal(const IscsiPortalCreateSpec& spec) override;
  StatusOr<IscsiInitiatorGroup> createIscsiInitiatorGroup(
      const IscsiInitiatorGroupSpec& spec) override;
  StatusOr<IscsiInitiatorGroup> updateIscsiInitiatorGroup(
      int64_t id, const IscsiInitiatorGroupSpec& spec) override;
  Status deleteIscsiInitiatorGroup(int64_t id) override;
  StatusOr<IscsiInitiatorGroup> getIscsiInitiatorGroup(int64_t id) override;
  StatusOr<std::vector<IscsiInitiatorGroup>> queryIscsiInitiatorGroups(
      const QueryFilter& filter, const QueryOptions& options) override;
  StatusOr<IscsiAuth> createIscsiAuth(const IscsiAuthSpec& spec) override;
  StatusOr<IscsiAuth> updateIscsiAuth(int64_t id, const IscsiAuthSpec& spec) override;
  Status deleteIscsiAuth(int64_t id) override;
  StatusOr<std::vector<IscsiAuth>> queryIscsiAuthByTag(int64_t tag) override;
  StatusOr<IscsiTarget> createIscsiTarget(const IscsiTargetSpec& spec) override;
  StatusOr<IscsiTarget> updateIscsiTarget(int64_t id, const IscsiTargetUpdateSpec& spec) override;
  Status deleteIscsiTarget(int64_t id, const IscsiTargetDeleteOptions& options) override;
  StatusOr<IscsiTarget> getIscsiTarget(int64_t id) override;
  StatusOr<IscsiTarget> findIscsiTargetByName(const std::string& name) override;
  StatusOr<std::vector<IscsiTarget>> queryIscsiTargets(const QueryFilter& filter,
                                                       const QueryOptions& options) override;
  StatusOr<IscsiExtent> createIscsiExtent(const IscsiExtentCreateSpec& spec) override;
  StatusOr<IscsiExtent> updateIscsiExtent(int64_t id, const IscsiExtentUpdateSpec& spec) override;
  Status deleteIscsiExtent(int64_t id, const IscsiExtentDeleteOptions& options) override;
  StatusOr<IscsiExtent> getIscsiExtent(int64_t id) override;
  StatusOr<IscsiExtent> findIscsiExtentByName(const std::string& name) override;
  StatusOr<IscsiExtent> findIscsiExtentByDisk(const std::string& disk) override;
  StatusOr<std::vector<IscsiExtent>> queryIscsiExtents(const QueryFilter& filter,
                                                       const QueryOptions& options) override;
  StatusOr<IscsiTargetExtent> createIscsiTargetExtent(const IscsiTargetExtentSpec& spec) override;
  Status deleteIscsiTargetExtent(int64_t id, bool force) override;
  StatusOr<std::vector<IscsiTargetExtent>> queryIscsiTargetExtents(
      const QueryFilter& filter, const QueryOptions& options) override;
  StatusOr<NfsShare> createNfsShare(const NfsShareSpec& spec) override;
  StatusOr<NfsShare> updateNfsShare(int64_t id, const NfsShareUpdateSpec& spec) override;
  Status deleteNfsShare(int64_t id) override;
  StatusOr<NfsShare> findNfsShareByPath(const std::string& path) override;
  StatusOr<std::vector<NfsShare>> queryNfsShares(const QueryFilter& filter,
                                                 const QueryOptions& options) override;
  StatusOr<ServiceState> getService(const std::string& name) override;
  Status ensureServiceRunning(const std::string& name) override;
  Status reloadService(const std::string& name) override;
  Status setPathPermissions(const PathPermissionsSpec& spec) override;
  Status setPathOwner(const PathOwnerSpec& spec) override;

 private:
  struct Fault {
    std::string method;  // empty for an Nth-call fault
    int64_t atCall = 0;  // absolute call number for Nth-call faults
    Status status;
    bool afterApply = false;
  };
  // Counts the call, sleeps the latency, and returns a fault to fail with before applying.
  Status enter(const char* method, bool mutating);
  // For mutations: an after-apply fault replaces the (successful) result.
  Status leave(const char* method);

  // Helpers; all require mu_ held.
  bool datasetExists(const std::string& name) const;
  // The filesystem dataset mounted at `path`, or nullptr.
  const Dataset* datasetAtPathLocked(const std::string& path) const;
  bool hasClones(const std::string& snapshotId) const;
  void eraseDatasetLocked(const std::string& name);
  void eraseExtentLocked(int64_t id);
  void eraseTargetLocked(int64_t id);
  void collectDeferredSnapshotsLocked();

  mutable std::mutex mu_;
  std::string pool_;
  uint64_t poolSize_;
  VersionInfo version_;
  std::map<std::string, Dataset> datasets_;
  std::set<std::string> fixtures_;  // datasets made by the constructor/addDataset()
  std::map<std::string, Snapshot> snapshots_;
  std::set<std::string> deferredSnapshots_;
  std::map<int64_t, IscsiPortal> portals_;
  std::map<int64_t, IscsiInitiatorGroup> groups_;
  std::map<int64_t, IscsiAuth> auths_;
  std::map<int64_t, IscsiTarget> targets_;
  std::map<int64_t, IscsiExtent> extents_;
  std::map<int64_t, IscsiTargetExtent> mappings_;
  std::map<int64_t, NfsShare> shares_;
  std::map<std::string, PathPerm> perms_;  // by dataset name; absent = 0755 root
  std::map<std::string, ServiceState> services_;
  int64_t nextId_ = 1;
  uint64_t nextTxg_ = 1;

  std::vector<Fault> faults_;
  int64_t callNumber_ = 0;
  int64_t mutating_ = 0;
  std::map<std::string, int64_t> perMethod_;
  std::vector<std::string> log_;
  std::atomic<int64_t> latencyMs_{0};
  std::mutex slotMu_;
  std::condition_variable slotCv_;
  int slotLimit_ = 0;   // guarded by slotMu_
  int slotsInUse_ = 0;  // guarded by slotMu_
  std::atomic<bool> unreachable_{false};
};

}  // namespace tnascsi::controller::truenas

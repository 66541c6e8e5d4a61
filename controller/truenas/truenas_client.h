// TrueNasClient: the real TrueNasApi. Builds each request for the connected release (method names,
// argument shapes, capability gaps such as CORE's missing user properties), sends it through an
// RpcTransport, waits for jobs, and parses results into domain structs.
//
// Retries: only reads (query/get/count/config) are retried, once, when the transport reports
// Unavailable (the transport reconnects in between). Mutations are never retried: an Unavailable
// mutation may or may not have happened and the caller must re-read.
// Thread-safe: all methods may be called concurrently (the version cache is mutex-guarded and
// refreshed whenever the transport opens a new connection).
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "common/base/clock.h"
#include "controller/truenas/rpc_transport.h"
#include "controller/truenas/truenas_api.h"

namespace tnascsi::controller::truenas {

struct ClientOptions {
  std::chrono::milliseconds callTimeout{60000};
  // Deadline for jobs (service.control on 25.10).
  std::chrono::milliseconds jobTimeout{180000};
  // Job polling backs off: the first poll waits jobPollFirst, each next one twice as long, up to
  // jobPollInterval, so a job that ends (or fails) at once costs tens of ms, not half a second.
  std::chrono::milliseconds jobPollFirst{50};
  std::chrono::milliseconds jobPollInterval{500};
};

class TrueNasClient final : public TrueNasApi {
 public:
  TrueNasClient(RpcTransport& transport, common::Clock& clock, ClientOptions options = {});

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

  Status setPathPermissions(const PathPermissionsSpec& spec) override;
  Status setPathOwner(const PathOwnerSpec& spec) override;

  StatusOr<ServiceState> getService(const std::string& name) override;
  Status ensureServiceRunning(const std::string& name) override;
  Status reloadService(const std::string& name) override;

 private:
  RpcTransport::Deadline deadline() const;
  StatusOr<Capabilities> caps();
  // A read: retried once after Unavailable.
  StatusOr<json::Var> read(const std::string& method, const json::ArrayPtr& params);
  // A mutation: never retried.
  StatusOr<json::Var> write(const std::string& method, const json::ArrayPtr& params);
  // If `result` is a job id, waits for the job and returns its result; otherwise returns it.
  StatusOr<json::Var> waitJob(const json::Var& result);
  // One row by [[field, "=", value]]; NotFound (naming `what`) when none.
  StatusOr<json::Var> getOne(const std::string& method, const std::string& field,
                             const FilterValue& value, const std::string& what,
                             const json::ObjectPtr& extra = nullptr);
  StatusOr<json::Var> query(const std::string& method, const QueryFilter& filter,
                            const QueryOptions& options, const json::ObjectPtr& extra = nullptr,
                            bool nfsShares = false);

  RpcTransport& transport_;
  common::Clock& clock_;
  const ClientOptions options_;

  std::mutex mu_;
  std::optional<VersionInfo> version_;
  uint64_t versionGeneration_ = 0;
};

}  // namespace tnascsi::controller::truenas

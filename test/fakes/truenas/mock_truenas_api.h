// GMock double of TrueNasApi for controller unit tests. Header-only: include it and link
// GTest::gmock (tnas_add_test does) and tnas_truenas. Use StrictMock<MockTrueNasApi> by default.
#pragma once

#include <gmock/gmock.h>

#include <cstdint>
#include <string>
#include <vector>

#include "controller/truenas/truenas_api.h"

namespace tnascsi::controller::truenas {

class MockTrueNasApi : public TrueNasApi {
 public:
  MOCK_METHOD(StatusOr<VersionInfo>, versionInfo, (), (override));
  MOCK_METHOD(Status, ping, (), (override));
  MOCK_METHOD(StatusOr<int64_t>, count, (Collection collection, const QueryFilter& filter),
              (override));

  MOCK_METHOD(StatusOr<std::vector<Pool>>, queryPools,
              (const QueryFilter& filter, const QueryOptions& options), (override));
  MOCK_METHOD(StatusOr<Pool>, getPool, (const std::string& name), (override));

  MOCK_METHOD(StatusOr<Dataset>, createDataset, (const DatasetCreateSpec& spec), (override));
  MOCK_METHOD(StatusOr<Dataset>, updateDataset,
              (const std::string& name, const DatasetUpdateSpec& spec), (override));
  MOCK_METHOD(Status, deleteDataset, (const std::string& name, const DatasetDeleteOptions& options),
              (override));
  MOCK_METHOD(StatusOr<Dataset>, getDataset, (const std::string& name), (override));
  MOCK_METHOD(StatusOr<std::vector<Dataset>>, queryDatasets,
              (const QueryFilter& filter, const QueryOptions& options), (override));
  MOCK_METHOD(StatusOr<std::vector<Dataset>>, listChildDatasets,
              (const std::string& parent, const QueryOptions& options), (override));
  MOCK_METHOD(StatusOr<std::vector<Dataset>>, findDatasetsByUserProperty,
              (const std::string& parent, const std::string& key, const std::string& value),
              (override));
  MOCK_METHOD(Status, promoteDataset, (const std::string& name), (override));

  MOCK_METHOD(StatusOr<Snapshot>, createSnapshot, (const SnapshotCreateSpec& spec), (override));
  MOCK_METHOD(Status, deleteSnapshot, (const std::string& id, const SnapshotDeleteOptions& options),
              (override));
  MOCK_METHOD(StatusOr<Snapshot>, getSnapshot, (const std::string& id), (override));
  MOCK_METHOD(StatusOr<std::vector<Snapshot>>, querySnapshots,
              (const QueryFilter& filter, const QueryOptions& options), (override));
  MOCK_METHOD(Status, cloneSnapshot, (const SnapshotCloneSpec& spec), (override));
  MOCK_METHOD(Status, replicateLocal, (const LocalReplicationSpec& spec), (override));
  MOCK_METHOD(Status, setPathPermissions, (const PathPermissionsSpec& spec), (override));
  MOCK_METHOD(Status, setPathOwner, (const PathOwnerSpec& spec), (override));
  MOCK_METHOD(Status, rollbackSnapshot,
              (const std::string& id, const SnapshotRollbackOptions& options), (override));

  MOCK_METHOD(StatusOr<IscsiGlobal>, getIscsiGlobal, (), (override));
  MOCK_METHOD(StatusOr<std::vector<IscsiPortal>>, listIscsiPortals, (), (override));
  MOCK_METHOD(StatusOr<IscsiPortal>, createIscsiPortal, (const IscsiPortalCreateSpec& spec),
              (override));

  MOCK_METHOD(StatusOr<IscsiInitiatorGroup>, createIscsiInitiatorGroup,
              (const IscsiInitiatorGroupSpec& spec), (override));
  MOCK_METHOD(StatusOr<IscsiInitiatorGroup>, updateIscsiInitiatorGroup,
              (int64_t id, const IscsiInitiatorGroupSpec& spec), (override));
  MOCK_METHOD(Status, deleteIscsiInitiatorGroup, (int64_t id), (override));
  MOCK_METHOD(StatusOr<IscsiInitiatorGroup>, getIscsiInitiatorGroup, (int64_t id), (override));
  MOCK_METHOD(StatusOr<std::vector<IscsiInitiatorGroup>>, queryIscsiInitiatorGroups,
              (const QueryFilter& filter, const QueryOptions& options), (override));

  MOCK_METHOD(StatusOr<IscsiAuth>, createIscsiAuth, (const IscsiAuthSpec& spec), (override));
  MOCK_METHOD(StatusOr<IscsiAuth>, updateIscsiAuth, (int64_t id, const IscsiAuthSpec& spec),
              (override));
  MOCK_METHOD(Status, deleteIscsiAuth, (int64_t id), (override));
  MOCK_METHOD(StatusOr<std::vector<IscsiAuth>>, queryIscsiAuthByTag, (int64_t tag), (override));

  MOCK_METHOD(StatusOr<IscsiTarget>, createIscsiTarget, (const IscsiTargetSpec& spec), (override));
  MOCK_METHOD(StatusOr<IscsiTarget>, updateIscsiTarget,
              (int64_t id, const IscsiTargetUpdateSpec& spec), (override));
  MOCK_METHOD(Status, deleteIscsiTarget, (int64_t id, const IscsiTargetDeleteOptions& options),
              (override));
  MOCK_METHOD(StatusOr<IscsiTarget>, getIscsiTarget, (int64_t id), (override));
  MOCK_METHOD(StatusOr<IscsiTarget>, findIscsiTargetByName, (const std::string& name), (override));
  MOCK_METHOD(StatusOr<std::vector<IscsiTarget>>, queryIscsiTargets,
              (const QueryFilter& filter, const QueryOptions& options), (override));

  MOCK_METHOD(StatusOr<IscsiExtent>, createIscsiExtent, (const IscsiExtentCreateSpec& spec),
              (override));
  MOCK_METHOD(StatusOr<IscsiExtent>, updateIscsiExtent,
              (int64_t id, const IscsiExtentUpdateSpec& spec), (override));
  MOCK_METHOD(Status, deleteIscsiExtent, (int64_t id, const IscsiExtentDeleteOptions& options),
              (override));
  MOCK_METHOD(StatusOr<IscsiExtent>, getIscsiExtent, (int64_t id), (override));
  MOCK_METHOD(StatusOr<IscsiExtent>, findIscsiExtentByName, (const std::string& name), (override));
  MOCK_METHOD(StatusOr<IscsiExtent>, findIscsiExtentByDisk, (const std::string& disk), (override));
  MOCK_METHOD(StatusOr<std::vector<IscsiExtent>>, queryIscsiExtents,
              (const QueryFilter& filter, const QueryOptions& options), (override));

  MOCK_METHOD(StatusOr<IscsiTargetExtent>, createIscsiTargetExtent,
              (const IscsiTargetExtentSpec& spec), (override));
  MOCK_METHOD(Status, deleteIscsiTargetExtent, (int64_t id, bool force), (override));
  MOCK_METHOD(StatusOr<std::vector<IscsiTargetExtent>>, queryIscsiTargetExtents,
              (const QueryFilter& filter, const QueryOptions& options), (override));

  MOCK_METHOD(StatusOr<NfsShare>, createNfsShare, (const NfsShareSpec& spec), (override));
  MOCK_METHOD(StatusOr<NfsShare>, updateNfsShare, (int64_t id, const NfsShareUpdateSpec& spec),
              (override));
  MOCK_METHOD(Status, deleteNfsShare, (int64_t id), (override));
  MOCK_METHOD(StatusOr<NfsShare>, findNfsShareByPath, (const std::string& path), (override));
  MOCK_METHOD(StatusOr<std::vector<NfsShare>>, queryNfsShares,
              (const QueryFilter& filter, const QueryOptions& options), (override));

  MOCK_METHOD(StatusOr<ServiceState>, getService, (const std::string& name), (override));
  MOCK_METHOD(Status, ensureServiceRunning, (const std::string& name), (override));
  MOCK_METHOD(Status, reloadService, (const std::string& name), (override));
};

}  // namespace tnascsi::controller::truenas

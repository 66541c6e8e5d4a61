// CSI snapshots on ZFS (see snapshot_manager.h).
#include "controller/provision/snapshot_manager.h"

#include <algorithm>
#include <chrono>

#include "common/log/log.h"
#include "controller/provision/metadata.h"
#include "controller/provision/naming.h"

namespace tnascsi::controller::provision {
namespace {

SnapshotInfo describe(const SnapshotId& id, const truenas::Snapshot& snap, uint64_t size) {
  SnapshotInfo out;
  out.id = id.str();
  out.sourceVolumeId = id.volume.str();
  out.size = size;
  out.creation = snap.creation.value_or(std::chrono::system_clock::time_point{});
  return out;
}

// Volume size restored from a snapshot: the source's capacity when the snapshot was taken
// (recorded on the snapshot), else the space it references.
uint64_t restoreSize(const truenas::Snapshot& snap) {
  std::string recorded = props::get(snap.userProperties, props::kCapacity);
  if (!recorded.empty()) return std::strtoull(recorded.c_str(), nullptr, 10);
  return snap.referenced;
}

}  // namespace

StatusOr<SnapshotInfo> SnapshotManager::createSnapshot(const CreateSnapshotRequest& req) {
  TNAS_ASSIGN_OR_RETURN(auto token, volumes_.inflight().tryAcquire("snapshot/" + req.name));
  TNAS_ASSIGN_OR_RETURN(VolumeManager::Located v, volumes_.locate(req.sourceVolumeId));
  truenas::TrueNasApi& api = v.backend->api();
  std::string leaf = snapshotLeafName(req.name, v.id.str());
  // The same CSI name anywhere under this backend's parent?
  auto filter = truenas::QueryFilter::where("snapshot_name", truenas::FilterOp::kEq, leaf);
  filter.and_("dataset", truenas::FilterOp::kStartsWith, v.backend->config().parentDataset + "/");
  TNAS_ASSIGN_OR_RETURN(auto existing, api.querySnapshots(filter, {}));
  for (const auto& snap : existing) {
    if (!props::ownedBy(snap.userProperties, volumes_.driverName()) ||
        props::get(snap.userProperties, props::kCsiName) != req.name) {
      continue;
    }
    if (snap.dataset != v.dataset.name) {
      return absl::AlreadyExistsError("snapshot '" + shownName(req.name) +
                                      "' exists for another volume");
    }
    return describe(SnapshotId{v.id, leaf}, snap, restoreSize(snap));
  }
  uint64_t capacity = volumes_.provisionerFor(v.id.protocol).capacityOf(v.dataset);
  truenas::SnapshotCreateSpec spec;
  spec.dataset = v.dataset.name;
  spec.name = leaf;
  spec.userProperties = {{props::kOwner, volumes_.driverName()},
                         {props::kCsiName, req.name},
                         {props::kProtocol, protocolName(v.id.protocol)},
                         {props::kCapacity, std::to_string(capacity)}};
  auto created = api.createSnapshot(spec);
  if (created.status().code() == StatusCode::kAlreadyExists) {
    created = api.getSnapshot(v.dataset.name + "@" + leaf);
    if (created.ok() && !props::ownedBy(created->userProperties, volumes_.driverName())) {
      return absl::AlreadyExistsError("ZFS snapshot " + v.dataset.name + "@" + leaf +
                                      " exists and is not managed by this driver");
    }
  }
  if (!created.ok()) return common::annotate(created.status(), "creating snapshot " + leaf);
  TNAS_LOG(Info).kv("snapshot", SnapshotId{v.id, leaf}.str()) << "snapshot created";
  return describe(SnapshotId{v.id, leaf}, *created, capacity);
}

Status SnapshotManager::deleteSnapshot(const std::string& snapshotId) {
  auto id = parseSnapshotId(snapshotId);
  Backend* backend = id ? volumes_.backends().lookup(id->volume.backend) : nullptr;
  if (!id || backend == nullptr ||
      id->volume.dataset.rfind(backend->config().parentDataset + "/", 0) != 0) {
    return absl::OkStatus();
  }
  TNAS_ASSIGN_OR_RETURN(auto token, volumes_.inflight().tryAcquire(id->str()));
  truenas::TrueNasApi& api = backend->api();
  auto snap = api.getSnapshot(id->zfsName());
  if (snap.status().code() == StatusCode::kNotFound) return absl::OkStatus();
  if (!snap.ok()) return snap.status();
  if (!props::ownedBy(snap->userProperties, volumes_.driverName())) {
    return absl::FailedPreconditionError("ZFS snapshot " + id->zfsName() +
                                         " is not managed by this driver; refusing to delete it");
  }
  if (snap->deferDestroy) return absl::OkStatus();  // deleted already; ZFS drops it with its clones
  Status s = api.deleteSnapshot(id->zfsName(), {});
  if (s.code() == StatusCode::kFailedPrecondition) {
    truenas::SnapshotDeleteOptions defer;
    defer.defer = true;
    s = api.deleteSnapshot(id->zfsName(), defer);
  }
  if (!s.ok() && s.code() != StatusCode::kNotFound) {
    return common::annotate(s, "deleting snapshot " + id->zfsName());
  }
  return volumes_.collectDeferred(*backend, id->volume.dataset);
}

StatusOr<ListSnapshotsResult> SnapshotManager::listSnapshots(const ListSnapshotsRequest& req) {
  const std::string& token = req.page.startingToken;
  if (!token.empty() && !parseSnapshotId(token)) {
    return absl::AbortedError("starting_token '" + shownName(token) + "' is not valid");
  }
  ListSnapshotsResult result;
  struct Entry {
    SnapshotId id;
    truenas::Snapshot snap;
  };
  std::vector<Entry> entries;
  auto collect = [&](Backend& backend, const truenas::QueryFilter& filter) -> Status {
    TNAS_ASSIGN_OR_RETURN(auto snaps, backend.api().querySnapshots(filter, {}));
    for (auto& snap : snaps) {
      // A deferred-destroyed snapshot was deleted for CSI; ZFS keeps it only for its clones.
      if (snap.deferDestroy || !props::ownedBy(snap.userProperties, volumes_.driverName()) ||
          !props::get(snap.userProperties, props::kCloneFor).empty()) {
        continue;
      }
      auto protocol = parseProtocolName(props::get(snap.userProperties, props::kProtocol));
      if (!protocol) continue;
      entries.push_back({SnapshotId{VolumeId{backend.name(), *protocol, snap.dataset}, snap.name},
                         std::move(snap)});
    }
    return absl::OkStatus();
  };
  if (!req.snapshotId.empty()) {
    auto id = parseSnapshotId(req.snapshotId);
    Backend* backend = id ? volumes_.backends().lookup(id->volume.backend) : nullptr;
    if (backend == nullptr) return result;
    TNAS_RETURN_IF_ERROR(collect(
        *backend, truenas::QueryFilter::where("id", truenas::FilterOp::kEq, id->zfsName())));
  } else if (!req.sourceVolumeId.empty()) {
    auto id = parseVolumeId(req.sourceVolumeId);
    Backend* backend = id ? volumes_.backends().lookup(id->backend) : nullptr;
    if (backend == nullptr) return result;
    TNAS_RETURN_IF_ERROR(collect(
        *backend, truenas::QueryFilter::where("dataset", truenas::FilterOp::kEq, id->dataset)));
  } else {
    for (Backend* backend : volumes_.backends().all()) {
      TNAS_RETURN_IF_ERROR(
          collect(*backend, truenas::QueryFilter::where("dataset", truenas::FilterOp::kStartsWith,
                                                        backend->config().parentDataset + "/")));
    }
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.id.str() < b.id.str(); });
  auto it = std::lower_bound(entries.begin(), entries.end(), token,
                             [](const Entry& e, const std::string& t) { return e.id.str() < t; });
  size_t max = req.page.maxEntries > 0 ? static_cast<size_t>(req.page.maxEntries) : entries.size();
  for (size_t n = 0; it != entries.end() && n < max; ++it, ++n) {
    result.entries.push_back(describe(it->id, it->snap, restoreSize(it->snap)));
  }
  if (it != entries.end()) result.nextToken = it->id.str();
  return result;
}

}  // namespace tnascsi::controller::provision

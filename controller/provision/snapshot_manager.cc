// CSI snapshots on ZFS (see snapshot_manager.h).
#include "controller/provision/snapshot_manager.h"

#include <algorithm>
#include <chrono>

#include "common/log/log.h"
#include "controller/provision/metadata.h"
#include "controller/provision/naming.h"

namespace tnascsi::controller::provision {
namespace {

void fillSnapshot(const SnapshotId& id, const truenas::Snapshot& snap, uint64_t size,
                  csi::v1::Snapshot* out) {
  out->set_snapshot_id(id.str());
  out->set_source_volume_id(id.volume.str());
  out->set_size_bytes(static_cast<int64_t>(size));
  out->set_ready_to_use(true);
  auto created = snap.creation.value_or(std::chrono::system_clock::time_point{});
  auto nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(created.time_since_epoch()).count();
  out->mutable_creation_time()->set_seconds(nanos / 1000000000);
  out->mutable_creation_time()->set_nanos(static_cast<int32_t>(nanos % 1000000000));
}

// Volume size restored from a snapshot: the source's capacity when the snapshot was taken
// (recorded on the snapshot), else the space it references.
uint64_t restoreSize(const truenas::Snapshot& snap) {
  std::string recorded = props::get(snap.userProperties, props::kCapacity);
  if (!recorded.empty()) return std::strtoull(recorded.c_str(), nullptr, 10);
  return snap.referenced;
}

}  // namespace

Status SnapshotManager::createSnapshot(const csi::v1::CreateSnapshotRequest& req,
                                       csi::v1::CreateSnapshotResponse* resp) {
  if (req.name().empty()) return absl::InvalidArgumentError("name is required");
  if (req.source_volume_id().empty())
    return absl::InvalidArgumentError("source_volume_id is required");
  TNAS_ASSIGN_OR_RETURN(auto token, volumes_.inflight().tryAcquire("snapshot/" + req.name()));
  TNAS_ASSIGN_OR_RETURN(VolumeManager::Located v, volumes_.locate(req.source_volume_id()));
  truenas::TrueNasApi& api = v.backend->api();
  std::string leaf = snapshotLeafName(req.name(), v.id.str());
  // The same CSI name anywhere under this backend's parent?
  auto filter = truenas::QueryFilter::where("snapshot_name", truenas::FilterOp::kEq, leaf);
  filter.and_("dataset", truenas::FilterOp::kStartsWith, v.backend->config().parentDataset + "/");
  TNAS_ASSIGN_OR_RETURN(auto existing, api.querySnapshots(filter, {}));
  for (const auto& snap : existing) {
    if (!props::ownedBy(snap.userProperties, volumes_.driverName()) ||
        props::get(snap.userProperties, props::kCsiName) != req.name()) {
      continue;
    }
    if (snap.dataset != v.dataset.name) {
      return absl::AlreadyExistsError("snapshot '" + shownName(req.name()) +
                                      "' exists for another volume");
    }
    fillSnapshot(SnapshotId{v.id, leaf}, snap, restoreSize(snap), resp->mutable_snapshot());
    return absl::OkStatus();
  }
  uint64_t capacity = volumes_.provisionerFor(v.id.protocol).capacityOf(v.dataset);
  truenas::SnapshotCreateSpec spec;
  spec.dataset = v.dataset.name;
  spec.name = leaf;
  spec.userProperties = {{props::kOwner, volumes_.driverName()},
                         {props::kCsiName, req.name()},
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
  fillSnapshot(SnapshotId{v.id, leaf}, *created, capacity, resp->mutable_snapshot());
  TNAS_LOG(Info).kv("snapshot", SnapshotId{v.id, leaf}.str()) << "snapshot created";
  return absl::OkStatus();
}

Status SnapshotManager::deleteSnapshot(const csi::v1::DeleteSnapshotRequest& req) {
  if (req.snapshot_id().empty()) return absl::InvalidArgumentError("snapshot_id is required");
  auto id = parseSnapshotId(req.snapshot_id());
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

Status SnapshotManager::listSnapshots(const csi::v1::ListSnapshotsRequest& req,
                                      csi::v1::ListSnapshotsResponse* resp) {
  if (req.max_entries() < 0) return absl::InvalidArgumentError("max_entries must not be negative");
  if (!req.starting_token().empty() && !parseSnapshotId(req.starting_token())) {
    return absl::AbortedError("starting_token '" + shownName(req.starting_token()) +
                              "' is not valid");
  }
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
  if (!req.snapshot_id().empty()) {
    auto id = parseSnapshotId(req.snapshot_id());
    Backend* backend = id ? volumes_.backends().lookup(id->volume.backend) : nullptr;
    if (backend == nullptr) return absl::OkStatus();
    TNAS_RETURN_IF_ERROR(collect(
        *backend, truenas::QueryFilter::where("id", truenas::FilterOp::kEq, id->zfsName())));
  } else if (!req.source_volume_id().empty()) {
    auto id = parseVolumeId(req.source_volume_id());
    Backend* backend = id ? volumes_.backends().lookup(id->backend) : nullptr;
    if (backend == nullptr) return absl::OkStatus();
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
  auto it = std::lower_bound(entries.begin(), entries.end(), req.starting_token(),
                             [](const Entry& e, const std::string& t) { return e.id.str() < t; });
  size_t max = req.max_entries() > 0 ? static_cast<size_t>(req.max_entries()) : entries.size();
  for (size_t n = 0; it != entries.end() && n < max; ++it, ++n) {
    fillSnapshot(it->id, it->snap, restoreSize(it->snap), resp->add_entries()->mutable_snapshot());
  }
  if (it != entries.end()) resp->set_next_token(it->id.str());
  return absl::OkStatus();
}

}  // namespace tnascsi::controller::provision

// VolumeManager: DeleteVolume and deferred deletion (see volume_manager.h). A destroy never takes
// anything the driver did not make with it: a child dataset, or a snapshot without our marker
// inside a volume makes DeleteVolume refuse (FAILED_PRECONDITION naming them) instead of falling
// back to a recursive destroy that would remove them.
#include "absl/strings/str_join.h"
#include "common/log/log.h"
#include "controller/provision/metadata.h"
#include "controller/provision/naming.h"
#include "controller/provision/volume_manager.h"

namespace tnascsi::controller::provision {

Status VolumeManager::deleteVolume(const std::string& volumeId) {
  auto id = parseVolumeId(volumeId);
  Backend* backend = id ? backends_.lookup(id->backend) : nullptr;
  if (!id || backend == nullptr || !isDirectChild(backend->config().parentDataset, id->dataset)) {
    TNAS_LOG(Info).kv("volume", shownName(volumeId))
        << "not a volume of this driver: nothing to delete";
    return absl::OkStatus();
  }
  TNAS_ASSIGN_OR_RETURN(auto token, inflight_.tryAcquire(id->str()));
  Provisioner& provisioner = provisionerFor(id->protocol);
  auto dataset = backend->api().getDataset(id->dataset);
  if (dataset.status().code() == StatusCode::kNotFound) {
    return provisioner.cleanupMissing(*backend, id->dataset);
  }
  if (!dataset.ok()) return dataset.status();
  if (!props::ownedBy(dataset->userProperties, driverName_)) {
    return absl::FailedPreconditionError("dataset " + id->dataset + " is not managed by " +
                                         driverName_ + "; refusing to delete it");
  }
  // The id's protocol must be the dataset's (as locate() checks for every other call): an id with
  // the other protocol's prefix names no volume, and deleting through it would skip the real
  // protocol's cleanup.
  bool isVolume = dataset->type == truenas::DatasetType::kVolume;
  if (isVolume != (id->protocol == Protocol::kIscsi)) {
    TNAS_LOG(Info).kv("volume", id->str())
        << "the id's protocol does not match the dataset: nothing to delete";
    return absl::OkStatus();
  }
  if (!props::get(dataset->userProperties, props::kDeleted).empty()) return absl::OkStatus();
  return destroy(*backend, id->protocol, *dataset);
}

StatusOr<bool> VolumeManager::hasDependents(Backend& backend, const std::string& dataset) {
  TNAS_ASSIGN_OR_RETURN(
      auto snapshots,
      backend.api().querySnapshots(
          truenas::QueryFilter::where("dataset", truenas::FilterOp::kEq, dataset), {}));
  for (const auto& snap : snapshots) {
    if (props::ownedBy(snap.userProperties, driverName_) &&
        props::get(snap.userProperties, props::kCloneFor).empty()) {
      return true;  // a CSI snapshot
    }
  }
  TNAS_ASSIGN_OR_RETURN(
      auto clones, backend.api().queryDatasets(
                       // `origin` is a ZFS property dict ({value, rawvalue, ...}) in query results.
                       truenas::QueryFilter::where("origin.value", truenas::FilterOp::kStartsWith,
                                                   dataset + "@"),
                       {}));
  return !clones.empty();
}

StatusOr<std::vector<std::string>> VolumeManager::foreignContents(Backend& backend,
                                                                  const std::string& dataset) {
  std::vector<std::string> out;
  // The driver never makes a dataset inside a volume: every child is someone else's.
  TNAS_ASSIGN_OR_RETURN(
      auto children,
      backend.api().queryDatasets(
          truenas::QueryFilter::where("name", truenas::FilterOp::kStartsWith, dataset + "/"), {}));
  for (const auto& child : children) {
    if (child.name.rfind(dataset + "/", 0) == 0) out.push_back(child.name);
  }
  // Snapshots the driver makes carry its marker (a CSI snapshot, or a clone source with
  // kCloneFor); any other snapshot is an administrator's.
  TNAS_ASSIGN_OR_RETURN(
      auto snapshots,
      backend.api().querySnapshots(
          truenas::QueryFilter::where("dataset", truenas::FilterOp::kEq, dataset), {}));
  for (const auto& snap : snapshots) {
    if (snap.dataset == dataset && !props::ownedBy(snap.userProperties, driverName_)) {
      out.push_back(snap.id);
    }
  }
  return out;
}

Status VolumeManager::destroy(Backend& backend, Protocol protocol,
                              const truenas::Dataset& dataset) {
  truenas::TrueNasApi& api = backend.api();
  Provisioner& provisioner = provisionerFor(protocol);
  Status status = api.deleteDataset(dataset.name, {});
  if (status.code() == StatusCode::kFailedPrecondition) {
    // Snapshots or clones exist. CSI snapshots and clones must survive: defer.
    TNAS_ASSIGN_OR_RETURN(bool dependents, hasDependents(backend, dataset.name));
    if (dependents) {
      truenas::DatasetUpdateSpec mark;
      mark.setUserProperties[props::kDeleted] = "true";
      TNAS_RETURN_IF_ERROR(api.updateDataset(dataset.name, mark).status());
      TNAS_RETURN_IF_ERROR(provisioner.removeExports(backend, dataset));
      TNAS_LOG(Info).kv("dataset", dataset.name)
          << "volume deleted; its data stays until its snapshots and clones are gone";
      return absl::OkStatus();
    }
    TNAS_ASSIGN_OR_RETURN(auto foreign, foreignContents(backend, dataset.name));
    if (!foreign.empty()) {
      return absl::FailedPreconditionError(
          "volume dataset " + dataset.name + " holds " + std::to_string(foreign.size()) +
          " object(s) the driver did not make (" +
          shownName(absl::StrJoin(foreign.begin(),
                                  foreign.begin() + std::min<size_t>(foreign.size(), 5), ", ")) +
          "); remove them by hand, then retry");
    }
    truenas::DatasetDeleteOptions recursive;
    recursive.recursive = true;
    status = api.deleteDataset(dataset.name, recursive);
  }
  if (!status.ok() && status.code() != StatusCode::kNotFound) {
    return common::annotate(status, "deleting dataset " + dataset.name);
  }
  TNAS_RETURN_IF_ERROR(provisioner.cleanupAfterDelete(backend, dataset));
  if (protocol == Protocol::kIscsi) collector_.schedule(backend);
  if (!dataset.origin.empty()) return followOrigin(backend, dataset.origin, 0);
  return absl::OkStatus();
}

Status VolumeManager::followOrigin(Backend& backend, const std::string& origin, int depth) {
  size_t at = origin.find('@');
  if (at == std::string::npos) return absl::OkStatus();
  auto snap = backend.api().getSnapshot(origin);
  if (snap.ok() && props::ownedBy(snap->userProperties, driverName_) &&
      !props::get(snap->userProperties, props::kCloneFor).empty()) {
    Status s = backend.api().deleteSnapshot(origin, {});
    if (!s.ok() && s.code() != StatusCode::kNotFound &&
        s.code() != StatusCode::kFailedPrecondition) {
      return common::annotate(s, "deleting clone source snapshot " + origin);
    }
  } else if (!snap.ok() && snap.status().code() != StatusCode::kNotFound) {
    return snap.status();
  }
  return collectDeferred(backend, origin.substr(0, at), depth + 1);
}

Status VolumeManager::collectDeferred(Backend& backend, const std::string& datasetName, int depth) {
  if (depth > 16) return absl::OkStatus();
  auto dataset = backend.api().getDataset(datasetName);
  if (dataset.status().code() == StatusCode::kNotFound) return absl::OkStatus();
  if (!dataset.ok()) return dataset.status();
  if (!props::ownedBy(dataset->userProperties, driverName_) ||
      props::get(dataset->userProperties, props::kDeleted).empty()) {
    return absl::OkStatus();
  }
  TNAS_ASSIGN_OR_RETURN(bool dependents, hasDependents(backend, datasetName));
  if (dependents) return absl::OkStatus();
  TNAS_ASSIGN_OR_RETURN(auto foreign, foreignContents(backend, datasetName));
  if (!foreign.empty()) {
    TNAS_LOG(Warn).kv("dataset", datasetName).kv("foreign", foreign.front())
        << "deleted volume holds objects the driver did not make; its data stays";
    return absl::OkStatus();
  }
  truenas::DatasetDeleteOptions recursive;
  recursive.recursive = true;
  Status s = backend.api().deleteDataset(datasetName, recursive);
  if (!s.ok() && s.code() != StatusCode::kNotFound) return s;
  Protocol protocol =
      dataset->type == truenas::DatasetType::kVolume ? Protocol::kIscsi : Protocol::kNfs;
  TNAS_RETURN_IF_ERROR(provisionerFor(protocol).cleanupAfterDelete(backend, *dataset));
  if (protocol == Protocol::kIscsi) collector_.schedule(backend);
  TNAS_LOG(Info).kv("dataset", datasetName) << "deferred volume destroyed";
  if (!dataset->origin.empty()) return followOrigin(backend, dataset->origin, depth);
  return absl::OkStatus();
}

}  // namespace tnascsi::controller::provision

// The dataset step shared by the iSCSI and NFS provisioners (see provisioner.h).
#include <string>
#include <utility>

#include "common/log/log.h"
#include "controller/provision/metadata.h"
#include "controller/provision/provisioner.h"

namespace tnascsi::controller::provision {
namespace {

// "pool/ds@snap" -> {"pool/ds", "snap"}.
std::pair<std::string, std::string> splitSnapshot(const std::string& id) {
  const size_t at = id.find('@');
  if (at == std::string::npos) return {id, ""};
  return {id.substr(0, at), id.substr(at + 1)};
}

// Turns a fresh copy (no properties of its source) into our volume: metadata and sizes from
// `properties` (user properties, refquota, refreservation), then drops the received snapshot so
// the copy has no snapshot the driver did not make.
Status finishCopy(truenas::TrueNasApi& api, const std::string& name, const std::string& snapName,
                  const std::map<std::string, std::string>& properties) {
  truenas::DatasetUpdateSpec update;
  for (const auto& [k, v] : properties) {
    if (k.find(':') != std::string::npos) {
      update.setUserProperties[k] = v;
    } else if (k == "refquota") {
      update.refquota = std::stoull(v);
    } else if (k == "refreservation") {
      update.refreservation = std::stoull(v);
    } else {
      return absl::InternalError("no update for property " + k + " of a copied dataset");
    }
  }
  TNAS_RETURN_IF_ERROR(common::annotate(api.updateDataset(name, update).status(),
                                        "recording metadata on copy " + name));
  Status dropped = api.deleteSnapshot(name + "@" + snapName, {});
  if (!dropped.ok() && dropped.code() != StatusCode::kNotFound) {
    return common::annotate(dropped, "removing the received snapshot from copy " + name);
  }
  return absl::OkStatus();
}

// A dataset at our deterministic name without any ownership marker that holds the received
// snapshot of our deterministic name is our own copy whose finishing was interrupted (controller
// restart, or a job that outlived the client's timeout).
bool isUnfinishedCopy(truenas::TrueNasApi& api, const truenas::Dataset& dataset,
                      const std::string& snapName) {
  if (!props::get(dataset.userProperties, props::kOwner).empty() || !dataset.origin.empty()) {
    return false;
  }
  return api.getSnapshot(dataset.name + "@" + snapName).ok();
}

}  // namespace

Status checkAdoptable(const truenas::Dataset& dataset, const CreatePlan& plan) {
  const auto& p = dataset.userProperties;
  if (!props::ownedBy(p, plan.driverName)) {
    return absl::AlreadyExistsError("dataset " + dataset.name +
                                    " already exists and is not managed by " + plan.driverName +
                                    "; it is left untouched (rename or remove it, or use another "
                                    "parent dataset)");
  }
  if (props::get(p, props::kCsiName) != plan.csiName) {
    return absl::AlreadyExistsError("dataset " + dataset.name + " belongs to volume '" +
                                    props::get(p, props::kCsiName) + "', not '" + plan.csiName +
                                    "'");
  }
  if (!props::get(p, props::kDeleted).empty()) {
    return absl::AlreadyExistsError("volume '" + plan.csiName +
                                    "' was deleted and is waiting for its snapshots or clones to "
                                    "go; choose another name");
  }
  bool isVolume = dataset.type == truenas::DatasetType::kVolume;
  if ((plan.id.protocol == Protocol::kIscsi) != isVolume ||
      props::get(p, props::kProtocol) != protocolName(plan.id.protocol)) {
    return absl::AlreadyExistsError("volume '" + plan.csiName + "' exists with another protocol");
  }
  if (props::get(p, props::kParameters) != props::get(plan.userProperties, props::kParameters)) {
    return absl::AlreadyExistsError("volume '" + plan.csiName +
                                    "' exists with different StorageClass parameters");
  }
  if (props::get(p, props::kContentSource) !=
      props::get(plan.userProperties, props::kContentSource)) {
    return absl::AlreadyExistsError("volume '" + plan.csiName +
                                    "' exists with a different content source");
  }
  return absl::OkStatus();
}

StatusOr<DatasetOutcome> createOrAdoptDataset(
    const CreatePlan& plan, const truenas::DatasetCreateSpec& spec,
    const std::map<std::string, std::string>& cloneProperties) {
  truenas::TrueNasApi& api = plan.backend->api();
  Status status;
  DatasetOutcome out;
  if (plan.cloneSnapshot && plan.detached) {
    auto [source, snapName] = splitSnapshot(*plan.cloneSnapshot);
    status = api.replicateLocal({source, snapName, spec.name});
    if (status.code() == StatusCode::kUnimplemented) {
      return absl::InvalidArgumentError(
          "detached volumes need replication.run_onetime, which backend '" + plan.backend->name() +
          "' does not offer (" + std::string(status.message()) + "); use 'false' (ZFS clone)");
    }
    if (status.ok()) {
      Status finished = finishCopy(api, spec.name, snapName, cloneProperties);
      if (!finished.ok()) {
        Status removed = api.deleteDataset(spec.name, {.recursive = true, .force = false});
        if (!removed.ok() && removed.code() != StatusCode::kNotFound) {
          TNAS_LOG(Warn).kv("dataset", spec.name).kv("error", removed.ToString())
              << "could not remove an unfinished copy; the retry finishes it";
        }
        return finished;
      }
      out.dataset.name = spec.name;
      out.dataset.type = spec.type;
      out.dataset.userProperties = spec.userProperties;
      if (spec.type == truenas::DatasetType::kVolume) out.dataset.volsize = plan.sourceCapacity;
      out.created = true;
      return out;
    }
  } else if (plan.cloneSnapshot) {
    truenas::SnapshotCloneSpec clone;
    clone.snapshot = *plan.cloneSnapshot;
    clone.datasetDst = spec.name;
    clone.datasetProperties = cloneProperties;
    status = api.cloneSnapshot(clone);
    if (status.ok()) {
      // Not returned by TrueNAS; what the clone is by construction.
      out.dataset.name = spec.name;
      out.dataset.type = spec.type;
      out.dataset.userProperties = spec.userProperties;
      if (spec.type == truenas::DatasetType::kVolume) out.dataset.volsize = plan.sourceCapacity;
      out.dataset.origin = *plan.cloneSnapshot;
      out.created = true;
      return out;
    }
  } else {
    auto created = api.createDataset(spec);
    if (created.ok()) {
      out.dataset = std::move(*created);
      out.created = true;
      return out;
    }
    status = created.status();
  }
  if (status.code() != StatusCode::kAlreadyExists) {
    // A dataset at our name decides the outcome whatever else TrueNAS refused (e.g. the 80 %
    // space rule for a different size): adopt it, or ALREADY_EXISTS, never INVALID_ARGUMENT.
    // Retryable failures stay failures: the retry resumes.
    auto existing =
        isPermanent(status) ? api.getDataset(spec.name) : StatusOr<truenas::Dataset>(status);
    if (!existing.ok()) {
      return common::annotate(status, std::string(plan.detached        ? "copying into "
                                                  : plan.cloneSnapshot ? "cloning "
                                                                       : "creating ") +
                                          "dataset " + spec.name);
    }
    out.dataset = std::move(*existing);
  } else {
    TNAS_ASSIGN_OR_RETURN(out.dataset, api.getDataset(spec.name));
  }
  if (plan.cloneSnapshot && plan.detached) {
    const std::string snapName = splitSnapshot(*plan.cloneSnapshot).second;
    if (isUnfinishedCopy(api, out.dataset, snapName)) {
      TNAS_LOG(Info).kv("dataset", spec.name) << "finishing an interrupted copy";
      TNAS_RETURN_IF_ERROR(finishCopy(api, spec.name, snapName, cloneProperties));
      out.dataset.userProperties = spec.userProperties;
      out.created = true;
      return out;
    }
    TNAS_RETURN_IF_ERROR(checkAdoptable(out.dataset, plan));
    // Resuming after the metadata step: the received snapshot (it carries no properties) may
    // still be there. A snapshot with our marker is a CSI snapshot of the copy: never touched.
    auto received = api.getSnapshot(spec.name + "@" + snapName);
    if (received.ok() && props::get(received->userProperties, props::kOwner).empty()) {
      Status dropped = api.deleteSnapshot(received->id, {});
      if (!dropped.ok() && dropped.code() != StatusCode::kNotFound) return dropped;
    }
    out.created = false;
    return out;
  }
  TNAS_RETURN_IF_ERROR(checkAdoptable(out.dataset, plan));
  out.created = false;
  return out;
}

bool isPermanent(const Status& status) {
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kOutOfRange:
    case StatusCode::kAlreadyExists:
      return true;
    default:
      return false;
  }
}

void rollbackDataset(truenas::TrueNasApi& api, const std::string& name) {
  Status removed = api.deleteDataset(name, {});
  if (!removed.ok() && removed.code() != StatusCode::kNotFound) {
    TNAS_LOG(Warn).kv("dataset", name).kv("error", removed.ToString())
        << "could not remove the dataset of a refused create";
    return;
  }
  TNAS_LOG(Info).kv("dataset", name) << "refused create rolled back";
}

}  // namespace tnascsi::controller::provision

// The dataset step shared by the iSCSI and NFS provisioners (see provisioner.h).
#include "controller/provision/metadata.h"
#include "controller/provision/provisioner.h"

namespace tnascsi::controller::provision {

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
  if (plan.cloneSnapshot) {
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
    return common::annotate(status, std::string(plan.cloneSnapshot ? "cloning " : "creating ") +
                                        "dataset " + spec.name);
  }
  TNAS_ASSIGN_OR_RETURN(out.dataset, api.getDataset(spec.name));
  TNAS_RETURN_IF_ERROR(checkAdoptable(out.dataset, plan));
  out.created = false;
  return out;
}

}  // namespace tnascsi::controller::provision

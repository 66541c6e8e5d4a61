// NFS volumes: dataset + share (see nfs_provisioner.h).
#include "controller/provision/nfs_provisioner.h"

#include "controller/provision/metadata.h"

namespace tnascsi::controller::provision {
namespace {

truenas::NfsShareSpec shareSpec(const CreatePlan& plan, const std::string& path) {
  const NfsParameters& p = plan.params.nfs;
  truenas::NfsShareSpec spec;
  spec.path = path;
  spec.comment = std::string(props::kTargetAliasPrefix) + plan.csiName;
  spec.networks = p.networks;
  spec.hosts = p.hosts;
  spec.maprootUser = p.maprootUser;
  spec.maprootGroup = p.maprootGroup;
  spec.mapallUser = p.mapallUser;
  spec.mapallGroup = p.mapallGroup;
  spec.security = {p.security};
  if (p.exportPerNode) {
    // Nobody may mount before the first publish: a share without hosts and networks admits every
    // client, a disabled one none (nfs_publish.cc).
    spec.enabled = false;
    spec.comment = perNodeShareComment(spec.comment);
  }
  return spec;
}

std::map<std::string, std::string> buildContext(Backend& backend, const VolumeParameters& params,
                                                const std::string& path) {
  return {{"protocol", "nfs"},
          {"server", backend.config().nfsServer},
          {"share", path},
          {"nfsVersion", params.nfs.version}};
}

// nfsRootMode/Uid/Gid: the root directory's mode (filesystem.setperm, with the owner in the same
// job) or only its owner (filesystem.chown: 25.x refuses a setperm that sets no mode). Setting the
// same values again changes nothing, so a retried CreateVolume simply applies them again.
Status applyRootPermissions(truenas::TrueNasApi& api, const std::string& path,
                            const NfsRootPermissions& root) {
  Status s;
  if (root.mode) {
    truenas::PathPermissionsSpec spec;
    spec.path = path;
    spec.mode = *root.mode;
    spec.uid = root.uid;
    spec.gid = root.gid;
    spec.stripAcl = root.stripAcl;
    s = api.setPathPermissions(spec);
  } else {
    s = api.setPathOwner({path, root.uid, root.gid});
  }
  if (s.ok()) return s;
  if (s.code() == StatusCode::kInvalidArgument &&
      s.message().find("Non-trivial ACL") != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        "setting the root permissions of " + path + ": " + std::string(s.message()) +
        " (the dataset inherited an ACL from its parent; set StorageClass parameter "
        "'nfsRootStripAcl: \"true\"' to replace it by the mode)");
  }
  return common::annotate(s, "setting the root permissions of " + path);
}

}  // namespace

std::string exportPath(const truenas::Dataset& dataset) {
  if (dataset.mountpoint && !dataset.mountpoint->empty() && *dataset.mountpoint != "none") {
    return *dataset.mountpoint;
  }
  return "/mnt/" + dataset.name;
}

uint64_t NfsProvisioner::capacityOf(const truenas::Dataset& dataset) const {
  return dataset.refquota.value_or(0);
}

StatusOr<VolumeInfo> NfsProvisioner::create(const CreatePlan& plan) {
  Backend& backend = *plan.backend;
  truenas::TrueNasApi& api = backend.api();
  if (backend.config().nfsServer.empty()) {
    return absl::FailedPreconditionError("backend '" + backend.name() +
                                         "' has no NFS server address configured");
  }
  TNAS_RETURN_IF_ERROR(backend.ensureNfsService());
  truenas::DatasetCreateSpec spec;
  spec.name = plan.id.dataset;
  spec.type = truenas::DatasetType::kFilesystem;
  spec.refquota = plan.capacity;
  if (plan.params.nfs.reservation) spec.refreservation = plan.capacity;
  spec.shareType = "NFS";
  spec.userProperties = plan.userProperties;
  if (plan.params.nfs.exportPerNode) spec.userProperties[props::kNfsExportPerNode] = "true";
  std::map<std::string, std::string> cloneProps = spec.userProperties;
  cloneProps["refquota"] = std::to_string(plan.capacity);
  if (plan.params.nfs.reservation) cloneProps["refreservation"] = std::to_string(plan.capacity);
  TNAS_ASSIGN_OR_RETURN(DatasetOutcome outcome, createOrAdoptDataset(plan, spec, cloneProps));
  auto info = finish(plan, outcome);
  if (!info.ok() && outcome.created && isPermanent(info.status())) {
    rollbackDataset(api, outcome.dataset.name);
  }
  return info;
}

StatusOr<VolumeInfo> NfsProvisioner::finish(const CreatePlan& plan, DatasetOutcome& outcome) {
  Backend& backend = *plan.backend;
  truenas::TrueNasApi& api = backend.api();
  truenas::Dataset& dataset = outcome.dataset;
  if (outcome.created && plan.cloneSnapshot) dataset.refquota = plan.capacity;
  uint64_t capacity = dataset.refquota.value_or(plan.capacity);
  bool growClone = plan.cloneSnapshot &&
                   (outcome.created || props::get(dataset.userProperties, props::kCapacity) ==
                                           std::to_string(plan.capacity));
  if (growClone && capacity < plan.capacity) {
    truenas::DatasetUpdateSpec grow;
    grow.refquota = plan.capacity;
    if (plan.params.nfs.reservation) grow.refreservation = plan.capacity;
    TNAS_RETURN_IF_ERROR(api.updateDataset(dataset.name, grow).status());
    capacity = plan.capacity;
  }
  std::string path = exportPath(dataset);
  bool haveShare = false;
  if (!outcome.created) {
    auto found = api.findNfsShareByPath(path);
    if (found.ok()) {
      haveShare = true;
    } else if (found.status().code() != StatusCode::kNotFound) {
      return found.status();
    }
  }
  if (!haveShare) {
    // Before the share exists, so nothing mounts the root before it has its owner and mode; a
    // found share means an earlier attempt got past this step. Volumes with a content source keep
    // the source's root (docs/storageclass-parameters.md).
    if (plan.params.nfs.root.any() && !plan.cloneSnapshot) {
      TNAS_RETURN_IF_ERROR(applyRootPermissions(api, path, plan.params.nfs.root));
    }
    auto share = api.createNfsShare(shareSpec(plan, path));
    if (share.status().code() == StatusCode::kNotFound) {
      // The share does not exist yet: what TrueNAS did not find is something the request names
      // (a maproot/mapall user or group, ENOENT in its validation errors), so the request is
      // invalid (ref:TS-25.04.2.6:src/middlewared/middlewared/plugins/nfs.py:592-596 validates
      // them with the share).
      return absl::InvalidArgumentError("creating the NFS share of " + path + ": " +
                                        std::string(share.status().message()));
    }
    if (!share.ok()) return common::annotate(share.status(), "creating the NFS share of " + path);
  }
  VolumeInfo info;
  info.capacity = capacity;
  info.context = buildContext(backend, plan.params, path);
  return info;
}

StatusOr<std::map<std::string, std::string>> NfsProvisioner::context(
    Backend& backend, const truenas::Dataset& dataset, const VolumeParameters& params) {
  return buildContext(backend, params, exportPath(dataset));
}

Status NfsProvisioner::removeExports(Backend& backend, const truenas::Dataset& dataset) {
  auto share = backend.api().findNfsShareByPath(exportPath(dataset));
  if (share.status().code() == StatusCode::kNotFound) return absl::OkStatus();
  if (!share.ok()) return share.status();
  Status s = backend.api().deleteNfsShare(share->id);
  return s.code() == StatusCode::kNotFound ? absl::OkStatus() : s;
}

Status NfsProvisioner::cleanupAfterDelete(Backend&, const truenas::Dataset&) {
  return absl::OkStatus();  // TrueNAS deletes the share with the dataset
}

Status NfsProvisioner::cleanupMissing(Backend&, const std::string&) {
  return absl::OkStatus();
}

StatusOr<uint64_t> NfsProvisioner::expand(Backend& backend, const truenas::Dataset& dataset,
                                          uint64_t required, uint64_t limit) {
  uint64_t current = dataset.refquota.value_or(0);
  if (current >= required) return current;
  uint64_t size = std::max<uint64_t>(required, 1024ULL * 1024 * 1024);
  if (limit > 0 && size > limit) {
    return absl::OutOfRangeError("capacity " + std::to_string(size) + " exceeds limit_bytes " +
                                 std::to_string(limit));
  }
  truenas::DatasetUpdateSpec update;
  update.refquota = size;
  if (dataset.refreservation && *dataset.refreservation > 0) update.refreservation = size;
  TNAS_RETURN_IF_ERROR(common::annotate(backend.api().updateDataset(dataset.name, update).status(),
                                        "growing the quota of " + dataset.name));
  return size;
}

StatusOr<VolumeHealth> NfsProvisioner::inspect(Backend& backend, const truenas::Dataset& dataset) {
  VolumeHealth health;
  auto share = backend.api().findNfsShareByPath(exportPath(dataset));
  if (share.ok() && exportsPerNode(dataset)) {
    auto nodes = perNodePublishedNodes(*share);
    if (share->locked) {
      health.abnormal = true;
      health.message = "the NFS share is locked";
    } else if (share->enabled && share->hosts.empty() && share->networks.empty()) {
      health.abnormal = true;
      health.message = "the per-node NFS share is enabled without hosts: it admits every client";
    } else if (share->enabled != !nodes.empty()) {
      health.abnormal = true;
      health.message = share->enabled ? "the per-node NFS share is enabled but published nowhere"
                                      : "the NFS share is disabled but the volume is published";
    } else {
      health.message = "volume is healthy";
    }
  } else if (share.ok()) {
    health.abnormal = !share->enabled || share->locked;
    health.message = health.abnormal ? "the NFS share is disabled or locked" : "volume is healthy";
  } else if (share.status().code() == StatusCode::kNotFound) {
    health.abnormal = true;
    health.message = "the NFS share of " + exportPath(dataset) + " is missing";
  } else {
    return share.status();
  }
  return health;
}

}  // namespace tnascsi::controller::provision

// VolumeManager: create and expand (see volume_manager.h; DeleteVolume and deferred deletion are
// in volume_delete.cc, the read-only RPCs and publishing in volume_queries.cc).
#include "controller/provision/volume_manager.h"

#include "common/log/log.h"
#include "controller/provision/access.h"
#include "controller/provision/capacity.h"
#include "controller/provision/metadata.h"
#include "controller/provision/naming.h"

namespace tnascsi::controller::provision {
namespace {

// Whether the volume will hold an XFS filesystem: the fs type external-provisioner sends in the
// capability (it strips csi.storage.k8s.io/fstype from the parameters), or the fsType parameter;
// never for a block volume.
bool formatsXfs(const std::vector<Capability>& caps, const VolumeParameters& params) {
  bool xfs = params.fsType == "xfs";
  for (const auto& cap : caps) {
    if (cap.type == AccessType::kBlock) return false;
    if (cap.type == AccessType::kMount && cap.fsType == "xfs") xfs = true;
  }
  return xfs;
}

}  // namespace

bool isDirectChild(const std::string& parent, const std::string& dataset) {
  return dataset.size() > parent.size() + 1 && dataset.compare(0, parent.size(), parent) == 0 &&
         dataset[parent.size()] == '/' && dataset.find('/', parent.size() + 1) == std::string::npos;
}

bool topologyMatches(const Segments& segments, const Segments& topology) {
  for (const auto& [key, value] : segments) {
    auto it = topology.find(key);
    if (it != topology.end() && it->second != value) return false;
  }
  return true;
}

VolumeManager::VolumeManager(BackendRegistry& backends, std::string driverName,
                             std::chrono::milliseconds sweepDebounce,
                             std::chrono::milliseconds sweepMaxDelay)
    : backends_(backends),
      driverName_(std::move(driverName)),
      collector_(sweepDebounce, sweepMaxDelay) {
  for (Backend* backend : backends_.all()) collector_.schedule(*backend);
}

Status VolumeManager::sweepExports() {
  Status first;
  for (Backend* backend : backends_.all()) {
    auto result = collector_.sweep(*backend);
    if (!result.ok() && first.ok()) first = result.status();
  }
  return first;
}

Provisioner& VolumeManager::provisionerFor(Protocol protocol) {
  if (protocol == Protocol::kIscsi) return iscsi_;
  return nfs_;
}

StatusOr<VolumeManager::Located> VolumeManager::locate(const std::string& volumeId) {
  auto id = parseVolumeId(volumeId);
  if (!id)
    return absl::NotFoundError("volume " + shownName(volumeId) +
                               " does not exist (not an id of this driver)");
  Backend* backend = backends_.lookup(id->backend);
  if (backend == nullptr) {
    return absl::NotFoundError("volume " + shownName(volumeId) + " does not exist (backend '" +
                               id->backend + "' is not configured)");
  }
  if (!isDirectChild(backend->config().parentDataset, id->dataset)) {
    return absl::NotFoundError("volume " + shownName(volumeId) +
                               " does not exist (outside parent dataset " +
                               backend->config().parentDataset + ")");
  }
  auto dataset = backend->api().getDataset(id->dataset);
  if (dataset.status().code() == StatusCode::kNotFound) {
    return absl::NotFoundError("volume " + shownName(volumeId) + " does not exist");
  }
  if (!dataset.ok()) return dataset.status();
  const auto& p = dataset->userProperties;
  bool isVolume = dataset->type == truenas::DatasetType::kVolume;
  if (!props::ownedBy(p, driverName_) || !props::get(p, props::kDeleted).empty() ||
      isVolume != (id->protocol == Protocol::kIscsi)) {
    return absl::NotFoundError("volume " + shownName(volumeId) + " does not exist");
  }
  return Located{backend, *id, std::move(*dataset)};
}

StatusOr<VolumeInfoResult> VolumeManager::createVolume(const CreateVolumeRequest& req) {
  if (req.name.size() > kMaxCsiNameLength) {
    // The name goes into the target alias, extent and share comments ("truenas-csi <name>"),
    // which TrueNAS 25.04+ caps at 1024 characters like every string
    // (ref:TS-25.04.2.6:src/middlewared/middlewared/api/base/model.py:24 str_max_length=1024).
    return absl::InvalidArgumentError("name '" + shownName(req.name) + "' is longer than " +
                                      std::to_string(kMaxCsiNameLength) + " bytes");
  }
  TNAS_ASSIGN_OR_RETURN(VolumeParameters params, parseVolumeParameters(req.parameters));
  Protocol protocol = params.protocol;
  TNAS_RETURN_IF_ERROR(provision::validateCapabilities(protocol, req.capabilities));
  ChapCredentials chap;
  if (protocol == Protocol::kIscsi) {
    TNAS_ASSIGN_OR_RETURN(chap, parseChapSecrets(req.secrets));
  }
  TNAS_ASSIGN_OR_RETURN(Backend * backend, backends_.select(params.backend));
  const auto& segments = backend->config().topology;
  if (!segments.empty() && !req.requisite.empty()) {
    bool ok = false;
    for (const auto& t : req.requisite) ok = ok || topologyMatches(segments, t);
    if (!ok) {
      return absl::ResourceExhaustedError("backend '" + backend->name() +
                                          "' is not accessible from any requisite topology");
    }
  }
  TNAS_ASSIGN_OR_RETURN(auto token, inflight_.tryAcquire("create/" + req.name));
  VolumeInfoResult result;

  CreatePlan plan;
  plan.backend = backend;
  plan.driverName = driverName_;
  plan.csiName = req.name;
  plan.params = params;
  plan.chap = chap;
  TNAS_ASSIGN_OR_RETURN(size_t maxLeaf, backend->maxLeafLength());
  plan.leaf = leafName(req.name, maxLeaf);
  plan.id = VolumeId{backend->name(), protocol, backend->config().parentDataset + "/" + plan.leaf};

  uint64_t granularity = protocol == Protocol::kIscsi ? params.iscsi.volblocksize : 1;
  std::string contentSource;
  bool temporarySnapshot = false;  // a detached copy of a volume goes through a snapshot we drop
  std::string sourceSnapshot;      // the snapshot to make on a source volume
  if (req.source) {
    const std::string& sourceId = req.source->id;
    truenas::Dataset sourceDataset;
    if (req.source->kind == ContentSource::Kind::kSnapshot) {
      auto sid = parseSnapshotId(sourceId);
      if (!sid) return absl::NotFoundError("snapshot " + shownName(sourceId) + " does not exist");
      if (sid->volume.backend != backend->name() || sid->volume.protocol != protocol) {
        return absl::InvalidArgumentError("snapshot " + shownName(sourceId) +
                                          " is on another backend or protocol than the new volume");
      }
      auto snap = backend->api().getSnapshot(sid->zfsName());
      if (snap.status().code() == StatusCode::kNotFound ||
          (snap.ok() && !props::ownedBy(snap->userProperties, driverName_))) {
        return absl::NotFoundError("snapshot " + shownName(sourceId) + " does not exist");
      }
      if (!snap.ok()) return snap.status();
      TNAS_ASSIGN_OR_RETURN(sourceDataset, backend->api().getDataset(sid->volume.dataset));
      plan.cloneSnapshot = sid->zfsName();
      plan.detached = params.detachedFromSnapshots;
      contentSource = "snapshot:" + sid->str();
      result.source = ContentSource{ContentSource::Kind::kSnapshot, sid->str()};
    } else {
      auto located = locate(sourceId);
      if (!located.ok()) return located.status();
      if (located->backend != backend || located->id.protocol != protocol) {
        return absl::InvalidArgumentError("volume " + shownName(sourceId) +
                                          " is on another backend or protocol than the new volume");
      }
      sourceDataset = located->dataset;
      // Snapshotted below, once the request has passed every check.
      sourceSnapshot = cloneSourceSnapshotName(plan.leaf, located->id.str());
      plan.cloneSnapshot = sourceDataset.name + "@" + sourceSnapshot;
      plan.detached = params.detachedFromVolumes;
      temporarySnapshot = params.detachedFromVolumes;
      contentSource = "volume:" + located->id.str();
      result.source = ContentSource{ContentSource::Kind::kVolume, located->id.str()};
    }
    plan.sourceCapacity = provisionerFor(protocol).capacityOf(sourceDataset);
    if (sourceDataset.volblocksize) granularity = *sourceDataset.volblocksize;
  }
  uint64_t required = req.requiredBytes;
  uint64_t limit = req.limitBytes;
  uint64_t minimum = 0;
  if (protocol == Protocol::kNfs) minimum = kNfsMinimum;
  if (protocol == Protocol::kIscsi && formatsXfs(req.capabilities, params)) {
    minimum = kXfsMinimum;
  }
  minimum = std::max(minimum, plan.sourceCapacity);
  TNAS_ASSIGN_OR_RETURN(plan.capacity, resolveCapacity(required, limit, minimum, granularity));
  if (!sourceSnapshot.empty()) {
    truenas::SnapshotCreateSpec snapSpec;
    snapSpec.dataset = plan.cloneSnapshot->substr(0, plan.cloneSnapshot->find('@'));
    snapSpec.name = sourceSnapshot;
    snapSpec.userProperties = {{props::kOwner, driverName_}, {props::kCloneFor, plan.id.dataset}};
    auto made = backend->api().createSnapshot(snapSpec);
    if (!made.ok() && made.status().code() != StatusCode::kAlreadyExists) {
      return common::annotate(made.status(), "snapshotting the source volume");
    }
  }

  plan.userProperties = {{props::kOwner, driverName_},
                         {props::kCsiName, req.name},
                         {props::kProtocol, protocolName(protocol)},
                         {props::kParameters, params.fingerprint},
                         {props::kContentSource, contentSource},
                         {props::kCapacity, std::to_string(plan.capacity)}};
  if (!params.pvcName.empty()) plan.userProperties[props::kPvcName] = params.pvcName;
  if (!params.pvcNamespace.empty()) plan.userProperties[props::kPvcNamespace] = params.pvcNamespace;
  if (!params.pvName.empty()) plan.userProperties[props::kPvName] = params.pvName;

  common::LogScope scope("volume", plan.id.str());
  auto created = provisionerFor(protocol).create(plan);
  if (!sourceSnapshot.empty() && !temporarySnapshot && !created.ok() &&
      isPermanent(created.status())) {
    // The refused clone was rolled back: its source snapshot goes too (TrueNAS refuses while a
    // clone of it still exists, which then keeps it).
    (void)backend->api().deleteSnapshot(*plan.cloneSnapshot, {});
  }
  if (temporarySnapshot) {
    // The copy no longer needs it; a retry makes it again. Failing to drop it only leaves a
    // snapshot that goes with its volume.
    Status dropped = backend->api().deleteSnapshot(*plan.cloneSnapshot, {});
    if (!dropped.ok() && dropped.code() != StatusCode::kNotFound) {
      TNAS_LOG(Warn).kv("snapshot", *plan.cloneSnapshot).kv("error", dropped.ToString())
          << "could not remove the temporary snapshot of a detached copy";
    }
  }
  TNAS_ASSIGN_OR_RETURN(VolumeInfo info, std::move(created));
  if (!capacityCompatible(info.capacity, required, limit)) {
    return absl::AlreadyExistsError("volume '" + shownName(req.name) + "' exists with capacity " +
                                    std::to_string(info.capacity) +
                                    ", incompatible with the requested range");
  }
  result.id = plan.id.str();
  result.capacity = info.capacity;
  result.context = info.context;
  result.topology = segments;
  TNAS_LOG(Info).kv("name", req.name).kv("capacity", std::to_string(info.capacity))
      << "volume ready";
  return result;
}

StatusOr<ExpandVolumeResult> VolumeManager::expandVolume(const ExpandVolumeRequest& req) {
  TNAS_ASSIGN_OR_RETURN(auto token, inflight_.tryAcquire(req.volumeId));
  TNAS_ASSIGN_OR_RETURN(Located v, locate(req.volumeId));
  if (req.capability) {
    TNAS_RETURN_IF_ERROR(validateCapability(v.id.protocol, *req.capability));
  }
  uint64_t limit = req.limitBytes;
  uint64_t required = req.requiredBytes;
  if (limit > 0 && required > limit) {
    return absl::OutOfRangeError("capacity_range.required_bytes exceeds limit_bytes");
  }
  if (v.id.protocol == Protocol::kNfs) required = std::max(required, kNfsMinimum);
  if (required > kMaxCapacity) {
    return absl::OutOfRangeError("capacity " + std::to_string(required) +
                                 " is larger than the maximum volume size " +
                                 std::to_string(kMaxCapacity) + " (1 EiB)");
  }
  TNAS_ASSIGN_OR_RETURN(
      uint64_t capacity,
      provisionerFor(v.id.protocol).expand(*v.backend, v.dataset, required, limit));
  // Every iSCSI volume needs the node: a filesystem must grow, and even a raw block device keeps
  // its old size until the node rescans the LUN. NFS quotas take effect on the server alone.
  return ExpandVolumeResult{capacity, v.id.protocol == Protocol::kIscsi};
}

}  // namespace tnascsi::controller::provision

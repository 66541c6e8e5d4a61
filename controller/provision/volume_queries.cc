// VolumeManager: the read-only RPCs (get, list, validate, capacity) and ControllerPublish /
// ControllerUnpublish (see volume_manager.h).
#include <algorithm>

#include "controller/provision/access.h"
#include "controller/provision/metadata.h"
#include "controller/provision/naming.h"
#include "controller/provision/volume_manager.h"

namespace tnascsi::controller::provision {
namespace {

bool isConnectionError(const Status& s) {
  return s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kDeadlineExceeded;
}

}  // namespace

StatusOr<VolumeStatusResult> VolumeManager::getVolume(const std::string& volumeId) {
  VolumeStatusResult result;
  auto located = locate(volumeId);
  if (!located.ok() && isConnectionError(located.status())) {
    result.volume.id = volumeId;
    result.abnormal = true;
    result.message = "TrueNAS backend unreachable: " + std::string(located.status().message());
    return result;
  }
  if (!located.ok()) return located.status();
  Provisioner& provisioner = provisionerFor(located->id.protocol);
  result.volume.id = located->id.str();
  result.volume.capacity = provisioner.capacityOf(located->dataset);
  result.volume.topology = located->backend->config().topology;
  auto health = provisioner.inspect(*located->backend, located->dataset);
  if (!health.ok()) {
    if (!isConnectionError(health.status())) return health.status();
    result.abnormal = true;
    result.message = "TrueNAS backend unreachable: " + std::string(health.status().message());
    return result;
  }
  result.abnormal = health->abnormal;
  result.message = health->message;
  result.publishedNodeIds = health->publishedNodeIds;
  return result;
}

StatusOr<ListVolumesResult> VolumeManager::listVolumes(const ListRequest& req) {
  if (!req.startingToken.empty() && !parseVolumeId(req.startingToken)) {
    return absl::AbortedError("starting_token '" + shownName(req.startingToken) + "' is not valid");
  }
  struct Entry {
    std::string id;
    uint64_t capacity;
    std::vector<std::string> nodes;
    const std::map<std::string, std::string>* topology;
  };
  std::vector<Entry> entries;
  for (Backend* backend : backends_.all()) {
    truenas::QueryOptions options;
    options.orderBy = {"name"};
    TNAS_ASSIGN_OR_RETURN(
        auto datasets, backend->api().listChildDatasets(backend->config().parentDataset, options));
    std::map<int64_t, std::vector<std::string>> published;
    bool anyIscsi = std::any_of(datasets.begin(), datasets.end(), [](const auto& d) {
      return d.type == truenas::DatasetType::kVolume;
    });
    if (anyIscsi) {
      TNAS_ASSIGN_OR_RETURN(published, iscsi_.publishedByGroup(*backend));
    }
    for (const auto& dataset : datasets) {
      const auto& p = dataset.userProperties;
      if (!props::ownedBy(p, driverName_) || !props::get(p, props::kDeleted).empty()) continue;
      Protocol protocol =
          dataset.type == truenas::DatasetType::kVolume ? Protocol::kIscsi : Protocol::kNfs;
      Entry entry{VolumeId{backend->name(), protocol, dataset.name}.str(),
                  provisionerFor(protocol).capacityOf(dataset),
                  {},
                  &backend->config().topology};
      std::string group = props::get(p, props::kInitiatorGroup);
      if (!group.empty()) {
        auto it = published.find(std::strtoll(group.c_str(), nullptr, 10));
        if (it != published.end()) entry.nodes = it->second;
      }
      entries.push_back(std::move(entry));
    }
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.id < b.id; });
  auto it = std::lower_bound(entries.begin(), entries.end(), req.startingToken,
                             [](const Entry& e, const std::string& token) { return e.id < token; });
  size_t max = req.maxEntries > 0 ? static_cast<size_t>(req.maxEntries) : entries.size();
  ListVolumesResult result;
  for (size_t count = 0; it != entries.end() && count < max; ++it, ++count) {
    ListVolumesResult::Entry out;
    out.volume.id = it->id;
    out.volume.capacity = it->capacity;
    out.volume.topology = *it->topology;
    out.publishedNodeIds = std::move(it->nodes);
    result.entries.push_back(std::move(out));
  }
  if (it != entries.end()) result.nextToken = it->id;
  return result;
}

StatusOr<ValidateResult> VolumeManager::validateCapabilities(const ValidateRequest& req) {
  TNAS_ASSIGN_OR_RETURN(Located v, locate(req.volumeId));
  Status valid = provision::validateCapabilities(v.id.protocol, req.capabilities);
  if (valid.ok() && !req.parameters.empty()) {
    auto params = parseVolumeParameters(req.parameters);
    if (!params.ok()) {
      valid = params.status();
    } else if (params->protocol != v.id.protocol ||
               params->fingerprint != props::get(v.dataset.userProperties, props::kParameters)) {
      valid = absl::InvalidArgumentError(
          "the parameters differ from those the volume was created with");
    }
  }
  if (!valid.ok()) return ValidateResult{false, std::string(valid.message())};
  return ValidateResult{true, ""};
}

StatusOr<uint64_t> VolumeManager::getCapacity(const CapacityRequest& req) {
  std::string backendName;
  std::optional<Protocol> protocol;
  if (!req.parameters.empty()) {
    TNAS_ASSIGN_OR_RETURN(VolumeParameters params, parseVolumeParameters(req.parameters));
    backendName = params.backend;
    protocol = params.protocol;
  }
  TNAS_ASSIGN_OR_RETURN(Backend * backend, backends_.select(backendName));
  for (const auto& cap : req.capabilities) {
    if (protocol && !validateCapability(*protocol, cap).ok()) return 0;
  }
  if (req.topology && !topologyMatches(backend->config().topology, *req.topology)) return 0;
  TNAS_ASSIGN_OR_RETURN(auto parent, backend->api().getDataset(backend->config().parentDataset));
  return parent.available;
}

Status VolumeManager::publish(const PublishRequest& req) {
  TNAS_ASSIGN_OR_RETURN(auto token, inflight_.tryAcquire(req.volumeId));
  TNAS_ASSIGN_OR_RETURN(Located v, locate(req.volumeId));
  auto node = parseNodeId(req.nodeId);
  if (!node)
    return absl::NotFoundError("node " + shownName(req.nodeId) +
                               " does not exist (malformed node id)");
  TNAS_RETURN_IF_ERROR(validateCapability(v.id.protocol, req.capability));
  bool multiNode = isMultiNode(req.capability.mode);
  // Both read-modify-write the volume's export object (initiator group, share hosts); the
  // per-volume guard above serializes them, so concurrent publishes to several nodes cannot lose
  // an update (the loser gets ABORTED and the CO retries).
  if (v.id.protocol == Protocol::kNfs) return nfs_.publish(*v.backend, v.dataset, *node, multiNode);
  return iscsi_.publish(*v.backend, v.dataset, *node, multiNode);
}

Status VolumeManager::unpublish(const UnpublishRequest& req) {
  TNAS_ASSIGN_OR_RETURN(auto token, inflight_.tryAcquire(req.volumeId));
  auto located = locate(req.volumeId);
  if (located.status().code() == StatusCode::kNotFound) return absl::OkStatus();
  if (!located.ok()) return located.status();
  bool nfs = located->id.protocol == Protocol::kNfs;
  if (req.nodeId.empty()) {  // from every node
    return nfs ? nfs_.unpublish(*located->backend, located->dataset, NodeId{})
               : iscsi_.unpublish(*located->backend, located->dataset, NodeId{});
  }
  auto node = parseNodeId(req.nodeId);
  if (!node) return absl::OkStatus();
  return nfs ? nfs_.unpublish(*located->backend, located->dataset, *node)
             : iscsi_.unpublish(*located->backend, located->dataset, *node);
}

}  // namespace tnascsi::controller::provision

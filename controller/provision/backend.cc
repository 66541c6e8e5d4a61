// Backend facts and the backend registry (see backend.h).
#include "controller/provision/backend.h"

#include "common/log/log.h"
#include "controller/provision/volume_id.h"

namespace tnascsi::controller::provision {

Status validateBackendConfig(const BackendConfig& config) {
  if (!isValidBackendName(config.name)) {
    return absl::InvalidArgumentError("backend name '" + config.name +
                                      "' must be 1-32 characters of [a-z0-9-]");
  }
  if (!isValidDatasetName(config.parentDataset)) {
    return absl::InvalidArgumentError("backend '" + config.name + "': parent dataset '" +
                                      config.parentDataset +
                                      "' must be a dataset path below a pool, e.g. tank/k8s");
  }
  for (const auto& portal : config.portals) {
    if (portal.empty() || portal.find_first_of(" ,/") != std::string::npos) {
      return absl::InvalidArgumentError("backend '" + config.name + "': portal '" + portal +
                                        "' must be host[:port]");
    }
  }
  for (const auto& [key, value] : config.topology) {
    if (key.empty() || value.empty() || key.size() > 253 || value.size() > 63) {
      return absl::InvalidArgumentError("backend '" + config.name + "': topology segment '" + key +
                                        "=" + value + "' is not a valid label");
    }
  }
  auto leaf = maxVolumeLeafLength(config.name, config.parentDataset, {});
  if (!leaf.ok()) return absl::InvalidArgumentError(leaf.status().message());
  return absl::OkStatus();
}

StatusOr<truenas::Capabilities> Backend::capabilities() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!capabilities_) {
    TNAS_ASSIGN_OR_RETURN(truenas::VersionInfo info, api_.versionInfo());
    capabilities_ = info.capabilities;
  }
  return *capabilities_;
}

StatusOr<bool> Backend::poolIsDraid() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!draid_) {
    const std::string pool = config_.parentDataset.substr(0, config_.parentDataset.find('/'));
    auto found = api_.getPool(pool);
    if (!found.ok() && found.status().code() != StatusCode::kNotFound) {
      return common::annotate(found.status(), "reading the topology of pool " + pool);
    }
    draid_ = found.ok() && found->draid;
  }
  return *draid_;
}

StatusOr<size_t> Backend::maxLeafLength() {
  TNAS_ASSIGN_OR_RETURN(truenas::Capabilities caps, capabilities());
  NamingLimits limits;
  limits.maxDatasetName = caps.maxDatasetNameLength;
  limits.maxTargetName = caps.maxTargetNameLength;
  limits.maxExtentName =
      caps.maxExtentNameLength > 0 ? caps.maxExtentNameLength : kMaxExtentNameLength;
  return maxVolumeLeafLength(config_.name, config_.parentDataset, limits);
}

namespace {
std::string hostOf(const std::string& portal) {
  if (!portal.empty() && portal.front() == '[') {
    size_t close = portal.find(']');
    return close == std::string::npos ? portal : portal.substr(1, close - 1);
  }
  size_t colon = portal.rfind(':');
  if (colon != std::string::npos && portal.find(':') == colon) return portal.substr(0, colon);
  return portal;
}
}  // namespace

StatusOr<IscsiSetup> Backend::iscsiSetup() {
  std::lock_guard<std::mutex> lock(mu_);
  if (iscsi_) return *iscsi_;
  if (config_.portals.empty()) {
    return absl::FailedPreconditionError("backend '" + config_.name +
                                         "' has no iSCSI portal configured (--portal host:port)");
  }
  TNAS_RETURN_IF_ERROR(common::annotate(api_.ensureServiceRunning("iscsitarget"),
                                        "starting the iSCSI service on backend " + config_.name));
  TNAS_ASSIGN_OR_RETURN(truenas::IscsiGlobal global, api_.getIscsiGlobal());
  TNAS_ASSIGN_OR_RETURN(std::vector<truenas::IscsiPortal> portals, api_.listIscsiPortals());
  std::string host = hostOf(config_.portals.front());
  std::optional<int64_t> exact, wildcard;
  for (const auto& portal : portals) {
    for (const auto& listen : portal.listen) {
      if (listen.ip == host && !exact) exact = portal.id;
      if ((listen.ip == "0.0.0.0" || listen.ip == "::") && !wildcard) wildcard = portal.id;
    }
  }
  IscsiSetup setup;
  setup.basename = global.basename;
  if (exact) {
    setup.portalId = *exact;
  } else if (wildcard) {
    setup.portalId = *wildcard;
  } else if (portals.size() == 1) {
    setup.portalId = portals.front().id;
  } else {
    return absl::FailedPreconditionError("backend '" + config_.name +
                                         "': no TrueNAS iSCSI portal listens on " + host +
                                         " (or 0.0.0.0); create one in Shares > iSCSI > Portals");
  }
  iscsi_ = setup;
  TNAS_LOG(Info).kv("backend", config_.name).kv("portal_id", std::to_string(setup.portalId))
      << "iSCSI ready";
  return setup;
}

Status Backend::ensureNfsService() {
  std::lock_guard<std::mutex> lock(mu_);
  if (nfsStarted_) return absl::OkStatus();
  TNAS_RETURN_IF_ERROR(common::annotate(api_.ensureServiceRunning("nfs"),
                                        "starting the NFS service on backend " + config_.name));
  nfsStarted_ = true;
  return absl::OkStatus();
}

Status Backend::checkConnected() {
  return api_.ping();
}

void BackendRegistry::add(std::unique_ptr<Backend> backend) {
  if (default_.empty()) default_ = backend->name();
  backends_.push_back(std::move(backend));
}

Status BackendRegistry::setDefault(const std::string& name) {
  if (lookup(name) == nullptr) {
    return absl::InvalidArgumentError("default backend '" + name + "' is not configured");
  }
  default_ = name;
  return absl::OkStatus();
}

StatusOr<Backend*> BackendRegistry::select(const std::string& name) {
  Backend* backend = lookup(name.empty() ? default_ : name);
  if (backend == nullptr) {
    std::string names;
    for (const auto& b : backends_) names += (names.empty() ? "" : ", ") + b->name();
    return absl::InvalidArgumentError("StorageClass parameter 'backend': '" + name +
                                      "' is not configured; configured: " + names);
  }
  return backend;
}

Backend* BackendRegistry::lookup(const std::string& name) {
  for (const auto& b : backends_) {
    if (b->name() == name) return b.get();
  }
  return nullptr;
}

std::vector<Backend*> BackendRegistry::all() {
  std::vector<Backend*> out;
  for (const auto& b : backends_) out.push_back(b.get());
  return out;
}

}  // namespace tnascsi::controller::provision

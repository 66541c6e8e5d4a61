// FakeTrueNasApi: NFS shares, services and dataset root permissions (see fake_truenas_api.h).
#include <algorithm>

#include "test/fakes/truenas/fake_filter.h"
#include "test/fakes/truenas/fake_truenas_api.h"

namespace tnascsi::controller::truenas {

using fake::FieldValue;

// ---- NFS ----------------------------------------------------------------------------------------

StatusOr<NfsShare> FakeTrueNasApi::createNfsShare(const NfsShareSpec& spec) {
  TNAS_RETURN_IF_ERROR(enter("createNfsShare", true));
  NfsShare share;
  {
    std::lock_guard<std::mutex> lock(mu_);
    bool inPool = std::any_of(datasets_.begin(), datasets_.end(), [&](const auto& d) {
      return d.second.mountpoint && *d.second.mountpoint == spec.path;
    });
    if (!inPool)
      return absl::InvalidArgumentError(
          "sharingnfs_create.path: The path must reside within a pool mount point");
    size_t max = version_.capabilities.maxNfsHostsPerShare;
    if (max > 0 && (spec.hosts.size() > max || spec.networks.size() > max)) {
      return absl::InvalidArgumentError("sharingnfs_create.hosts: too many entries");
    }
    if (spec.mapallUser && spec.maprootUser) {
      return absl::InvalidArgumentError(
          "sharingnfs_create.mapall_user: maproot_user disqualifies mapall_user");
    }
    for (const auto& [id, s] : shares_) {
      if (s.path == spec.path)
        return absl::AlreadyExistsError("sharingnfs_create.path: ERROR - Export conflict.");
    }
    share.id = nextId_++;
    share.path = spec.path;
    share.paths = {spec.path};
    share.comment = spec.comment;
    share.networks = spec.networks;
    share.hosts = spec.hosts;
    share.ro = spec.ro;
    share.maprootUser = spec.maprootUser;
    share.maprootGroup = spec.maprootGroup;
    share.mapallUser = spec.mapallUser;
    share.mapallGroup = spec.mapallGroup;
    share.security = spec.security;
    share.enabled = spec.enabled;
    shares_[share.id] = share;
  }
  TNAS_RETURN_IF_ERROR(leave("createNfsShare"));
  return share;
}

StatusOr<NfsShare> FakeTrueNasApi::updateNfsShare(int64_t id, const NfsShareUpdateSpec& spec) {
  TNAS_RETURN_IF_ERROR(enter("updateNfsShare", true));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = shares_.find(id);
  if (it == shares_.end())
    return absl::NotFoundError("share " + std::to_string(id) + " does not exist");
  if (spec.comment) it->second.comment = *spec.comment;
  if (spec.networks) it->second.networks = *spec.networks;
  if (spec.hosts) it->second.hosts = *spec.hosts;
  if (spec.ro) it->second.ro = *spec.ro;
  if (spec.enabled) it->second.enabled = *spec.enabled;
  return it->second;
}

Status FakeTrueNasApi::deleteNfsShare(int64_t id) {
  TNAS_RETURN_IF_ERROR(enter("deleteNfsShare", true));
  std::lock_guard<std::mutex> lock(mu_);
  if (shares_.erase(id) == 0)
    return absl::NotFoundError("share " + std::to_string(id) + " does not exist");
  return absl::OkStatus();
}

StatusOr<NfsShare> FakeTrueNasApi::findNfsShareByPath(const std::string& path) {
  TNAS_RETURN_IF_ERROR(enter("findNfsShareByPath", false));
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, s] : shares_) {
    if (s.path == path) return s;
  }
  return absl::NotFoundError("no NFS share of " + path);
}

StatusOr<std::vector<NfsShare>> FakeTrueNasApi::queryNfsShares(const QueryFilter& filter,
                                                               const QueryOptions&) {
  TNAS_RETURN_IF_ERROR(enter("queryNfsShares", false));
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<NfsShare> out;
  for (const auto& [id, s] : shares_) {
    TNAS_ASSIGN_OR_RETURN(
        bool ok, fake::matches(filter, [&](const std::string& f) -> std::optional<FieldValue> {
          if (f == "id") return s.id;
          if (f == "path") return s.path;
          return std::nullopt;
        }));
    if (ok) out.push_back(s);
  }
  return out;
}

// ---- Services -----------------------------------------------------------------------------------

StatusOr<ServiceState> FakeTrueNasApi::getService(const std::string& name) {
  TNAS_RETURN_IF_ERROR(enter("getService", false));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = services_.find(name);
  if (it == services_.end()) return absl::NotFoundError("service " + name + " does not exist");
  return it->second;
}

Status FakeTrueNasApi::ensureServiceRunning(const std::string& name) {
  TNAS_RETURN_IF_ERROR(enter("ensureServiceRunning", true));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = services_.find(name);
  if (it == services_.end()) return absl::NotFoundError("service " + name + " does not exist");
  it->second.enabled = true;
  it->second.running = true;
  return absl::OkStatus();
}

Status FakeTrueNasApi::reloadService(const std::string& name) {
  TNAS_RETURN_IF_ERROR(enter("reloadService", true));
  std::lock_guard<std::mutex> lock(mu_);
  if (services_.count(name) == 0) return absl::NotFoundError("service " + name + " does not exist");
  return absl::OkStatus();
}

// ---- Root directory permissions -----------------------------------------------------------------

const Dataset* FakeTrueNasApi::datasetAtPathLocked(const std::string& path) const {
  for (const auto& [name, d] : datasets_) {
    if (d.type == DatasetType::kFilesystem && d.mountpoint && *d.mountpoint == path) return &d;
  }
  return nullptr;
}

StatusOr<FakeTrueNasApi::PathPerm> FakeTrueNasApi::pathPermissions(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  const Dataset* d = datasetAtPathLocked(path);
  if (!d) return absl::NotFoundError("Path " + path + " not found");
  auto it = perms_.find(d->name);
  return it == perms_.end() ? PathPerm{} : it->second;
}

Status FakeTrueNasApi::setPathPermissions(const PathPermissionsSpec& spec) {
  TNAS_RETURN_IF_ERROR(enter("setPathPermissions", true));
  {
    std::lock_guard<std::mutex> lock(mu_);
    const Dataset* d = datasetAtPathLocked(spec.path);
    if (!d) return absl::NotFoundError("Path " + spec.path + " not found");
    if (spec.mode == 0 || spec.mode > 0777) {
      return absl::InvalidArgumentError(
          "filesystem_setperm.mode: Please supply a value between "
          "000 and 777");
    }
    PathPerm& p = perms_[d->name];
    p.mode = spec.mode;
    if (spec.uid) p.uid = *spec.uid;
    if (spec.gid) p.gid = *spec.gid;
  }
  return leave("setPathPermissions");
}

Status FakeTrueNasApi::setPathOwner(const PathOwnerSpec& spec) {
  TNAS_RETURN_IF_ERROR(enter("setPathOwner", true));
  {
    std::lock_guard<std::mutex> lock(mu_);
    const Dataset* d = datasetAtPathLocked(spec.path);
    if (!d) return absl::NotFoundError("Path " + spec.path + " not found");
    PathPerm& p = perms_[d->name];
    if (spec.uid) p.uid = *spec.uid;
    if (spec.gid) p.gid = *spec.gid;
  }
  return leave("setPathOwner");
}

}  // namespace tnascsi::controller::truenas

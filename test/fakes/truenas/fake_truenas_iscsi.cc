// FakeTrueNasApi: iSCSI (portals, initiator groups, CHAP, targets, extents, mappings) and the
// inspection helpers (see fake_truenas_api.h).
#include <algorithm>
#include <cstdio>

#include "test/fakes/truenas/fake_filter.h"
#include "test/fakes/truenas/fake_truenas_api.h"

namespace tnascsi::controller::truenas {

using fake::FieldValue;

namespace {

std::string hex(uint64_t value, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%0*llx", digits, static_cast<unsigned long long>(value));
  return std::string(buf).substr(0, static_cast<size_t>(digits));
}

Status checkSecret(const std::string& field, const std::string& secret) {
  if (secret.size() < 12 || secret.size() > 16) {
    return absl::InvalidArgumentError("iscsi_auth." + field +
                                      ": Secret must be between 12 and 16 characters.");
  }
  if (secret.find('#') != std::string::npos) {
    return absl::InvalidArgumentError("iscsi_auth." + field +
                                      ": The character '#' is not allowed.");
  }
  return absl::OkStatus();
}

}  // namespace

size_t FakeTrueNasApi::initiatorGroupCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return groups_.size();
}
size_t FakeTrueNasApi::authCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return auths_.size();
}
size_t FakeTrueNasApi::targetCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return targets_.size();
}
size_t FakeTrueNasApi::extentCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return extents_.size();
}
size_t FakeTrueNasApi::mappingCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return mappings_.size();
}
size_t FakeTrueNasApi::nfsShareCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return shares_.size();
}
std::vector<IscsiInitiatorGroup> FakeTrueNasApi::initiatorGroups() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<IscsiInitiatorGroup> out;
  for (const auto& [id, g] : groups_) out.push_back(g);
  return out;
}
std::vector<IscsiTarget> FakeTrueNasApi::targets() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<IscsiTarget> out;
  for (const auto& [id, t] : targets_) out.push_back(t);
  return out;
}

bool FakeTrueNasApi::admits(const std::string& targetName, const std::string& iqn) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, t] : targets_) {
    if (t.name != targetName) continue;
    for (const auto& g : t.groups) {
      if (!g.initiator) return true;  // no group: everyone
      auto group = groups_.find(*g.initiator);
      if (group == groups_.end()) continue;
      const auto& list = group->second.initiators;
      if (list.empty() || std::find(list.begin(), list.end(), iqn) != list.end()) return true;
    }
  }
  return false;
}

void FakeTrueNasApi::removeTargetOutOfBand(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, t] : targets_) {
    if (t.name == name) {
      eraseTargetLocked(id);
      return;
    }
  }
}

void FakeTrueNasApi::eraseExtentLocked(int64_t id) {
  for (auto it = mappings_.begin(); it != mappings_.end();) {
    it = it->second.extent == id ? mappings_.erase(it) : std::next(it);
  }
  extents_.erase(id);
}

void FakeTrueNasApi::eraseTargetLocked(int64_t id) {
  for (auto it = mappings_.begin(); it != mappings_.end();) {
    it = it->second.target == id ? mappings_.erase(it) : std::next(it);
  }
  targets_.erase(id);
}

// ---- iSCSI global and portals -------------------------------------------------------------------

StatusOr<IscsiGlobal> FakeTrueNasApi::getIscsiGlobal() {
  TNAS_RETURN_IF_ERROR(enter("getIscsiGlobal", false));
  IscsiGlobal global;
  global.id = 1;
  global.basename = "iqn.2005-10.org.freenas.ctl";
  return global;
}

StatusOr<std::vector<IscsiPortal>> FakeTrueNasApi::listIscsiPortals() {
  TNAS_RETURN_IF_ERROR(enter("listIscsiPortals", false));
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<IscsiPortal> out;
  for (const auto& [id, p] : portals_) out.push_back(p);
  return out;
}

StatusOr<IscsiPortal> FakeTrueNasApi::createIscsiPortal(const IscsiPortalCreateSpec& spec) {
  TNAS_RETURN_IF_ERROR(enter("createIscsiPortal", true));
  std::lock_guard<std::mutex> lock(mu_);
  IscsiPortal portal;
  portal.id = nextId_++;
  portal.tag = static_cast<int64_t>(portals_.size()) + 1;
  portal.comment = spec.comment;
  for (const auto& ip : spec.listenIps) portal.listen.push_back({ip, 3260});
  portals_[portal.id] = portal;
  return portal;
}

// ---- Initiator groups ---------------------------------------------------------------------------

StatusOr<IscsiInitiatorGroup> FakeTrueNasApi::createIscsiInitiatorGroup(
    const IscsiInitiatorGroupSpec& spec) {
  TNAS_RETURN_IF_ERROR(enter("createIscsiInitiatorGroup", true));
  IscsiInitiatorGroup group;
  {
    std::lock_guard<std::mutex> lock(mu_);
    group.id = nextId_++;
    group.initiators = spec.initiators;
    group.comment = spec.comment;
    groups_[group.id] = group;
  }
  TNAS_RETURN_IF_ERROR(leave("createIscsiInitiatorGroup"));
  return group;
}

StatusOr<IscsiInitiatorGroup> FakeTrueNasApi::updateIscsiInitiatorGroup(
    int64_t id, const IscsiInitiatorGroupSpec& spec) {
  TNAS_RETURN_IF_ERROR(enter("updateIscsiInitiatorGroup", true));
  IscsiInitiatorGroup group;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = groups_.find(id);
    if (it == groups_.end())
      return absl::NotFoundError("initiator group " + std::to_string(id) + " does not exist");
    it->second.initiators = spec.initiators;
    it->second.comment = spec.comment;
    group = it->second;
  }
  TNAS_RETURN_IF_ERROR(leave("updateIscsiInitiatorGroup"));
  return group;
}

Status FakeTrueNasApi::deleteIscsiInitiatorGroup(int64_t id) {
  TNAS_RETURN_IF_ERROR(enter("deleteIscsiInitiatorGroup", true));
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (groups_.erase(id) == 0)
      return absl::NotFoundError("initiator group " + std::to_string(id) + " does not exist");
  }
  return leave("deleteIscsiInitiatorGroup");
}

StatusOr<IscsiInitiatorGroup> FakeTrueNasApi::getIscsiInitiatorGroup(int64_t id) {
  TNAS_RETURN_IF_ERROR(enter("getIscsiInitiatorGroup", false));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = groups_.find(id);
  if (it == groups_.end())
    return absl::NotFoundError("initiator group " + std::to_string(id) + " does not exist");
  return it->second;
}

StatusOr<std::vector<IscsiInitiatorGroup>> FakeTrueNasApi::queryIscsiInitiatorGroups(
    const QueryFilter& filter, const QueryOptions&) {
  TNAS_RETURN_IF_ERROR(enter("queryIscsiInitiatorGroups", false));
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<IscsiInitiatorGroup> out;
  for (const auto& [id, g] : groups_) {
    TNAS_ASSIGN_OR_RETURN(
        bool ok, fake::matches(filter, [&](const std::string& f) -> std::optional<FieldValue> {
          if (f == "id") return g.id;
          if (f == "comment") return g.comment;
          return std::nullopt;
        }));
    if (ok) out.push_back(g);
  }
  return out;
}

// ---- CHAP ---------------------------------------------------------------------------------------

StatusOr<IscsiAuth> FakeTrueNasApi::createIscsiAuth(const IscsiAuthSpec& spec) {
  TNAS_RETURN_IF_ERROR(enter("createIscsiAuth", true));
  TNAS_RETURN_IF_ERROR(checkSecret("secret", spec.secret));
  if (!spec.peeruser.empty()) {
    TNAS_RETURN_IF_ERROR(checkSecret("peersecret", spec.peersecret));
    if (spec.peersecret == spec.secret) {
      return absl::InvalidArgumentError(
          "iscsi_auth.peersecret: The peer secret cannot be the same as user secret.");
    }
  }
  IscsiAuth auth;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auth.id = nextId_++;
    auth.tag = spec.tag;
    auth.user = spec.user;
    auth.secret = spec.secret;
    auth.peeruser = spec.peeruser;
    auth.peersecret = spec.peersecret;
    auths_[auth.id] = auth;
  }
  TNAS_RETURN_IF_ERROR(leave("createIscsiAuth"));
  return auth;
}

StatusOr<IscsiAuth> FakeTrueNasApi::updateIscsiAuth(int64_t id, const IscsiAuthSpec& spec) {
  TNAS_RETURN_IF_ERROR(enter("updateIscsiAuth", true));
  TNAS_RETURN_IF_ERROR(checkSecret("secret", spec.secret));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = auths_.find(id);
  if (it == auths_.end())
    return absl::NotFoundError("auth " + std::to_string(id) + " does not exist");
  it->second.tag = spec.tag;
  it->second.user = spec.user;
  it->second.secret = spec.secret;
  it->second.peeruser = spec.peeruser;
  it->second.peersecret = spec.peersecret;
  return it->second;
}

Status FakeTrueNasApi::deleteIscsiAuth(int64_t id) {
  TNAS_RETURN_IF_ERROR(enter("deleteIscsiAuth", true));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = auths_.find(id);
  if (it == auths_.end())
    return absl::NotFoundError("auth " + std::to_string(id) + " does not exist");
  int64_t tag = it->second.tag;
  size_t sameTag = std::count_if(auths_.begin(), auths_.end(),
                                 [&](const auto& a) { return a.second.tag == tag; });
  if (sameTag == 1) {
    for (const auto& [tid, t] : targets_) {
      for (const auto& g : t.groups) {
        if (g.auth == tag) {
          return absl::FailedPreconditionError("Authorized access of " + std::to_string(id) +
                                               " is being used by following target(s): " + t.name);
        }
      }
    }
  }
  auths_.erase(it);
  return absl::OkStatus();
}

StatusOr<std::vector<IscsiAuth>> FakeTrueNasApi::queryIscsiAuthByTag(int64_t tag) {
  TNAS_RETURN_IF_ERROR(enter("queryIscsiAuthByTag", false));
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<IscsiAuth> out;
  for (const auto& [id, a] : auths_) {
    if (a.tag == tag) out.push_back(a);
  }
  return out;
}

// ---- Targets ------------------------------------------------------------------------------------

StatusOr<IscsiTarget> FakeTrueNasApi::createIscsiTarget(const IscsiTargetSpec& spec) {
  TNAS_RETURN_IF_ERROR(enter("createIscsiTarget", true));
  IscsiTarget target;
  {
    std::lock_guard<std::mutex> lock(mu_);
    bool validName =
        !spec.name.empty() && std::all_of(spec.name.begin(), spec.name.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                 c == ':';
        });
    if (!validName) {
      return absl::InvalidArgumentError(
          "iscsi_target_create.name: Only lowercase alphanumeric characters plus dot (.), dash "
          "(-), and colon (:) are allowed.");
    }
    size_t max = version_.capabilities.maxTargetNameLength;
    if (max > 0 && spec.name.size() > max) {
      return absl::InvalidArgumentError(
          "iscsi_target_create.name: String should have at most 120 characters");
    }
    for (const auto& [id, t] : targets_) {
      if (t.name == spec.name)
        return absl::AlreadyExistsError(
            "iscsi_target_create.name: Target with this name already exists");
    }
    for (const auto& g : spec.groups) {
      if (portals_.count(g.portal) == 0)
        return absl::InvalidArgumentError("iscsi_target_create.groups.portal: not found");
      if (g.initiator && groups_.count(*g.initiator) == 0) {
        return absl::InvalidArgumentError("iscsi_target_create.groups.initiator: not found");
      }
    }
    target.id = nextId_++;
    target.name = spec.name;
    target.alias = spec.alias;
    target.groups = spec.groups;
    target.authNetworks = spec.authNetworks;
    targets_[target.id] = target;
  }
  TNAS_RETURN_IF_ERROR(leave("createIscsiTarget"));
  return target;
}

StatusOr<IscsiTarget> FakeTrueNasApi::updateIscsiTarget(int64_t id,
                                                        const IscsiTargetUpdateSpec& spec) {
  TNAS_RETURN_IF_ERROR(enter("updateIscsiTarget", true));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = targets_.find(id);
  if (it == targets_.end())
    return absl::NotFoundError("target " + std::to_string(id) + " does not exist");
  if (spec.name) it->second.name = *spec.name;
  if (spec.alias) it->second.alias = *spec.alias;
  if (spec.groups) it->second.groups = *spec.groups;
  if (spec.authNetworks) it->second.authNetworks = *spec.authNetworks;
  return it->second;
}

Status FakeTrueNasApi::deleteIscsiTarget(int64_t id, const IscsiTargetDeleteOptions& options) {
  TNAS_RETURN_IF_ERROR(enter("deleteIscsiTarget", true));
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (targets_.count(id) == 0)
      return absl::NotFoundError("target " + std::to_string(id) + " does not exist");
    if (options.deleteExtents) {
      std::vector<int64_t> extents;
      for (const auto& [mid, m] : mappings_) {
        if (m.target == id) extents.push_back(m.extent);
      }
      for (int64_t e : extents) eraseExtentLocked(e);
    }
    eraseTargetLocked(id);
  }
  return leave("deleteIscsiTarget");
}

StatusOr<IscsiTarget> FakeTrueNasApi::getIscsiTarget(int64_t id) {
  TNAS_RETURN_IF_ERROR(enter("getIscsiTarget", false));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = targets_.find(id);
  if (it == targets_.end())
    return absl::NotFoundError("target " + std::to_string(id) + " does not exist");
  return it->second;
}

StatusOr<IscsiTarget> FakeTrueNasApi::findIscsiTargetByName(const std::string& name) {
  TNAS_RETURN_IF_ERROR(enter("findIscsiTargetByName", false));
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, t] : targets_) {
    if (t.name == name) return t;
  }
  return absl::NotFoundError("no target named " + name);
}

StatusOr<std::vector<IscsiTarget>> FakeTrueNasApi::queryIscsiTargets(const QueryFilter& filter,
                                                                     const QueryOptions&) {
  TNAS_RETURN_IF_ERROR(enter("queryIscsiTargets", false));
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<IscsiTarget> out;
  for (const auto& [id, t] : targets_) {
    TNAS_ASSIGN_OR_RETURN(
        bool ok, fake::matches(filter, [&](const std::string& f) -> std::optional<FieldValue> {
          if (f == "id") return t.id;
          if (f == "name") return t.name;
          return std::nullopt;
        }));
    if (ok) out.push_back(t);
  }
  return out;
}

// ---- Extents ------------------------------------------------------------------------------------

StatusOr<IscsiExtent> FakeTrueNasApi::createIscsiExtent(const IscsiExtentCreateSpec& spec) {
  TNAS_RETURN_IF_ERROR(enter("createIscsiExtent", true));
  IscsiExtent extent;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (spec.name.size() > 64)
      return absl::InvalidArgumentError("iscsi_extent_create.name: at most 64 characters");
    for (const auto& [id, e] : extents_) {
      if (e.name == spec.name)
        return absl::AlreadyExistsError("iscsi_extent_create.name: Extent name must be unique");
    }
    if (spec.disk.rfind("zvol/", 0) != 0) {
      return absl::InvalidArgumentError(
          "iscsi_extent_create.disk: Disk name must start with \"zvol/\"");
    }
    auto zvol = datasets_.find(spec.disk.substr(5));
    if (zvol == datasets_.end() || zvol->second.type != DatasetType::kVolume) {
      return absl::InvalidArgumentError("iscsi_extent_create.disk: Device '/dev/" + spec.disk +
                                        "' does not exist");
    }
    extent.id = nextId_++;
    extent.name = spec.name;
    extent.disk = spec.disk;
    extent.path = spec.disk;
    extent.serial =
        spec.serial.value_or(hex(0x1000000000ULL * 7 + static_cast<uint64_t>(extent.id), 15));
    extent.naa =
        "0x6589cfc000000" + hex(0xabc0000000000000ULL + static_cast<uint64_t>(extent.id), 19);
    extent.blocksize = spec.blocksize;
    extent.comment = spec.comment;
    extent.insecureTpc = spec.insecureTpc;
    extent.xen = spec.xen;
    extent.rpm = spec.rpm;
    extent.ro = spec.ro;
    extent.enabled = spec.enabled;
    extent.vendor = "TrueNAS";
    extents_[extent.id] = extent;
  }
  TNAS_RETURN_IF_ERROR(leave("createIscsiExtent"));
  return extent;
}

StatusOr<IscsiExtent> FakeTrueNasApi::updateIscsiExtent(int64_t id,
                                                        const IscsiExtentUpdateSpec& spec) {
  TNAS_RETURN_IF_ERROR(enter("updateIscsiExtent", true));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = extents_.find(id);
  if (it == extents_.end())
    return absl::NotFoundError("extent " + std::to_string(id) + " does not exist");
  if (spec.name) it->second.name = *spec.name;
  if (spec.comment) it->second.comment = *spec.comment;
  if (spec.ro) it->second.ro = *spec.ro;
  if (spec.enabled) it->second.enabled = *spec.enabled;
  return it->second;
}

Status FakeTrueNasApi::deleteIscsiExtent(int64_t id, const IscsiExtentDeleteOptions&) {
  TNAS_RETURN_IF_ERROR(enter("deleteIscsiExtent", true));
  std::lock_guard<std::mutex> lock(mu_);
  if (extents_.count(id) == 0)
    return absl::NotFoundError("extent " + std::to_string(id) + " does not exist");
  eraseExtentLocked(id);
  return absl::OkStatus();
}

StatusOr<IscsiExtent> FakeTrueNasApi::getIscsiExtent(int64_t id) {
  TNAS_RETURN_IF_ERROR(enter("getIscsiExtent", false));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = extents_.find(id);
  if (it == extents_.end())
    return absl::NotFoundError("extent " + std::to_string(id) + " does not exist");
  return it->second;
}

StatusOr<IscsiExtent> FakeTrueNasApi::findIscsiExtentByName(const std::string& name) {
  TNAS_RETURN_IF_ERROR(enter("findIscsiExtentByName", false));
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, e] : extents_) {
    if (e.name == name) return e;
  }
  return absl::NotFoundError("no extent named " + name);
}

StatusOr<IscsiExtent> FakeTrueNasApi::findIscsiExtentByDisk(const std::string& disk) {
  TNAS_RETURN_IF_ERROR(enter("findIscsiExtentByDisk", false));
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, e] : extents_) {
    if (e.disk == disk) return e;
  }
  return absl::NotFoundError("no extent on " + disk);
}

StatusOr<std::vector<IscsiExtent>> FakeTrueNasApi::queryIscsiExtents(const QueryFilter& filter,
                                                                     const QueryOptions&) {
  TNAS_RETURN_IF_ERROR(enter("queryIscsiExtents", false));
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<IscsiExtent> out;
  for (const auto& [id, e] : extents_) {
    TNAS_ASSIGN_OR_RETURN(
        bool ok, fake::matches(filter, [&](const std::string& f) -> std::optional<FieldValue> {
          if (f == "id") return e.id;
          if (f == "name") return e.name;
          if (f == "disk") return e.disk;
          return std::nullopt;
        }));
    if (ok) out.push_back(e);
  }
  return out;
}

// ---- Target/extent mappings ---------------------------------------------------------------------

StatusOr<IscsiTargetExtent> FakeTrueNasApi::createIscsiTargetExtent(
    const IscsiTargetExtentSpec& spec) {
  TNAS_RETURN_IF_ERROR(enter("createIscsiTargetExtent", true));
  IscsiTargetExtent mapping;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (targets_.count(spec.target) == 0 || extents_.count(spec.extent) == 0) {
      return absl::InvalidArgumentError(
          "iscsi_targetextent_create: target or extent does not exist");
    }
    std::set<int64_t> used;
    for (const auto& [id, m] : mappings_) {
      if (m.extent == spec.extent)
        return absl::AlreadyExistsError(
            "iscsi_targetextent_create.extent: Extent is already in use.");
      if (m.target == spec.target) used.insert(m.lunid);
    }
    int64_t lun = 0;
    if (spec.lunid) {
      lun = *spec.lunid;
      if (used.count(lun) > 0)
        return absl::AlreadyExistsError("LUN ID is already being used for this target.");
    } else {
      while (used.count(lun) > 0) ++lun;
    }
    mapping.id = nextId_++;
    mapping.target = spec.target;
    mapping.extent = spec.extent;
    mapping.lunid = lun;
    mappings_[mapping.id] = mapping;
  }
  TNAS_RETURN_IF_ERROR(leave("createIscsiTargetExtent"));
  return mapping;
}

Status FakeTrueNasApi::deleteIscsiTargetExtent(int64_t id, bool) {
  TNAS_RETURN_IF_ERROR(enter("deleteIscsiTargetExtent", true));
  std::lock_guard<std::mutex> lock(mu_);
  if (mappings_.erase(id) == 0)
    return absl::NotFoundError("mapping " + std::to_string(id) + " does not exist");
  return absl::OkStatus();
}

StatusOr<std::vector<IscsiTargetExtent>> FakeTrueNasApi::queryIscsiTargetExtents(
    const QueryFilter& filter, const QueryOptions&) {
  TNAS_RETURN_IF_ERROR(enter("queryIscsiTargetExtents", false));
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<IscsiTargetExtent> out;
  for (const auto& [id, m] : mappings_) {
    TNAS_ASSIGN_OR_RETURN(
        bool ok, fake::matches(filter, [&](const std::string& f) -> std::optional<FieldValue> {
          if (f == "id") return m.id;
          if (f == "target") return m.target;
          if (f == "extent") return m.extent;
          if (f == "lunid") return m.lunid;
          return std::nullopt;
        }));
    if (ok) out.push_back(m);
  }
  return out;
}

}  // namespace tnascsi::controller::truenas

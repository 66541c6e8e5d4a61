// sharing.nfs.* (reference §5.1): `path` (SCALE) vs `paths` (CORE), ≤42 hosts/networks on 25.10,
// export conflicts, maproot/mapall rules, delete result per version; nfs.config/nfs.update; and
// the nfs.config backing event.
#include <arpa/inet.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include "test/truenas-sim/model/api_error.h"
#include "test/truenas-sim/model/model.h"
#include "test/truenas-sim/model/query.h"
#include "test/truenas-sim/model/schema.h"

namespace tnascsi::sim {
namespace {

// The users and groups the simulated system has. SCALE is Debian (gid 0 is "root"); CORE is
// FreeBSD, where gid 0 is "wheel" and there is no group "root" (and no www-data/admin).
const std::set<std::string> kUsers = {"root", "nobody", "admin", "www-data", "daemon"};
const std::set<std::string> kGroups = {"root",  "wheel",    "nogroup", "nobody",
                                       "admin", "www-data", "daemon"};
const std::set<std::string> kCoreUsers = {"root", "nobody", "daemon", "www"};
const std::set<std::string> kCoreGroups = {"wheel", "nogroup", "nobody", "daemon", "www"};

bool validCidr(const std::string& s) {
  std::string addr = s;
  int prefix = -1;
  size_t slash = s.find('/');
  if (slash != std::string::npos) {
    addr = s.substr(0, slash);
    const std::string p = s.substr(slash + 1);
    if (p.empty() || p.size() > 3 || !std::all_of(p.begin(), p.end(), ::isdigit)) return false;
    prefix = std::stoi(p);
  }
  unsigned char buf[16];
  if (inet_pton(AF_INET, addr.c_str(), buf) == 1) return prefix <= 32;
  if (inet_pton(AF_INET6, addr.c_str(), buf) == 1) return prefix <= 128;
  return false;
}

}  // namespace

Json Model::nfsEntry(const Json& rec) const {
  Json e = rec;
  e.set("locked", false);
  return e;
}

Json Model::nfsConfigEvent() const {
  Json shares = Json::array();
  for (const auto& [id, s] : state_.nfsShares) {
    std::vector<std::string> paths;
    if (personality_.nfsPaths) {
      for (const Json& p : s.value("paths").asArray()) paths.push_back(p.asString());
    } else {
      paths.push_back(s.value("path").asString());
    }
    for (const auto& path : paths) {
      Json x = Json::object();
      x.set("id", id);
      x.set("path", path);
      for (const char* k : {"hosts", "networks", "ro", "maproot_user", "maproot_group",
                            "mapall_user", "mapall_group", "security", "enabled"}) {
        x.set(k, s.value(k));
      }
      shares.push(std::move(x));
    }
  }
  Json cfg = Json::object();
  cfg.set("shares", std::move(shares));
  Json ev = Json::object();
  ev.set("event", "nfs.config");
  ev.set("root", backingRoot_);
  ev.set("config", std::move(cfg));
  return ev;
}

void Model::registerNfs() {
  auto entries = [this]() {
    std::vector<Json> out;
    for (const auto& [id, s] : state_.nfsShares) out.push_back(nfsEntry(s));
    return out;
  };
  reg(
      "sharing.nfs.query",
      [entries](const Json& a) { return runQuery(entries(), a.at(0), a.at(1)); }, false);
  reg(
      "sharing.nfs.get_instance",
      [entries](const Json& a) {
        return getInstance(entries(), "id", a.at(0), "NFSShare", a.at(1));
      },
      false);
  reg("sharing.nfs.create", [this](const Json& a) { return nfsCreateOrUpdate(a, false); });
  reg("sharing.nfs.update", [this](const Json& a) { return nfsCreateOrUpdate(a, true); });
  reg("sharing.nfs.delete", [this](const Json& a) -> StatusOr<Json> {
    if (!state_.nfsShares.erase(a.at(0).asInt())) {
      return instanceNotFound("NFSShare", a.at(0).dump());
    }
    markNfsChanged();
    return personality_.nfsDeleteReturnsTrue ? Json(true) : Json();
  });
  reg(
      "nfs.config", [this](const Json&) -> StatusOr<Json> { return state_.nfsConfig; }, false);
  reg("nfs.update", [this](const Json& a) -> StatusOr<Json> {
    for (const auto& [k, v] : a.at(0).asObject()) {
      if (!state_.nfsConfig.contains(k)) {
        return validationError("nfs_update." + k, personality_.strictModels
                                                      ? "Extra inputs are not permitted"
                                                      : "Field was not expected");
      }
      state_.nfsConfig.set(k, v);
    }
    markNfsChanged();
    return state_.nfsConfig;
  });
}

StatusOr<Json> Model::nfsCreateOrUpdate(const Json& params, bool update) {
  const Personality& p = personality_;
  const int64_t id = update ? params.at(0).asInt() : 0;
  const Json data = update ? params.at(1) : params.at(0);
  if (update && !state_.nfsShares.count(id))
    return instanceNotFound("NFSShare", params.at(0).dump());
  Verrors v;
  ArgCheck c(data, update ? "sharing_nfs_update" : "sharing_nfs_create", p.strictModels, v);
  TNAS_SIM_VERRORS_CHECK(v);
  std::vector<std::string> allowed = {
      "aliases",       "comment",     "networks",     "hosts",    "ro",     "maproot_user",
      "maproot_group", "mapall_user", "mapall_group", "security", "enabled"};
  allowed.push_back(p.nfsPaths ? "paths" : "path");
  if (p.nfsPaths) {
    allowed.push_back("alldirs");
    allowed.push_back("quiet");
  }
  if (p.nfsExposeSnapshots) allowed.push_back("expose_snapshots");
  c.allowOnly(allowed);
  if (p.nfsPaths) {
    c.list("paths", !update);
  } else {
    c.str("path", !update);
  }
  c.str("comment");
  auto networks = c.list("networks");
  auto hosts = c.list("hosts");
  c.list("aliases");
  c.boolean("ro");
  c.boolean("enabled");
  c.boolean("expose_snapshots");
  c.boolean("alldirs");
  c.boolean("quiet");
  for (const char* k : {"maproot_user", "maproot_group", "mapall_user", "mapall_group"}) {
    c.str(k, false, true);
  }
  if (auto sec = c.list("security")) {
    for (const Json& s : *sec) {
      const std::string x = s.asString();
      if (x != "SYS" && x != "KRB5" && x != "KRB5I" && x != "KRB5P") {
        c.error("security", "Invalid choice: " + x);
      }
    }
  }
  // `enabled` is a plain field that update merges into the share (ref:TS-25.04.2.6:src/
  // middlewared/middlewared/plugins/nfs.py:495-520); disabled shares are left out of the exports
  // (plugins/etc.py:167-173), which the backing's nfs.config event models (enabled is sent).
  // 25.10 caps hosts and networks at 42 (ref:TS-25.10.0:src/middlewared/middlewared/api/v25_04_0/
  // nfs.py:21-22,95-102); 25.04.2.6 reverted the limiter.
  if (p.nfsMax42) {
    if (networks && networks->size() > 42) {
      c.error("networks", "List should have at most 42 items after validation, not " +
                              std::to_string(networks->size()));
    }
    if (hosts && hosts->size() > 42) {
      c.error("hosts", "List should have at most 42 items after validation, not " +
                           std::to_string(hosts->size()));
    }
  }
  TNAS_SIM_VERRORS_CHECK(v);

  Json rec = update ? state_.nfsShares[id] : Json::object();
  if (!update) {
    if (p.nfsPaths) {
      rec.set("paths", Json::array());
    } else {
      rec.set("path", "");
    }
    rec.set("aliases", Json::array());
    rec.set("comment", "");
    rec.set("networks", Json::array());
    rec.set("hosts", Json::array());
    if (p.nfsPaths) {
      rec.set("alldirs", false);
      rec.set("quiet", false);
    }
    rec.set("ro", false);
    rec.set("maproot_user", nullptr);
    rec.set("maproot_group", nullptr);
    rec.set("mapall_user", nullptr);
    rec.set("mapall_group", nullptr);
    rec.set("security", Json::array());
    rec.set("enabled", true);
    if (p.nfsExposeSnapshots) rec.set("expose_snapshots", false);
  }
  for (const auto& [k, val] : data.asObject()) rec.set(k, val);
  if (!p.isCore()) rec.set("aliases", Json::array());  // ignored (cleared) on SCALE

  std::vector<std::string> paths;
  if (p.nfsPaths) {
    for (const Json& x : rec.value("paths").asArray()) paths.push_back(x.asString());
    if (paths.empty()) c.error("paths", "At least one path is required");
  } else {
    paths.push_back(rec.value("path").asString());
    if (paths[0].empty())
      c.error("path",
              c.strict() ? "String should have at least 1 character" : "Empty value not allowed");
  }
  const std::string pathAttr = p.nfsPaths ? "paths" : "path";
  for (const auto& path : paths) {
    if (path.rfind("/mnt/", 0) != 0 || path.size() <= 5 ||
        !state_.pools.count(path.substr(5, path.find('/', 5) - 5))) {
      c.error(pathAttr, "The path must reside within a pool mount point");
      continue;
    }
    std::string ds = path.substr(5);
    while (!ds.empty() && ds.back() == '/') ds.pop_back();
    auto it = state_.datasets.find(ds);
    if (it == state_.datasets.end() || it->second.value("type").asString() != "FILESYSTEM") {
      c.error(pathAttr, "This path does not exist.", ENOENT);
    }
  }
  std::set<std::string> seenNets, seenHosts;
  for (const Json& n : rec.value("networks").asArray()) {
    if (!n.isString() || !validCidr(n.asString())) {
      c.error("networks", "Invalid IP network: " + n.dump());
    } else if (!seenNets.insert(n.asString()).second) {
      c.error("networks", "Network " + n.asString() + " is specified more than once");
    }
  }
  // hosts, per version (what per-node exports rely on: IP entries, each once):
  //  - 25.04+: unique ("Entries must be unique, the following are not: …") and no whitespace or
  //    double quote (regex '.*[\s"]'), ref:TS-25.04.2.6:src/middlewared/middlewared/plugins/
  //    nfs_/validators.py:7-20,44-57 (called from plugins/nfs.py:670-680; same in TS-25.10.0);
  //  - 24.10: List(unique=True) ("This value is not unique.") of Str with NotMatch('.*[\s"]'),
  //    ref:TS-24.10.2.4:src/middlewared/middlewared/plugins/nfs.py:478-483 and schema/
  //    list_schema.py:99-104;
  //  - CORE 13.0: List of plain Str, no uniqueness or character check (ref:TN-13.0-U6.8:src/
  //    middlewared/middlewared/plugins/nfs.py:274).
  // Host names that do not resolve are refused on SCALE (plugins/nfs.py:866-871 on 25.04); the
  // simulator resolves no names and takes IP addresses as they are (nfs.py:737-746).
  for (const Json& h : rec.value("hosts").asArray()) {
    const std::string s = h.asString();
    if (p.isCore()) continue;
    const bool bad = s.find_first_of(" \t\n\r\f\v\"") != std::string::npos;
    if (bad) {
      c.error("hosts", p.strictModels ? "Cannot contain spaces or quotes: " + s
                                      : "Name cannot contain spaces or quotes");
    } else if (!seenHosts.insert(s).second) {
      c.error("hosts", p.strictModels ? "Entries must be unique, the following are not: " + s
                                      : "This value is not unique.");
    }
  }
  // verrors.add() without an errno: EINVAL, not ENOENT
  // (ref:TS-25.04.2.6:src/middlewared/middlewared/plugins/nfs.py:618,624 and
  // service_exception.py:60; TN-13.0-U6.8 nfs.py:404,411).
  auto checkName = [&](const char* key, const std::set<std::string>& known, const char* what) {
    const Json val = rec.value(key);
    if (val.isString() && !val.asString().empty() && !known.count(val.asString())) {
      if (p.isCore()) {
        // TN-13.0-U6.8:src/middlewared/middlewared/plugins/nfs.py:401-411 (getpwnam/getgrnam).
        c.error(key, std::string(what) + " not found");
      } else {
        c.error(key, std::string(what) + " not found: " + val.asString());
      }
    }
  };
  checkName("maproot_user", p.isCore() ? kCoreUsers : kUsers, "User");
  checkName("mapall_user", p.isCore() ? kCoreUsers : kUsers, "User");
  checkName("maproot_group", p.isCore() ? kCoreGroups : kGroups, "Group");
  checkName("mapall_group", p.isCore() ? kCoreGroups : kGroups, "Group");
  if (p.isCore() && rec.value("security").isArray() && !rec.value("security").asArray().empty() &&
      !state_.nfsConfig.value("v4", false).asBool()) {
    // TN-13.0-U6.8:src/middlewared/middlewared/plugins/nfs.py:416-419.
    c.error("security", "This is not allowed when NFS v4 is disabled");
  }
  auto set = [&](const char* key) { return !rec.value(key).asString().empty(); };
  if (set("maproot_group") && !set("maproot_user")) {
    c.error("maproot_user", "This field is required when map group is specified");
  }
  if (set("mapall_group") && !set("mapall_user")) {
    c.error("mapall_user", "This field is required when map group is specified");
  }
  if (set("maproot_user") && set("mapall_user")) {
    c.error("mapall_user", "maproot_user disqualifies mapall_user");
  }
  // Export conflicts with other shares of the same path.
  for (const auto& [sid, other] : state_.nfsShares) {
    if (sid == id) continue;
    std::vector<std::string> otherPaths;
    if (p.nfsPaths) {
      for (const Json& x : other.value("paths").asArray()) otherPaths.push_back(x.asString());
    } else {
      otherPaths.push_back(other.value("path").asString());
    }
    bool samePath = false;
    for (const auto& a : paths) {
      samePath |= std::find(otherPaths.begin(), otherPaths.end(), a) != otherPaths.end();
    }
    if (!samePath) continue;
    const bool meAll = rec.value("hosts").size() == 0 && rec.value("networks").size() == 0;
    const bool otherAll = other.value("hosts").size() == 0 && other.value("networks").size() == 0;
    if (meAll && otherAll) {
      c.error(pathAttr,
              "ERROR - Export conflict. Another share with the same path exports to "
              "everybody.",
              EEXIST);
      continue;
    }
    for (const char* key : {"hosts", "networks"}) {
      for (const Json& mine : rec.value(key).asArray()) {
        for (const Json& theirs : other.value(key).asArray()) {
          if (mine == theirs) {
            c.error(key,
                    "ERROR - Export conflict. Another share with the same path exports to " +
                        mine.asString() + ".",
                    EEXIST);
          }
        }
      }
    }
  }
  TNAS_SIM_VERRORS_CHECK(v);
  if (!update) rec.set("id", nextId("nfs"));
  Json ordered = Json::object();
  ordered.set("id", rec.value("id"));
  for (const auto& [k, val] : rec.asObject()) {
    if (k != "id") ordered.set(k, val);
  }
  state_.nfsShares[ordered.value("id").asInt()] = ordered;
  markNfsChanged();
  return nfsEntry(ordered);
}

}  // namespace tnascsi::sim

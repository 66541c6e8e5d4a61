// filesystem.stat, filesystem.setperm and filesystem.chown (both jobs, lock "perm_change") on the
// simulated directories: /mnt and every filesystem dataset's mountpoint (/mnt/<name>; zvols have
// none). Each dataset record carries "perm" {mode, uid, gid, acl} (acl: a non-trivial ACL is
// present); snapshots copy it, clones, rollbacks and replication targets take it back. The path
// rules, ACL conflicts and argument checks follow the middleware per version:
//   CORE  TN-13.0-U6.8:src/middlewared/middlewared/plugins/filesystem.py:432-447 (path rules,
//         CallErrors), 482-511 (chown), 528-590 (setperm), 204-243 (stat)
//   24.10 TS-24.10.2.4:src/middlewared/middlewared/plugins/filesystem_/acl.py:39-89 (path rules,
//         ValidationErrors), 123-176 (chown), 199-294 (setperm); plugins/filesystem.py:383-480
//   25.x  TS-25.04.2.6 and TS-25.10.2.1 plugins/filesystem_/acl.py:81-138 (+ readonly), 160-209
//         (chown, user/group names), 217-309 (setperm); api/v25_10_0/filesystem.py:54-103
//         (pydantic argument models), api/base/types/filesystem.py:11-20 (UnixPerm)
#include <cerrno>
#include <map>

#include "test/truenas-sim/model/api_error.h"
#include "test/truenas-sim/model/model.h"

namespace tnascsi::sim {
namespace {

constexpr int64_t kDefaultMode = 0755;
constexpr int64_t kMaxId = 2147483647;  // ACL_MAX_ID (TS-25.10.2.1:api/v25_10_0/acl.py:37)

// Names for stat's user/group and for the 25.x `user`/`group` fields (the simulated system's
// accounts; SCALE is Debian, CORE FreeBSD where gid 0 is "wheel").
const std::map<std::string, int64_t> kScaleUsers = {
    {"root", 0}, {"daemon", 1}, {"www-data", 33}, {"admin", 950}, {"nobody", 65534}};
const std::map<std::string, int64_t> kScaleGroups = {
    {"root", 0}, {"daemon", 1}, {"www-data", 33}, {"admin", 950}, {"nogroup", 65534}};
const std::map<std::string, int64_t> kCoreUsers = {
    {"root", 0}, {"daemon", 1}, {"www", 80}, {"nobody", 65534}};
const std::map<std::string, int64_t> kCoreGroups = {
    {"wheel", 0}, {"daemon", 1}, {"www", 80}, {"nogroup", 65533}, {"nobody", 65534}};

Json nameOf(const std::map<std::string, int64_t>& table, int64_t id) {
  for (const auto& [name, value] : table) {
    if (value == id) return name;
  }
  return nullptr;
}

// int(value, 8) as UnixPerm does it; nullopt when Python would raise.
std::optional<int64_t> octal(std::string s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.erase(0, 1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) s = s.substr(2);
  if (s.empty() || s.size() > 12) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '7') return std::nullopt;
    v = v * 8 + (c - '0');
  }
  return v;
}

}  // namespace

Json Model::initialPerm(const std::string& parent) const {
  // A new dataset's root directory: 0755 root, with the parent's non-trivial ACL inherited
  // (SCALE copies an NFSv4 parent's inheritable ACL for share_type NFS,
  // TS-24.10.2.4:src/middlewared/middlewared/plugins/pool_/dataset.py:629-634; ZFS aclinherit).
  Json perm = Json::object();
  perm.set("mode", kDefaultMode);
  perm.set("uid", 0);
  perm.set("gid", 0);
  auto it = state_.datasets.find(parent);
  perm.set("acl",
           it != state_.datasets.end() && it->second.value("perm").value("acl", false).asBool());
  return perm;
}

Json Model::permOf(const Json& rec) const {
  Json perm = rec.value("perm");
  if (perm.isObject()) return perm;
  perm = Json::object();
  perm.set("mode", kDefaultMode);
  perm.set("uid", 0);
  perm.set("gid", 0);
  perm.set("acl", false);
  return perm;
}

Status Model::setAclForTest(const std::string& dataset, bool nonTrivial) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = state_.datasets.find(dataset);
  if (it == state_.datasets.end()) return absl::NotFoundError(dataset);
  Json perm = permOf(it->second);
  perm.set("acl", nonTrivial);
  state_.datasets.edit(it).set("perm", perm);
  return absl::OkStatus();
}

// The dataset mounted at `path` ("" for /mnt itself); nullopt when nothing is there.
std::optional<std::string> Model::datasetAtPath(const std::string& path) const {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  if (p == "/mnt") return std::string();
  if (p.rfind("/mnt/", 0) != 0) return std::nullopt;
  auto it = state_.datasets.find(p.substr(5));
  if (it == state_.datasets.end() || it->second.value("type").asString() != "FILESYSTEM") {
    return std::nullopt;
  }
  return it->first;
}

StatusOr<Json> Model::fsStat(const Json& params) {
  const std::string path = params.at(0).asString();
  const bool core = personality_.isCore();
  if (!core && (path.empty() || path[0] != '/')) {
    return callError(path + ": path must be absolute", EINVAL);  // 24.10 filesystem.py:440-441
  }
  auto ds = datasetAtPath(path);
  if (!ds) return callError("Path " + path + " not found", ENOENT);
  Json perm = ds->empty() ? permOf(Json::object()) : permOf(state_.datasets.at(*ds));
  const int64_t uid = perm.value("uid").asInt();
  const int64_t gid = perm.value("gid").asInt();
  Json st = Json::object();
  if (!core) {
    st.set("realpath", ds->empty() ? "/mnt" : "/mnt/" + *ds);
    st.set("type", "DIRECTORY");
  }
  st.set("size", 3);
  if (!core) st.set("allocation_size", 512);
  st.set("mode", 040000 | perm.value("mode").asInt());
  st.set("uid", uid);
  st.set("gid", gid);
  const double now = static_cast<double>(nowSeconds());
  for (const char* t : {"atime", "mtime", "ctime"}) st.set(t, now);
  if (!core) st.set("btime", now);
  st.set("dev", static_cast<int64_t>(std::hash<std::string>()(*ds) & 0xffff));
  if (!core) st.set("mount_id", static_cast<int64_t>(std::hash<std::string>()(*ds) & 0xfff));
  st.set("inode", 34);
  st.set("nlink", 2);
  if (!core) {
    st.set("is_mountpoint", true);
    st.set("is_ctldir", false);
    Json attrs = Json::array();
    attrs.push("MOUNT_ROOT");
    st.set("attributes", std::move(attrs));
  }
  st.set("user", nameOf(core ? kCoreUsers : kScaleUsers, uid));
  st.set("group", nameOf(core ? kCoreGroups : kScaleGroups, gid));
  st.set("acl", perm.value("acl").asBool());
  return st;
}

// The path rules both methods share. CORE raises CallErrors (TN-13.0-U6.8 filesystem.py:432-447);
// SCALE adds ValidationErrors under `<schema>.path` (TS-24.10.2.4 acl.py:39-89), and 25.x refuses a
// read-only dataset (TS-25.04.2.6 acl.py:130-136).
StatusOr<std::string> Model::permPathCheck(const std::string& schema, const std::string& path,
                                           Verrors& v) {
  if (personality_.isCore()) {
    auto ds = datasetAtPath(path);
    if (!ds) return callError("Path not found: " + path, ENOENT);
    if (ds->empty()) {
      return callError("Changing permissions on paths outside of /mnt is not permitted: " + path,
                       EPERM);
    }
    if (state_.pools.count(*ds)) {
      return callError("Changing permissions of root level dataset is not permitted: " + path,
                       EPERM);
    }
    return *ds;
  }
  if (path.empty() || path[0] != '/') {
    // filesystem.stat's EINVAL, added under the literal attribute the source spells
    // ('f{schema}.path', TS-24.10.2.4 acl.py:51).
    v.add("f{schema}.path", "Must be an absolute path");
    return std::string();
  }
  auto ds = datasetAtPath(path);
  if (!ds) return callError("Path " + path + " not found", ENOENT);
  if (ds->empty()) {
    v.add(schema + ".path",
          "Changes to permissions on paths that are not beneath the directory /mnt are not "
          "permitted: " +
              path);
  } else if (state_.pools.count(*ds)) {
    v.add(schema + ".path", "The specified path is a ZFS pool mountpoint \"(" + path + ")\" ");
  } else if (personality_.version != Version::kScale2410) {
    std::string cur = *ds;
    while (true) {
      const Json* ro = state_.datasets.at(cur).value("props").get("readonly");
      if (ro) {
        if (ro->asString() == "ON") {
          v.add(schema + ".path",
                path + ": dataset underlying path has the readonly property enabled.");
        }
        break;
      }
      if (cur.find('/') == std::string::npos) break;
      cur = cur.substr(0, cur.rfind('/'));
    }
  }
  return *ds;
}

void Model::registerFilesystem() {
  reg(
      "filesystem.stat", [this](const Json& a) { return fsStat(a); }, false);
  reg("filesystem.setperm", [this](const Json& a) { return fsChange(a, true); });
  reg("filesystem.chown", [this](const Json& a) { return fsChange(a, false); });
}

StatusOr<Json> Model::fsChange(const Json& params, bool setperm) {
  const Version ver = personality_.version;
  const bool core = ver == Version::kCore13;
  const bool pydantic = ver == Version::kScale2504 || ver == Version::kScale2510;
  const Json& data = params.at(0);
  const Json& options = data.value("options");
  const std::string method = setperm ? "filesystem.setperm" : "filesystem.chown";
  // Argument schema name: @accepts Dict name (legacy) or single_argument_args name (pydantic).
  const std::string arg = pydantic ? (setperm ? "filesystem_setperm" : "filesystem_chown")
                                   : (setperm ? "filesystem_permission" : "filesystem_ownership");
  const std::string path = data.value("path").asString();
  Verrors v;
  // Argument checks: ids in [-1, ACL_MAX_ID] (legacy Range, TS-24.10.2.4 acl.py:127-128;
  // pydantic AceWhoId); mode 000-777 (UnixPerm); the payload must change something (24.10 acl.py:
  // 161-163; pydantic model validators, api/v25_10_0/filesystem.py:72-79,94-101).
  for (const char* key : {"uid", "gid"}) {
    const Json& id = data.value(key);
    if (core || !id.isInt() || (id.asInt() >= -1 && id.asInt() <= kMaxId)) continue;
    if (pydantic) {
      v.add(arg + "." + key, id.asInt() < -1 ? "Input should be greater than or equal to -1"
                                             : "Input should be less than or equal to 2147483647");
    } else {
      v.add(arg + "." + key, "Should be between -1 and 2147483647");
    }
  }
  const Json& modeArg = data.value("mode");
  std::optional<int64_t> mode;
  if (setperm && !modeArg.isNull()) {
    mode = octal(modeArg.asString());
    if (!mode || (*mode & 0777) != *mode) {
      const std::string msg = !mode ? "Not a valid integer. Must be between 000 and 777"
                                    : "Please supply a value between 000 and 777";
      v.add(arg + ".mode", pydantic ? "Value error, " + msg : msg);
    }
  }
  auto unset = [&](const char* key) {
    const Json& x = data.value(key);
    return x.isNull() || (x.isInt() && x.asInt() == -1);
  };
  if (pydantic && !setperm && unset("uid") && unset("gid") && unset("user") && unset("group")) {
    v.add(arg,
          "Value error, At least one of uid, gid, user, and group must be set in chown "
          "payload");
  }
  const bool stripacl = options.value("stripacl", false).asBool();
  if (pydantic && setperm && modeArg.isNull() && !stripacl) {
    v.add(arg,
          "Value error, Payload must either explicitly specify permissions or contain the "
          "stripacl option.");
  }
  TNAS_SIM_VERRORS_CHECK(v);

  int64_t uid = data.value("uid").isInt() ? data.value("uid").asInt() : -1;
  int64_t gid = data.value("gid").isInt() ? data.value("gid").asInt() : -1;
  if (ver == Version::kScale2410 && !setperm && uid == -1 && gid == -1) {
    v.add("filesystem.chown.uid", "Please specify either user or group to change.");
  }
  if (pydantic) {  // names (TS-25.04.2.6 acl.py:184-196, 256-268)
    for (const char* key : {"user", "group"}) {
      const Json& name = data.value(key);
      if (!name.isString()) continue;
      const auto& table = std::string(key) == "user" ? kScaleUsers : kScaleGroups;
      auto it = table.find(name.asString());
      if (it == table.end()) {
        v.add(method + "." + key, name.asString() + ": " + key + " does not exist");
      } else {
        (std::string(key) == "user" ? uid : gid) = it->second;
      }
    }
  }
  TNAS_ASSIGN_OR_RETURN(std::string ds, permPathCheck(method, path, v));
  Json perm = ds.empty() ? permOf(Json::object()) : permOf(state_.datasets.at(ds));
  if (setperm) {
    if (perm.value("acl").asBool() && !stripacl) {
      const std::string msg = "Non-trivial ACL present on [" + path +
                              "]. Option \"stripacl\" required to change permission.";
      if (core) return callError(msg, EINVAL);  // TN-13.0-U6.8 filesystem.py:564-568
      v.add("filesystem.setperm.mode", msg);    // TS-24.10.2.4 acl.py:254-261
    }
    if (!core && mode && *mode == 0) {
      v.add("filesystem.setperm.mode", "Empty permissions are not permitted.");  // acl.py:263-267
    }
  }
  TNAS_SIM_VERRORS_CHECK(v);
  if (ds.empty()) return callError("Path " + path + " not found", ENOENT);  // unreachable: /mnt
  // Apply: setperm strips the ACL, chmods when mode is non-zero (`if mode:`), then chowns; -1
  // leaves an id unchanged (os.chown).
  if (setperm) {
    perm.set("acl", false);
    if (mode && *mode != 0) perm.set("mode", *mode);
  }
  if (uid != -1) perm.set("uid", uid);
  if (gid != -1) perm.set("gid", gid);
  state_.datasets[ds].set("perm", perm);
  Json ev = Json::object();
  ev.set("event", "path.setperm");
  ev.set("name", ds);
  ev.set("mountpoint", "/mnt/" + ds);
  ev.set("mode", perm.value("mode"));
  ev.set("uid", perm.value("uid"));
  ev.set("gid", perm.value("gid"));
  emit(std::move(ev));
  return Json();
}

}  // namespace tnascsi::sim

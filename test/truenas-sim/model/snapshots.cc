// Snapshots: zfs.snapshot.* (CORE, 24.10, 25.04, private on 25.10) and pool.snapshot.* (25.10)
// with create/delete/query/get_instance/clone/rollback/hold/release/update (reference §3.8);
// pool.dataset.destroy_snapshots is in snapshot_destroy.cc.
#include <algorithm>
#include <cerrno>
#include <ctime>
#include <regex>

#include "test/truenas-sim/model/api_error.h"
#include "test/truenas-sim/model/model.h"
#include "test/truenas-sim/model/query.h"
#include "test/truenas-sim/model/schema.h"

namespace tnascsi::sim {
namespace {

Json sprop(Json parsed, const std::string& raw, Json value) {
  Json p = Json::object();
  p.set("value", std::move(value));
  p.set("rawvalue", raw);
  p.set("source", "NONE");
  p.set("parsed", std::move(parsed));
  return p;
}

std::string expandSchema(const std::string& schema, int64_t now) {
  std::time_t t = static_cast<std::time_t>(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[512];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  size_t n = std::strftime(buf, sizeof(buf), schema.c_str(), &tm);  // naming_schema is strftime
#pragma GCC diagnostic pop
  return std::string(buf, n);
}

bool validSnapshotComponent(const std::string& s) {
  static const std::regex kRe("^[A-Za-z0-9_.:-]+$");
  return !s.empty() && std::regex_match(s, kRe);
}

}  // namespace

std::vector<std::string> Model::clonesOf(const std::string& snapshot) const {
  std::vector<std::string> out;
  for (const auto& [n, rec] : state_.datasets) {
    if (rec.value("origin").asString() == snapshot) out.push_back(n);
  }
  return out;
}

std::vector<Json> Model::snapshotEntries() const {
  std::vector<Json> out;
  for (const auto& [name, rec] : state_.snapshots) {
    const std::string ds = rec.value("dataset").asString();
    Json e = Json::object();
    e.set("id", name);
    e.set("name", name);
    e.set("pool", ds.substr(0, ds.find('/')));
    e.set("type", "SNAPSHOT");
    e.set("snapshot_name", rec.value("snapshot_name"));
    e.set("dataset", ds);
    e.set("createtxg", std::to_string(rec.value("createtxg").asInt()));
    Json props = Json::object();
    int64_t c = rec.value("creation").asInt();
    props.set("creation", sprop(Json::date(c * 1000), std::to_string(c), std::to_string(c)));
    props.set("used", sprop(0, "0", "0B"));
    int64_t ref = rec.value("referenced", 0).asInt();
    props.set("referenced", sprop(ref, std::to_string(ref), humanSize(ref)));
    std::string clones;
    for (const auto& cl : clonesOf(name)) clones += (clones.empty() ? "" : ",") + cl;
    props.set("clones", sprop(clones, clones, clones));
    int64_t holds = static_cast<int64_t>(rec.value("holds", Json::object()).size());
    props.set("userrefs", sprop(holds, std::to_string(holds), std::to_string(holds)));
    bool deferred = rec.value("defer_destroy", false).asBool();
    props.set("defer_destroy", sprop(deferred, deferred ? "on" : "off", deferred ? "on" : "off"));
    // ZFS: a snapshot inherits the user properties of its dataset (set there or on an ancestor);
    // the middleware reports them with source INHERITED (TS-25.10.0:src/middlewared/middlewared/
    // api/v25_10_0/pool_snapshot.py:46-55 "INHERITED: Inherited from parent dataset"; the same
    // libzfs property serialization on every version). Own ones are LOCAL and win.
    for (std::string cur = ds;;) {
      auto dit = state_.datasets.find(cur);
      if (dit != state_.datasets.end()) {
        for (const auto& [k, v] : dit->second.value("user_properties").asObject()) {
          if (props.contains(k)) continue;  // a nearer ancestor already set it
          Json up = sprop(v, v.asString(), v);
          up.set("source", "INHERITED");
          props.set(k, std::move(up));
        }
      }
      const size_t slash = cur.rfind('/');
      if (slash == std::string::npos) break;
      cur = cur.substr(0, slash);
    }
    for (const auto& [k, v] : rec.value("user_properties").asObject()) {
      Json up = sprop(v, v.asString(), v);
      up.set("source", "LOCAL");
      props.set(k, std::move(up));
    }
    e.set("properties", std::move(props));
    if (personality_.version == Version::kScale2510) {
      Json up = Json::object();
      for (const auto& [k, v] : rec.value("user_properties").asObject()) {
        up.set(k, v);
      }
      e.set("user_properties", std::move(up));
    }
    e.set("holds", rec.value("holds", Json::object()));
    out.push_back(std::move(e));
  }
  return out;
}

void Model::registerSnapshots(const std::string& ns) {
  const std::string verbose = ns == "pool.snapshot" ? "PoolSnapshot" : "ZFSSnapshot";
  reg(
      ns + ".query",
      [this](const Json& a) { return runQuery(snapshotEntries(), a.at(0), a.at(1)); }, false);
  reg(
      ns + ".get_instance",
      [this, verbose](const Json& a) {
        return getInstance(snapshotEntries(), "id", a.at(0), verbose, a.at(1));
      },
      false);
  reg(ns + ".create", [this](const Json& a) { return snapshotCreate(a); });
  reg(ns + ".delete", [this](const Json& a) { return snapshotDelete(a); });
  reg(ns + ".clone", [this](const Json& a) { return snapshotClone(a); });
  reg(ns + ".rollback", [this](const Json& a) { return snapshotRollback(a); });
  reg(ns + ".update", [this](const Json& a) { return snapshotUpdate(a); });
  for (const char* verb : {"hold", "release"}) {
    const bool hold = std::string(verb) == "hold";
    reg(ns + "." + verb, [this, hold, verbose](const Json& a) -> StatusOr<Json> {
      const std::string id = a.at(0).asString();
      auto it = state_.snapshots.find(id);
      if (it == state_.snapshots.end()) return instanceNotFound(verbose, id);
      Json& holds = state_.snapshots.edit(it)["holds"];
      if (!holds.isObject()) holds = Json::object();
      if (hold) {
        holds.set("truenas", nowSeconds());
      } else {
        holds.erase("truenas");
      }
      return Json();
    });
  }
}

StatusOr<Json> Model::snapshotCreate(const Json& params) {
  const Json data = params.at(0);
  Verrors v;
  ArgCheck c(data, "snapshot_create", false, v);
  TNAS_SIM_VERRORS_CHECK(v);
  std::vector<std::string> allowed = {"dataset", "name",        "naming_schema", "recursive",
                                      "exclude", "vmware_sync", "properties"};
  if (personality_.suspendVms) allowed.push_back("suspend_vms");
  c.allowOnly(allowed);
  auto dataset = c.str("dataset", true);
  auto name = c.str("name");
  auto schema = c.str("naming_schema");
  c.boolean("recursive");
  auto exclude = c.list("exclude");
  TNAS_SIM_VERRORS_CHECK(v);
  if (name && schema) {
    c.error("naming_schema", "You can't specify name and naming schema at the same time");
  } else if (!name && !schema) {
    c.error("naming_schema", "You must specify either name or naming schema");
  }
  TNAS_SIM_VERRORS_CHECK(v);
  std::string snapName = name ? *name : expandSchema(*schema, nowSeconds());
  const std::string full = *dataset + "@" + snapName;
  if (!validSnapshotComponent(snapName) || full.size() >= 256) {
    c.error("name", "Invalid snapshot name");
  }
  TNAS_SIM_VERRORS_CHECK(v);
  if (!state_.datasets.count(*dataset)) {
    return callError(
        "Failed to snapshot " + full + ": cannot open '" + *dataset + "': dataset does not exist",
        ENOENT);
  }
  std::vector<std::string> targets = {*dataset};
  if (data.value("recursive", false).asBool()) {
    for (const auto& [n, rec] : state_.datasets) {
      if (!isChildOf(n, *dataset)) continue;
      bool excluded = false;
      for (const Json& x : exclude.value_or(Json::Array{})) excluded |= x.asString() == n;
      if (!excluded) targets.push_back(n);
    }
  }
  for (const auto& ds : targets) {
    if (state_.snapshots.count(ds + "@" + snapName)) {
      return callError("Failed to snapshot " + full + ": dataset already exists", EEXIST);
    }
  }
  const int64_t txg = ++state_.txg;
  for (const auto& ds : targets) {
    const Json& drec = state_.datasets.at(ds);
    Json rec = Json::object();
    rec.set("name", ds + "@" + snapName);
    rec.set("dataset", ds);
    rec.set("snapshot_name", snapName);
    rec.set("createtxg", txg);
    rec.set("creation", nowSeconds());
    rec.set("referenced", drec.value("written", 0));
    rec.set("user_properties", Json::object());
    for (const auto& [k, pv] : data.value("properties").asObject()) {
      if (k.find(':') != std::string::npos) rec["user_properties"].set(k, pv);
    }
    rec.set("holds", Json::object());
    if (drec.value("type").asString() != "VOLUME") rec.set("perm", permOf(drec));
    if (drec.value("type").asString() == "VOLUME") {
      rec.set("volsize", drec.value("volsize"));
    }
    state_.snapshots[ds + "@" + snapName] = rec;
    Json ev = Json::object();
    ev.set("event", "snapshot.create");
    ev.set("snapshot", ds + "@" + snapName);
    ev.set("dataset", ds);
    ev.set("type", drec.value("type"));
    emit(std::move(ev));
  }
  for (const Json& e : snapshotEntries()) {
    if (e.value("id").asString() == full) return e;
  }
  return Json();
}

StatusOr<Json> Model::snapshotDelete(const Json& params) {
  const std::string id = params.at(0).asString();
  const Json options = params.at(1).isObject() ? params.at(1) : Json::object();
  {
    // Options: `defer` and `recursive` on SCALE (TS-24.10.2.4:src/middlewared/middlewared/plugins/
    // zfs_/snapshot.py:277-284, TS-25.04.2.6:.../zfs_/snapshot.py:253-260, TS-25.10.0:.../api/
    // v25_10_0/pool_snapshot.py:135-139); only `defer` on CORE 13.0 (TN-13.0-U6.8:.../plugins/
    // zfs.py:1052-1055), where `recursive` is "Field was not expected".
    Verrors v;
    ArgCheck c(options, "options", personality_.version == Version::kScale2510, v);
    std::vector<std::string> allowed = {"defer"};
    if (!personality_.isCore()) allowed.push_back("recursive");
    c.allowOnly(allowed);
    c.boolean("defer");
    if (!personality_.isCore()) c.boolean("recursive");
    TNAS_SIM_VERRORS_CHECK(v);
  }
  const bool defer = options.value("defer", false).asBool();
  const std::string verbose =
      personality_.snapshotNs == "pool.snapshot" ? "PoolSnapshot" : "ZFSSnapshot";
  auto it = state_.snapshots.find(id);
  if (it == state_.snapshots.end()) return instanceNotFound(verbose, id);
  std::vector<std::string> victims = {id};
  if (options.value("recursive", false).asBool()) {
    const std::string ds = it->second.value("dataset").asString();
    const std::string sn = it->second.value("snapshot_name").asString();
    for (const auto& [n, rec] : state_.snapshots) {
      if (isChildOf(rec.value("dataset").asString(), ds) &&
          rec.value("snapshot_name").asString() == sn) {
        victims.push_back(n);
      }
    }
  }
  for (const auto& s : victims) {
    auto clones = clonesOf(s);
    if (!clones.empty() && !defer) {
      std::string list;
      for (const auto& cl : clones) list += (list.empty() ? "" : ", ") + cl;
      return validationError("options.defer", "Please set this attribute as '" + s +
                                                  "' snapshot has dependent clones: " + list);
    }
    if (state_.snapshots.at(s).value("holds", Json::object()).size() > 0 && !defer) {
      return callError("cannot destroy snapshot " + s + ": dataset is busy", EBUSY);
    }
  }
  for (const auto& s : victims) {
    const Json& rec = state_.snapshots.at(s);
    if (defer && (!clonesOf(s).empty() || rec.value("holds", Json::object()).size() > 0)) {
      // Destroyed when the last clone/hold goes.
      state_.snapshots.edit(state_.snapshots.find(s)).set("defer_destroy", true);
      continue;
    }
    eraseSnapshot(s);
  }
  return Json(true);
}

void Model::eraseDataset(const std::string& name) {
  const bool volume = state_.datasets.at(name).value("type").asString() == "VOLUME";
  Json ev = Json::object();
  ev.set("event", volume ? "zvol.delete" : "dataset.delete");
  ev.set("name", name);
  if (!volume) ev.set("mountpoint", "/mnt/" + name);
  emit(std::move(ev));
  state_.datasets.erase(name);
}

void Model::eraseSnapshot(const std::string& name) {
  const std::string ds = state_.snapshots.at(name).value("dataset").asString();
  Json ev = Json::object();
  ev.set("event", "snapshot.delete");
  ev.set("snapshot", name);
  ev.set("dataset", ds);
  auto dataset = state_.datasets.find(ds);
  ev.set("type", dataset == state_.datasets.end() ? Json() : dataset->second.value("type"));
  emit(std::move(ev));
  state_.snapshots.erase(name);
}

StatusOr<Json> Model::snapshotClone(const Json& params) {
  const Json data = params.at(0);
  Verrors v;
  ArgCheck c(data, "snapshot_clone", false, v);
  TNAS_SIM_VERRORS_CHECK(v);
  // CORE 13.0 takes only snapshot and dataset_dst (TN-13.0-U6.8:src/middlewared/middlewared/
  // plugins/zfs.py:1071-1075); SCALE adds dataset_properties (TS-24.10.2.4:.../plugins/zfs_/
  // snapshot_actions.py:14-22).
  if (personality_.isCore()) {
    c.allowOnly({"snapshot", "dataset_dst"});
  } else {
    c.allowOnly({"snapshot", "dataset_dst", "dataset_properties"});
  }
  auto snap = c.str("snapshot", true);
  auto dst = c.str("dataset_dst", true);
  TNAS_SIM_VERRORS_CHECK(v);
  auto sit = state_.snapshots.find(*snap);
  if (sit == state_.snapshots.end()) {
    return callError("Failed to clone snapshot: cannot open '" + *snap +
                     "': dataset does not exist");
  }
  if (state_.datasets.count(*dst)) {
    return callError("Failed to clone snapshot: cannot create '" + *dst +
                     "': dataset already exists");
  }
  const size_t slash = dst->rfind('/');
  if (slash == std::string::npos || !state_.datasets.count(dst->substr(0, slash))) {
    return callError("Failed to clone snapshot: cannot create '" + *dst +
                     "': parent does not exist");
  }
  if (dst->substr(0, dst->find('/')) != snap->substr(0, snap->find('/'))) {
    return callError("Failed to clone snapshot: cannot create '" + *dst +
                     "': source and target pools differ");
  }
  const std::string origDs = sit->second.value("dataset").asString();
  const Json& orig = state_.datasets.at(origDs);
  Json rec = Json::object();
  rec.set("name", *dst);
  rec.set("type", orig.value("type"));
  rec.set("creation", nowSeconds());
  rec.set("origin", *snap);
  rec.set("props", Json::object());
  rec.set("user_properties", Json::object());
  const bool volume = orig.value("type").asString() == "VOLUME";
  if (volume) {
    rec.set("volsize", sit->second.value("volsize", orig.value("volsize")));
    rec.set("volblocksize", orig.value("volblocksize"));
    rec.set("sparse", true);
    rec.set("written", int64_t{8192});
  } else {
    rec.set("written", int64_t{8192});
    rec.set("perm", permOf(sit->second));  // the clone's root is the snapshot's
  }
  for (const auto& [k, pv] : data.value("dataset_properties").asObject()) {
    if (k.find(':') != std::string::npos) {
      rec["user_properties"].set(k, pv);
    } else if (k == "quota" || k == "refquota" || k == "reservation" || k == "refreservation") {
      // zfs clone -o: the space properties are set like on create (parsed by libzfs).
      auto bytes = parseSize(pv.isString() ? pv.asString() : pv.dump());
      if (!bytes) return callError("Failed to clone snapshot: bad numeric value '" + k + "'");
      rec.set(k, *bytes);
    } else {
      rec["props"].set(k, pv.isString() ? pv.asString() : pv.dump());
    }
  }
  state_.datasets[*dst] = rec;
  Json ev = Json::object();
  ev.set("event", "snapshot.clone");
  ev.set("snapshot", *snap);
  ev.set("name", *dst);
  ev.set("type", orig.value("type"));
  if (!volume) ev.set("mountpoint", "/mnt/" + *dst);
  emit(std::move(ev));
  return Json(true);
}

StatusOr<Json> Model::snapshotRollback(const Json& params) {
  const std::string id = params.at(0).asString();
  const Json options = params.at(1).isObject() ? params.at(1) : Json::object();
  auto it = state_.snapshots.find(id);
  if (it == state_.snapshots.end()) {
    return callError("Failed to rollback snapshot: cannot open '" + id +
                     "': dataset does not exist");
  }
  const std::string ds = it->second.value("dataset").asString();
  const int64_t txg = it->second.value("createtxg").asInt();
  std::vector<std::string> newer;
  for (const auto& [n, rec] : state_.snapshots) {
    if (rec.value("dataset").asString() == ds && rec.value("createtxg").asInt() > txg) {
      newer.push_back(n);
    }
  }
  const bool recursive = options.value("recursive", false).asBool();
  const bool recursiveClones = options.value("recursive_clones", false).asBool();
  if (!newer.empty() && !recursive && !recursiveClones) {
    std::string list;
    for (const auto& n : newer) list += "\n" + n;
    return callError("Failed to rollback snapshot: cannot rollback to '" + id +
                     "': more recent snapshots or bookmarks exist\nuse '-r' to force deletion "
                     "of the following snapshots and bookmarks:" +
                     list);
  }
  for (const auto& n : newer) {
    auto clones = clonesOf(n);
    if (!clones.empty() && !recursiveClones) {
      return callError("Failed to rollback snapshot: cannot rollback to '" + id +
                       "': clones of previous snapshots exist\nuse '-R' to force deletion of "
                       "the following clones and dependents:\n" +
                       clones.front());
    }
  }
  for (const auto& n : newer) {
    for (const auto& cl : clonesOf(n)) {
      TNAS_RETURN_IF_ERROR(removeDatasetAttachments(cl, false));
      eraseDataset(cl);
    }
    eraseSnapshot(n);
  }
  Json& drec = state_.datasets[ds];
  if (drec.value("type").asString() == "VOLUME" && it->second.contains("volsize")) {
    drec.set("volsize", it->second.value("volsize"));
  }
  if (it->second.contains("perm")) drec.set("perm", it->second.value("perm"));
  Json ev = Json::object();
  ev.set("event", "snapshot.rollback");
  ev.set("snapshot", id);
  ev.set("dataset", ds);
  ev.set("type", drec.value("type"));
  emit(std::move(ev));
  return Json();
}

StatusOr<Json> Model::snapshotUpdate(const Json& params) {
  const std::string id = params.at(0).asString();
  const Json data = params.at(1);
  const std::string verbose =
      personality_.snapshotNs == "pool.snapshot" ? "PoolSnapshot" : "ZFSSnapshot";
  auto it = state_.snapshots.find(id);
  if (it == state_.snapshots.end()) return instanceNotFound(verbose, id);
  Verrors v;
  ArgCheck c(data, "snapshot_update", personality_.version == Version::kScale2510, v);
  TNAS_SIM_VERRORS_CHECK(v);
  std::vector<std::string> allowed = {"user_properties_update"};
  if (personality_.version == Version::kScale2510) allowed.push_back("user_properties_remove");
  c.allowOnly(allowed);
  TNAS_SIM_VERRORS_CHECK(v);
  Json& ups = state_.snapshots.edit(it)["user_properties"];
  if (!ups.isObject()) ups = Json::object();
  for (const Json& up : data.value("user_properties_update").asArray()) {
    const std::string key = up.value("key").asString();
    if (up.value("remove", false).asBool()) {
      ups.erase(key);
    } else {
      ups.set(key, up.value("value"));
    }
  }
  for (const Json& key : data.value("user_properties_remove").asArray()) {
    ups.erase(key.asString());
  }
  for (const Json& e : snapshotEntries()) {
    if (e.value("id").asString() == id) return e;
  }
  return Json();
}

}  // namespace tnascsi::sim

// Model core: method table, transactional call() with backing events and rollback, persistence,
// pools and small helpers. Domain methods live in datasets.cc, snapshots.cc, iscsi*.cc, nfs.cc,
// system.cc.
#include "test/truenas-sim/model/model.h"

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "common/log/log.h"
#include "test/truenas-sim/model/api_error.h"
#include "test/truenas-sim/model/query.h"

namespace tnascsi::sim {

Model::Model(Personality personality, Backing& backing, common::Clock& clock,
             std::string backingRoot)
    : personality_(std::move(personality)),
      backing_(backing),
      clock_(clock),
      backingRoot_(std::move(backingRoot)) {
  Json g = Json::object();
  g.set("id", 1);
  g.set("basename", "iqn.2005-10.org.freenas.ctl");
  g.set("isns_servers", Json::array());
  g.set("listen_port", 3260);
  g.set("pool_avail_threshold", nullptr);
  g.set("alua", false);
  if (personality_.iscsiIser) g.set("iser", false);
  state_.iscsiGlobal = std::move(g);
  int64_t sid = 1;
  for (const char* name : {"iscsitarget", "nfs", "ssh", "cifs"}) {
    Json s = Json::object();
    s.set("id", sid++);
    s.set("service", name);
    s.set("enable", false);
    s.set("state", "STOPPED");
    s.set("pids", Json::array());
    state_.services[name] = std::move(s);
  }
  Json nfs = Json::object();
  nfs.set("id", 1);
  nfs.set("servers", 4);
  nfs.set("allow_nonroot", false);
  Json protocols = Json::array();
  protocols.push("NFSV3");
  protocols.push("NFSV4");
  nfs.set("protocols", std::move(protocols));
  nfs.set("v4_krb", false);
  nfs.set("v4_domain", "");
  nfs.set("bindip", Json::array());
  nfs.set("mountd_port", nullptr);
  nfs.set("rpcstatd_port", nullptr);
  nfs.set("rpclockd_port", nullptr);
  nfs.set("mountd_log", false);
  nfs.set("statd_lockd_log", false);
  nfs.set("v4_krb_enabled", false);
  nfs.set("userd_manage_gids", false);
  nfs.set("keytab_has_nfs_spn", false);
  nfs.set("managed_nfsd", true);
  nfs.set("rdma", false);
  if (personality_.isCore()) {
    // CORE 13.0 switches NFSv4 with a `v4` flag, off by default (TN-13.0-U6.8:src/middlewared/
    // middlewared/plugins/nfs.py:24,101) instead of SCALE's `protocols`.
    nfs.erase("protocols");
    nfs.erase("rdma");
    nfs.set("v4", false);
    nfs.set("v4_v3owner", false);
  }
  state_.nfsConfig = std::move(nfs);
  registerMethods();
}

void Model::registerMethods() {
  registerSystem();
  registerDatasets();
  registerSnapshots(personality_.snapshotNs);
  if (personality_.zfsSnapshotPrivate) registerSnapshots("zfs.snapshot");
  if (hasReplication()) {
    reg("replication.run_onetime", [this](const Json& a) { return replicationRunOnetime(a); });
  }
  registerIscsi();
  registerNfs();
  registerFilesystem();
}

void Model::addPool(const std::string& name, int64_t sizeBytes, bool draid) {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_.pools.count(name)) return;
  Json pool = Json::object();
  pool.set("id", nextId("pool"));
  pool.set("name", name);
  pool.set("size", sizeBytes);
  pool.set("guid", newGuid());
  pool.set("draid", draid);
  state_.pools[name] = std::move(pool);
  Json root = Json::object();
  root.set("name", name);
  root.set("type", "FILESYSTEM");
  root.set("creation", nowSeconds());
  root.set("written", int64_t{98304});
  root.set("origin", "");
  Json props = Json::object();
  props.set("compression", "LZ4");
  props.set("atime", "OFF");
  props.set("aclmode", "DISCARD");
  props.set("acltype", "POSIX");
  props.set("xattr", "SA");
  root.set("props", std::move(props));
  root.set("user_properties", Json::object());
  state_.datasets[name] = std::move(root);
}

bool Model::hasMethod(const std::string& method) const {
  return handlers_.count(method) > 0;
}

bool Model::hasService(const std::string& service) const {
  const std::string prefix = service + ".";
  for (auto it = handlers_.lower_bound(prefix);
       it != handlers_.end() && it->first.rfind(prefix, 0) == 0; ++it) {
    if (it->first.find('.', prefix.size()) == std::string::npos) return true;
  }
  return false;
}

bool Model::isJob(const std::string& method) const {
  return method == "pool.dataset.destroy_snapshots" || method == "service.control" ||
         method == "replication.run_onetime" || method == "filesystem.setperm" ||
         method == "filesystem.chown";
}

StatusOr<Json> Model::call(const std::string& method, const Json& params) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = handlers_.find(method);
  if (it == handlers_.end()) return methodNotFound();
  Json args = params.isArray() ? params : Json::array();
  if (!it->second.mutates) return it->second.handler(args);

  Scalars before = beginTx();
  StatusOr<Json> result = it->second.handler(args);
  if (!result.ok()) {
    rollbackTx(std::move(before));
    return result;
  }
  if (backing_.consumesEvents()) {
    if (iscsiChanged_) pendingEvents_.push_back(iscsiConfigEvent());
    if (nfsChanged_) pendingEvents_.push_back(nfsConfigEvent());
    for (const Json& event : pendingEvents_) {
      Status s = backing_.apply(event);
      if (!s.ok()) {
        TNAS_LOG(Warn).kv("method", method).kv("event", event.value("event").asString())
            << "backing failed: " << s.message();
        rollbackTx(std::move(before));
        return callError(std::string(s.message()), EFAULT);
      }
    }
  }
  commitTx();
  if (onMutation_) onMutation_();
  return result;
}

Model::Scalars Model::beginTx() {
  pendingEvents_.clear();
  iscsiChanged_ = false;
  nfsChanged_ = false;
  state_.forEachTable([](auto& table) { table.beginTx(); });
  return state_;  // the Scalars part only
}

void Model::commitTx() {
  pendingEvents_.clear();
  state_.forEachTable([](auto& table) { table.commit(); });
}

void Model::rollbackTx(Scalars before) {
  pendingEvents_.clear();
  state_.forEachTable([](auto& table) { table.rollback(); });
  static_cast<Scalars&>(state_) = std::move(before);
}

void Model::emit(Json event) {
  Json e = Json::object();
  e.set("event", event.value("event"));
  e.set("root", backingRoot_);
  for (const auto& [k, v] : event.asObject()) {
    if (k != "event") e.set(k, v);
  }
  pendingEvents_.push_back(std::move(e));
}

namespace {

template <typename K>
Json mapToJson(const TxMap<K>& m) {
  Json out = Json::array();
  for (const auto& [k, v] : m) out.push(v);
  return out;
}
void loadIntMap(const Json& arr, TxMap<int64_t>& m) {
  std::map<int64_t, Json> rows;
  for (const Json& v : arr.asArray()) rows[v.value("id").asInt()] = v;
  m = TxMap<int64_t>(std::move(rows));
}
void loadStrMap(const Json& arr, const char* key, TxMap<std::string>& m) {
  std::map<std::string, Json> rows;
  for (const Json& v : arr.asArray()) rows[v.value(key).asString()] = v;
  m = TxMap<std::string>(std::move(rows));
}

}  // namespace

Json Model::stateToJson(const State& s) const {
  Json j = Json::object();
  j.set("format", 1);
  j.set("personality", personality_.name);
  j.set("pools", mapToJson(s.pools));
  j.set("datasets", mapToJson(s.datasets));
  j.set("snapshots", mapToJson(s.snapshots));
  j.set("iscsi_global", s.iscsiGlobal);
  j.set("portals", mapToJson(s.portals));
  j.set("initiators", mapToJson(s.initiators));
  j.set("auths", mapToJson(s.auths));
  j.set("targets", mapToJson(s.targets));
  j.set("extents", mapToJson(s.extents));
  j.set("targetextents", mapToJson(s.targetextents));
  j.set("nfs_shares", mapToJson(s.nfsShares));
  j.set("nfs_config", s.nfsConfig);
  j.set("services", mapToJson(s.services));
  Json ids = Json::object();
  for (const auto& [k, v] : s.nextIds) ids.set(k, v);
  j.set("next_ids", std::move(ids));
  j.set("txg", s.txg);
  j.set("rng", static_cast<int64_t>(s.rng >> 1));
  return j;
}

Json Model::save() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stateToJson(state_);
}

Status Model::load(const Json& j) {
  std::lock_guard<std::mutex> lock(mu_);
  if (j.value("format").asInt() != 1) return absl::InvalidArgumentError("unknown state format");
  if (j.value("personality").asString() != personality_.name) {
    return absl::FailedPreconditionError("state was saved by personality " +
                                         j.value("personality").asString());
  }
  State s;
  loadStrMap(j.value("pools"), "name", s.pools);
  loadStrMap(j.value("datasets"), "name", s.datasets);
  loadStrMap(j.value("snapshots"), "name", s.snapshots);
  s.iscsiGlobal = j.value("iscsi_global");
  loadIntMap(j.value("portals"), s.portals);
  loadIntMap(j.value("initiators"), s.initiators);
  loadIntMap(j.value("auths"), s.auths);
  loadIntMap(j.value("targets"), s.targets);
  loadIntMap(j.value("extents"), s.extents);
  loadIntMap(j.value("targetextents"), s.targetextents);
  loadIntMap(j.value("nfs_shares"), s.nfsShares);
  s.nfsConfig = j.value("nfs_config");
  loadStrMap(j.value("services"), "service", s.services);
  for (const auto& [k, v] : j.value("next_ids").asObject()) s.nextIds[k] = v.asInt();
  s.txg = j.value("txg").asInt();
  s.rng = static_cast<uint64_t>(j.value("rng").asInt()) * 2 + 1;
  state_ = std::move(s);
  return absl::OkStatus();
}

std::vector<Json> Model::poolEntries() const {
  std::vector<Json> out;
  for (const auto& [name, p] : state_.pools) {
    int64_t size = p.value("size").asInt();
    int64_t free = poolFree(name);
    Json e = Json::object();
    e.set("id", p.value("id"));
    e.set("name", name);
    e.set("guid", p.value("guid"));
    e.set("status", "ONLINE");
    e.set("path", "/mnt/" + name);
    e.set("scan", nullptr);
    e.set("expand", nullptr);
    e.set("is_upgraded", true);
    e.set("healthy", true);
    e.set("warning", false);
    e.set("status_code", "HEALTHY");
    e.set("status_detail", nullptr);
    e.set("size", size);
    e.set("allocated", size - free);
    e.set("free", free);
    e.set("freeing", 0);
    e.set("dedup_table_size", 0);
    e.set("dedup_table_quota", "auto");
    e.set("fragmentation", "0");
    e.set("size_str", std::to_string(size));
    e.set("allocated_str", std::to_string(size - free));
    e.set("free_str", std::to_string(free));
    e.set("freeing_str", "0");
    Json autotrim = Json::object();
    autotrim.set("parsed", "off");
    autotrim.set("rawvalue", "off");
    autotrim.set("source", "DEFAULT");
    autotrim.set("value", "off");
    e.set("autotrim", std::move(autotrim));
    Json topo = Json::object();
    Json data = Json::array();
    if (p.value("draid", false).asBool()) {
      // One dRAID group as libzfs names it; pool.transform_topology upper-cases the type
      // (TS-24.10.2.4:src/middlewared/middlewared/plugins/pool_/topology.py:53-61).
      Json vdev = Json::object();
      vdev.set("name", "draid1:3d:4c:0s-0");
      vdev.set("type", "DRAID");
      vdev.set("path", nullptr);
      vdev.set("guid", p.value("guid"));
      vdev.set("status", "ONLINE");
      Json stats = Json::object();
      stats.set("draid_spare_disks", 0);
      stats.set("draid_data_disks", 3);
      stats.set("draid_parity", 1);
      vdev.set("stats", std::move(stats));
      vdev.set("children", Json::array());
      data.push(std::move(vdev));
    }
    topo.set("data", std::move(data));
    topo.set("log", Json::array());
    topo.set("cache", Json::array());
    topo.set("spare", Json::array());
    topo.set("special", Json::array());
    topo.set("dedup", Json::array());
    e.set("topology", std::move(topo));
    out.push_back(std::move(e));
  }
  return out;
}

int64_t Model::nowSeconds() const {
  return std::chrono::duration_cast<std::chrono::seconds>(clock_.wallNow().time_since_epoch())
      .count();
}

namespace {
uint64_t nextRandom(uint64_t& s) {
  s ^= s << 13;
  s ^= s >> 7;
  s ^= s << 17;
  return s;
}
std::string hex(uint64_t v, int digits) {
  static const char* kDigits = "0123456789abcdef";
  std::string out(static_cast<size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i) {
    out[static_cast<size_t>(i)] = kDigits[v & 0xF];
    v >>= 4;
  }
  return out;
}
}  // namespace

std::string Model::newSerial() {
  return hex(nextRandom(state_.rng), 15);
}
std::string Model::newNaa() {
  // "0x6589cfc000000" + 19 hex characters = 34 characters.
  return "0x6589cfc000000" + hex(nextRandom(state_.rng), 16) + hex(nextRandom(state_.rng), 3);
}
std::string Model::newGuid() {
  return std::to_string(nextRandom(state_.rng) >> 1);
}

std::optional<int64_t> parseSize(const std::string& text) {
  if (text.empty()) return std::nullopt;
  size_t pos = 0;
  while (pos < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[pos])) || text[pos] == '.')) {
    ++pos;
  }
  if (pos == 0) return std::nullopt;
  double number = std::atof(text.substr(0, pos).c_str());
  std::string unit = text.substr(pos);
  if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b') && unit.size() > 1) {
    unit.pop_back();
  }
  if (unit.size() == 2 && (unit[1] == 'i')) unit.pop_back();
  double mult = 1;
  if (unit.empty() || unit == "B") {
    mult = 1;
  } else if (unit == "K" || unit == "k") {
    mult = 1024.0;
  } else if (unit == "M" || unit == "m") {
    mult = 1024.0 * 1024;
  } else if (unit == "G" || unit == "g") {
    mult = 1024.0 * 1024 * 1024;
  } else if (unit == "T" || unit == "t") {
    mult = 1024.0 * 1024 * 1024 * 1024;
  } else if (unit == "P" || unit == "p") {
    mult = 1024.0 * 1024 * 1024 * 1024 * 1024;
  } else {
    return std::nullopt;
  }
  return static_cast<int64_t>(std::llround(number * mult));
}

std::string humanSize(int64_t bytes) {
  static const char* kUnits[] = {"B", "K", "M", "G", "T", "P"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    ++u;
  }
  if (u == 0) return std::to_string(bytes) + "B";
  char buf[32];
  if (v == std::floor(v)) {
    std::snprintf(buf, sizeof(buf), "%.0f%s", v, kUnits[u]);
  } else {
    std::snprintf(buf, sizeof(buf), "%.2f%s", v, kUnits[u]);
  }
  return buf;
}

}  // namespace tnascsi::sim

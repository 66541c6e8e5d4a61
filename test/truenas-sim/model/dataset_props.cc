// pool.dataset entries: ZFS property dicts ({parsed, rawvalue, value, source, source_info}),
// inheritance of native and user properties, and the space accounting behind used/available.
//
// Space model (simplified, documented in README): a dataset charges max(refreservation,
// reservation, written) to its pool; written is 56 KiB for a zvol and 96 KiB for a filesystem;
// a thick zvol's refreservation equals its volsize. available = pool free, capped by the quotas
// of the dataset and its ancestors.
#include <algorithm>

#include "test/truenas-sim/model/model.h"

namespace tnascsi::sim {
namespace {

Json prop(Json parsed, const std::string& raw, Json value, const std::string& source,
          Json sourceInfo = nullptr) {
  Json p = Json::object();
  p.set("parsed", std::move(parsed));
  p.set("rawvalue", raw);
  p.set("value", std::move(value));
  p.set("source", source);
  p.set("source_info", std::move(sourceInfo));
  return p;
}

Json sizeProp(int64_t bytes, const std::string& source = "NONE") {
  return prop(bytes, std::to_string(bytes), humanSize(bytes), source);
}

// Quota-like: unset (0) shows value null.
Json quotaProp(int64_t bytes) {
  if (bytes <= 0) return prop(nullptr, "0", nullptr, "DEFAULT");
  return prop(bytes, std::to_string(bytes), humanSize(bytes), "LOCAL");
}

struct Default {
  const char* name;
  const char* value;
  bool fsOnly;
};

// Inheritable enum-like properties and their defaults.
const Default kInheritable[] = {
    {"sync", "STANDARD", false},
    {"compression", "LZ4", false},
    {"deduplication", "OFF", false},
    {"readonly", "OFF", false},
    {"exec", "ON", true},
    {"atime", "ON", true},
    {"snapdir", "HIDDEN", true},
    {"copies", "1", false},
    {"checksum", "ON", false},
    {"recordsize", "128K", true},
    {"aclmode", "DISCARD", true},
    {"acltype", "POSIX", true},
    {"casesensitivity", "SENSITIVE", true},
    {"xattr", "SA", true},
    {"snapdev", "HIDDEN", false},
    {"special_small_block_size", "0", false},
    {"quota_warning", "80", false},
    {"quota_critical", "95", false},
    {"refquota_warning", "80", false},
    {"refquota_critical", "95", false},
};

}  // namespace

bool Model::isChildOf(const std::string& name, const std::string& parent) const {
  return name.size() > parent.size() && name.compare(0, parent.size(), parent) == 0 &&
         name[parent.size()] == '/';
}

int64_t Model::charged(const Json& rec) const {
  return std::max({rec.value("refreservation", 0).asInt(), rec.value("reservation", 0).asInt(),
                   rec.value("written", 0).asInt()});
}

int64_t Model::usedTotal(const std::string& name) const {
  int64_t total = 0;
  for (const auto& [n, rec] : state_.datasets) {
    if (n == name || isChildOf(n, name)) total += charged(rec);
  }
  return total;
}

int64_t Model::poolFree(const std::string& pool) const {
  auto it = state_.pools.find(pool);
  if (it == state_.pools.end()) return 0;
  return std::max<int64_t>(0, it->second.value("size").asInt() - usedTotal(pool));
}

int64_t Model::available(const std::string& name) const {
  std::string pool = name.substr(0, name.find('/'));
  int64_t avail = poolFree(pool);
  auto self = state_.datasets.find(name);
  if (self != state_.datasets.end()) {
    // A dataset's own unconsumed reservation is available to it.
    const Json& rec = self->second;
    avail += std::max<int64_t>(0, charged(rec) - rec.value("written", 0).asInt());
    int64_t refquota = rec.value("refquota", 0).asInt();
    if (refquota > 0) avail = std::min(avail, refquota - rec.value("written", 0).asInt());
  }
  std::string cur = name;
  while (true) {
    auto it = state_.datasets.find(cur);
    if (it != state_.datasets.end()) {
      int64_t quota = it->second.value("quota", 0).asInt();
      if (quota > 0) avail = std::min(avail, quota - usedTotal(cur));
    }
    size_t slash = cur.rfind('/');
    if (slash == std::string::npos) break;
    cur = cur.substr(0, slash);
  }
  return std::max<int64_t>(0, avail);
}

Json Model::datasetEntry(const Json& rec, const Json& wanted) const {
  const std::string name = rec.value("name").asString();
  const bool volume = rec.value("type").asString() == "VOLUME";
  auto want = [&](const std::string& p) {
    if (!wanted.isArray()) return true;
    for (const Json& w : wanted.asArray()) {
      if (w.asString() == p) return true;
    }
    return false;
  };
  // Walks up from `name` to find where a property is set.
  auto lookup = [&](const std::string& key, const char* def) -> Json {
    std::string cur = name;
    bool self = true;
    while (true) {
      auto it = state_.datasets.find(cur);
      if (it != state_.datasets.end()) {
        const Json* v = it->second.value("props").get(key);
        if (v) {
          const std::string s = v->asString();
          return self ? prop(s, s, s, "LOCAL") : prop(s, s, s, "INHERITED", cur);
        }
      }
      size_t slash = cur.rfind('/');
      if (slash == std::string::npos) break;
      cur = cur.substr(0, slash);
      self = false;
    }
    return prop(def, def, def, "DEFAULT");
  };

  Json e = Json::object();
  e.set("id", name);
  e.set("type", rec.value("type"));
  e.set("name", name);
  e.set("pool", name.substr(0, name.find('/')));
  e.set("encrypted", false);
  e.set("encryption_root", nullptr);
  e.set("key_loaded", false);
  e.set("children", Json::array());
  // User properties: own ones LOCAL, ancestors' INHERITED (ZFS semantics).
  Json up = Json::object();
  {
    std::vector<std::string> chain;
    std::string cur = name;
    while (true) {
      chain.push_back(cur);
      size_t slash = cur.rfind('/');
      if (slash == std::string::npos) break;
      cur = cur.substr(0, slash);
    }
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      auto ds = state_.datasets.find(*it);
      if (ds == state_.datasets.end()) continue;
      for (const auto& [k, v] : ds->second.value("user_properties").asObject()) {
        Json p = Json::object();
        p.set("value", v);
        p.set("rawvalue", v);
        p.set("source", *it == name ? "LOCAL" : "INHERITED");
        p.set("parsed", v);
        up.set(k, std::move(p));
      }
    }
  }
  if (personality_.userProperties) e.set("user_properties", std::move(up));
  e.set("locked", false);
  e.set("mountpoint", volume ? Json() : Json("/mnt/" + name));

  // comments are inherited like a user property (org.freenas:description).
  {
    std::string cur = name;
    bool self = true;
    while (true) {
      auto it = state_.datasets.find(cur);
      if (it != state_.datasets.end() && it->second.value("comments").isString()) {
        std::string c = it->second.value("comments").asString();
        if (want("comments")) {
          e.set("comments", self ? prop(c, c, c, "LOCAL") : prop(c, c, c, "INHERITED", cur));
        }
        break;
      }
      size_t slash = cur.rfind('/');
      if (slash == std::string::npos) break;
      cur = cur.substr(0, slash);
      self = false;
    }
  }
  for (const Default& d : kInheritable) {
    if (d.fsOnly && volume) continue;
    if (want(d.name)) e.set(d.name, lookup(d.name, d.value));
  }
  if (want("managedby") && rec.value("managedby").isString()) {
    std::string m = rec.value("managedby").asString();
    e.set("managedby", prop(m, m, m, "LOCAL"));
  }
  const std::string origin = rec.value("origin").asString();
  if (want("origin")) e.set("origin", prop(origin, origin, origin, "NONE"));
  if (!volume) {
    if (want("quota")) e.set("quota", quotaProp(rec.value("quota", 0).asInt()));
    if (want("refquota")) e.set("refquota", quotaProp(rec.value("refquota", 0).asInt()));
  }
  if (want("reservation")) e.set("reservation", quotaProp(rec.value("reservation", 0).asInt()));
  if (want("refreservation")) {
    e.set("refreservation", quotaProp(rec.value("refreservation", 0).asInt()));
  }
  if (volume) {
    int64_t vs = rec.value("volsize").asInt();
    int64_t vbs = rec.value("volblocksize").asInt();
    if (want("volsize")) e.set("volsize", sizeProp(vs, "LOCAL"));
    if (want("volblocksize")) e.set("volblocksize", sizeProp(vbs, "DEFAULT"));
    if (want("sparse")) {
      bool sparse = rec.value("sparse", false).asBool();
      e.set("sparse", prop(sparse, sparse ? "true" : "false", sparse ? "true" : "false", "NONE"));
    }
  }
  int64_t written = rec.value("written", 0).asInt();
  int64_t total = usedTotal(name);
  int64_t byChildren = total - charged(rec);
  int64_t byRefres = std::max<int64_t>(0, rec.value("refreservation", 0).asInt() - written);
  if (want("used")) e.set("used", sizeProp(total));
  if (want("usedbychildren")) e.set("usedbychildren", sizeProp(byChildren));
  if (want("usedbydataset")) e.set("usedbydataset", sizeProp(written));
  if (want("usedbyrefreservation")) e.set("usedbyrefreservation", sizeProp(byRefres));
  if (want("usedbysnapshots")) e.set("usedbysnapshots", sizeProp(0));
  if (want("available")) e.set("available", sizeProp(available(name)));
  if (want("compressratio")) e.set("compressratio", prop(1.0, "1.00", "1.00x", "NONE"));
  if (want("key_format")) e.set("key_format", prop(nullptr, "none", nullptr, "DEFAULT"));
  if (want("encryption_algorithm")) {
    e.set("encryption_algorithm", prop(nullptr, "off", nullptr, "DEFAULT"));
  }
  if (want("pbkdf2iters")) e.set("pbkdf2iters", prop(0, "0", "0", "DEFAULT"));
  if (want("creation")) {
    int64_t c = rec.value("creation").asInt();
    e.set("creation", prop(Json::date(c * 1000), std::to_string(c), std::to_string(c), "NONE"));
  }
  return e;
}

// Which datasets a pool.dataset.query with `extra.retrieve_children: false` walks:
//  - CORE 13.0 reads only `flat` from extra (TN-13.0-U6.8:src/middlewared/middlewared/plugins/
//    pool.py:2835-2837): everything.
//  - 24.10: a lone `id =` filter is passed down and serialized alone, anything else serializes the
//    pool roots without descending (TS-24.10.2.4:.../plugins/pool_/dataset.py:211-212,224-227;
//    zfs_/dataset.py:82-88).
//  - 25.04: the same with a lone `id`/`name` `=`/`in` filter (TS-25.04.2.6:.../pool_/dataset.py:
//    217-218).
//  - 25.10: descends whenever there are filters (TS-25.10.0:.../pool_/dataset_query_utils.py:
//    994-997), so only an unfiltered query stops at the roots.
std::vector<std::string> Model::datasetsWalked(const Json& extra, const Json& filters) const {
  std::vector<std::string> all;
  for (const auto& [name, rec] : state_.datasets) all.push_back(name);
  if (personality_.isCore() || extra.value("retrieve_children", true).asBool()) return all;
  const Json::Array none;
  const Json::Array& f = filters.isArray() ? filters.asArray() : none;
  if (personality_.version == Version::kScale2510 && !f.empty()) return all;
  std::vector<std::string> named;
  bool lone = false;
  if (f.size() == 1 && f[0].isArray() && f[0].size() == 3 && f[0].at(0).isString() &&
      f[0].at(1).isString()) {
    const std::string field = f[0].at(0).asString(), op = f[0].at(1).asString();
    const bool v2504 = personality_.version == Version::kScale2504;
    if (field == "id" && op == "=") {
      lone = true;
    } else if (v2504 && (field == "id" || field == "name") && (op == "=" || op == "in")) {
      lone = true;
    }
    if (lone && op == "in" && f[0].at(2).isArray()) {
      for (const Json& n : f[0].at(2).asArray()) named.push_back(n.isString() ? n.asString() : "");
    } else if (lone && f[0].at(2).isString()) {
      named.push_back(f[0].at(2).asString());
    }
  }
  std::vector<std::string> out;
  for (const auto& name : all) {
    bool root = name.find('/') == std::string::npos;
    bool hit = std::find(named.begin(), named.end(), name) != named.end();
    if (lone ? hit : root) out.push_back(name);
  }
  return out;
}

std::vector<Json> Model::datasetEntries(const Json& extra, const Json& filters) const {
  Json wanted = extra.value("properties");
  std::vector<Json> out;
  for (const auto& name : datasetsWalked(extra, filters)) {
    out.push_back(datasetEntry(state_.datasets.at(name), wanted));
  }
  if (!extra.value("flat", true).asBool()) {
    // Nested form: only pool roots at the top, children embedded.
    std::map<std::string, Json> byName;
    for (Json& e : out) byName[e.value("id").asString()] = e;
    std::function<Json(const std::string&)> build = [&](const std::string& n) {
      Json e = byName[n];
      Json kids = Json::array();
      for (const auto& [cn, ce] : byName) {
        if (isChildOf(cn, n) && cn.find('/', n.size() + 1) == std::string::npos) {
          kids.push(build(cn));
        }
      }
      e.set("children", std::move(kids));
      return e;
    };
    std::vector<Json> roots;
    for (const auto& [n, e] : byName) {
      if (n.find('/') == std::string::npos) roots.push_back(build(n));
    }
    return roots;
  }
  return out;
}

}  // namespace tnascsi::sim

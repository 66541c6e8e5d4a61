// pool.dataset.* and pool.query: create/update/delete/promote with TrueNAS's validation rules
// (reference §3.4–3.7) and the delete cascade to NFS shares and iSCSI extents/targets (§3.6).
#include <cctype>
#include <cerrno>
#include <regex>

#include "test/truenas-sim/model/api_error.h"
#include "test/truenas-sim/model/model.h"
#include "test/truenas-sim/model/query.h"
#include "test/truenas-sim/model/schema.h"

namespace tnascsi::sim {
namespace {

constexpr int64_t kGiB = 1024LL * 1024 * 1024;

const std::vector<std::string> kOnOffInherit = {"ON", "OFF", "INHERIT"};

std::optional<int64_t> volblocksizeBytes(const std::string& s) {
  static const std::pair<const char*, int64_t> kSizes[] = {
      {"512", 512}, {"512B", 512},  {"1K", 1024},   {"2K", 2048},   {"4K", 4096},
      {"8K", 8192}, {"16K", 16384}, {"32K", 32768}, {"64K", 65536}, {"128K", 131072}};
  for (const auto& [k, v] : kSizes) {
    if (s == k) return v;
  }
  return std::nullopt;
}

bool validDatasetName(const std::string& name) {
  static const std::regex kRe("^[A-Za-z0-9_.: -]+(/[A-Za-z0-9_.: -]+)*$");
  if (name.size() >= 256 || !std::regex_match(name, kRe)) return false;
  // Components may not be "." or "..", and the pool name must start with a letter.
  if (!std::isalpha(static_cast<unsigned char>(name[0]))) return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    std::string comp =
        name.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (comp == "." || comp == ".." || comp.empty()) return false;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return true;
}

// Common optional properties of create/update: enum choices and quota rules.
// ZFS_COMPRESSION_ALGORITHM_CHOICES: TS-24.10.2.4:src/middlewared/middlewared/plugins/pool_/
// utils.py:20-24 (the same in TS-25.04.2.6 and TS-25.10.0), accepted with INHERIT on create and
// update (Inheritable, TS-24.10.2.4:.../pool_/dataset.py:453). CORE 13.0 has no ON
// (TN-13.0-U6.8:.../plugins/pool.py:53-57) and INHERIT only on update (:2920, :3178).
std::vector<std::string> compressionChoices(const Personality& p, bool update) {
  std::vector<std::string> out = {"OFF",  "LZ4",       "GZIP", "GZIP-1", "GZIP-9",
                                  "ZSTD", "ZSTD-FAST", "ZLE",  "LZJB"};
  if (!p.isCore()) out.push_back("ON");
  for (int i = 1; i < 20; ++i) out.push_back("ZSTD-" + std::to_string(i));
  for (int i = 1; i < 11; ++i) out.push_back("ZSTD-FAST-" + std::to_string(i));
  for (int i = 20; i < 110; i += 10) out.push_back("ZSTD-FAST-" + std::to_string(i));
  for (int i = 500; i < 1500; i += 500) out.push_back("ZSTD-FAST-" + std::to_string(i));
  if (!p.isCore() || update) out.push_back("INHERIT");
  return out;
}

void checkCommonProps(ArgCheck& c, const Personality& p, bool volume, bool update) {
  c.choice("sync", {"STANDARD", "ALWAYS", "DISABLED", "INHERIT"});
  c.choice("compression", compressionChoices(p, update));
  c.choice("deduplication", {"ON", "VERIFY", "OFF", "INHERIT"});
  c.choice("readonly", kOnOffInherit);
  c.choice("exec", kOnOffInherit);
  c.choice("checksum", {"ON", "OFF", "FLETCHER2", "FLETCHER4", "SHA256", "SHA512", "SKEIN", "EDONR",
                        "BLAKE3", "INHERIT"});
  std::vector<std::string> snapdir = {"VISIBLE", "HIDDEN", "INHERIT"};
  if (p.snapdirDisabled) snapdir.push_back("DISABLED");
  c.choice("snapdir", snapdir);
  c.choice("snapdev", {"HIDDEN", "VISIBLE", "INHERIT"});
  if (!volume) c.choice("atime", kOnOffInherit);
  for (const char* q : {"quota", "refquota"}) {
    if (!c.has(q)) continue;
    auto v = c.integer(q, false, true);
    if (v && *v != 0 && *v < kGiB) {
      // Or(Range(min_=1 GiB), Exact(0)); exact wording UNVERIFIED.
      c.error(q, "Should be greater or equal than 1073741824");
    }
  }
  for (const char* r : {"reservation", "refreservation"}) {
    if (!c.has(r)) continue;
    auto v = c.integer(r, false, true);
    if (v && *v < 0) c.error(r, "Should be greater or equal than 0");
  }
  if (c.has("comments")) c.str("comments");
  if (c.has("managedby")) c.str("managedby");
}

const std::vector<std::string> kPropKeys = {"sync",
                                            "compression",
                                            "deduplication",
                                            "readonly",
                                            "exec",
                                            "checksum",
                                            "snapdir",
                                            "snapdev",
                                            "atime",
                                            "copies",
                                            "recordsize",
                                            "aclmode",
                                            "acltype",
                                            "casesensitivity",
                                            "special_small_block_size",
                                            "quota_warning",
                                            "quota_critical",
                                            "refquota_warning",
                                            "refquota_critical"};

void applyProps(Json& rec, const Json& data) {
  Json& props = rec["props"];
  if (!props.isObject()) props = Json::object();
  for (const auto& k : kPropKeys) {
    const Json* v = data.get(k);
    if (!v) continue;
    std::string s = v->isString() ? v->asString() : v->dump();
    if (s == "INHERIT") {
      props.erase(k);
    } else {
      props.set(k, s);
    }
  }
  for (const char* q : {"quota", "refquota", "reservation", "refreservation"}) {
    if (const Json* v = data.get(q)) rec.set(q, v->isNull() ? Json(0) : *v);
  }
  if (const Json* c = data.get("comments")) {
    rec.set("comments", c->asString() == "INHERIT" ? Json() : *c);
  }
  if (const Json* m = data.get("managedby")) {
    rec.set("managedby", m->asString() == "INHERIT" ? Json() : *m);
  }
}

}  // namespace

void Model::registerDatasets() {
  reg(
      "pool.query", [this](const Json& a) { return runQuery(poolEntries(), a.at(0), a.at(1)); },
      false);
  reg(
      "pool.get_instance",
      [this](const Json& a) { return getInstance(poolEntries(), "id", a.at(0), "Pool", a.at(1)); },
      false);
  reg(
      "pool.dataset.query",
      [this](const Json& a) {
        Json extra = a.at(1).value("extra", Json::object());
        return runQuery(datasetEntries(extra, a.at(0)), a.at(0), a.at(1));
      },
      false);
  reg(
      "pool.dataset.get_instance",
      [this](const Json& a) {
        Json extra = a.at(1).value("extra", Json::object());
        Json byId = Json::array();
        byId.push(Json(Json::Array{Json("id"), Json("="), a.at(0)}));
        return getInstance(datasetEntries(extra, byId), "id", a.at(0), "PoolDataset", a.at(1));
      },
      false);
  reg("pool.dataset.create", [this](const Json& a) { return datasetCreate(a); });
  reg("pool.dataset.update", [this](const Json& a) { return datasetUpdate(a); });
  reg("pool.dataset.delete", [this](const Json& a) { return datasetDelete(a); });
  reg("pool.dataset.promote", [this](const Json& a) { return datasetPromote(a); });
  // Not on CORE 13.0 (no destroy_snapshots under TN-13.0-U6.8:src/middlewared/middlewared/plugins,
  // git grep); TS-24.10.2.4:.../plugins/pool_/dataset.py:1028.
  if (!personality_.isCore()) {
    reg("pool.dataset.destroy_snapshots", [this](const Json& a) { return destroySnapshots(a); });
  }
}

StatusOr<Json> Model::datasetCreate(const Json& params) {
  const Json data = params.at(0);
  const Personality& p = personality_;
  Verrors v;
  ArgCheck c(data, "pool_dataset_create", p.strictDatasetModels, v);
  TNAS_SIM_VERRORS_CHECK(v);
  std::vector<std::string> allowed = {"name",
                                      "type",
                                      "volsize",
                                      "volblocksize",
                                      "sparse",
                                      "force_size",
                                      "comments",
                                      "sync",
                                      "compression",
                                      "deduplication",
                                      "readonly",
                                      "exec",
                                      "atime",
                                      "quota",
                                      "refquota",
                                      "reservation",
                                      "refreservation",
                                      "quota_warning",
                                      "quota_critical",
                                      "refquota_warning",
                                      "refquota_critical",
                                      "copies",
                                      "snapdir",
                                      "snapdev",
                                      "checksum",
                                      "recordsize",
                                      "casesensitivity",
                                      "aclmode",
                                      "acltype",
                                      "share_type",
                                      "special_small_block_size",
                                      "managedby",
                                      "encryption",
                                      "inherit_encryption",
                                      "encryption_options"};
  // `xattr` only on CORE (TN-13.0-U6.8:src/middlewared/middlewared/plugins/pool.py:2943); the
  // SCALE create schema has none (TS-24.10.2.4:.../plugins/pool_/dataset.py, git grep xattr).
  if (p.isCore()) allowed.push_back("xattr");
  if (p.userProperties) allowed.push_back("user_properties");
  if (p.createAncestors) allowed.push_back("create_ancestors");
  c.allowOnly(allowed);
  auto name = c.str("name", true);
  auto type = c.choice("type", {"FILESYSTEM", "VOLUME"});
  const bool volume = type && *type == "VOLUME";
  std::vector<std::string> shareTypes = {"GENERIC", "SMB"};
  if (!p.isCore()) shareTypes = {"GENERIC", "MULTIPROTOCOL", "NFS", "SMB", "APPS"};
  auto shareType = c.choice("share_type", shareTypes);
  const std::vector<std::string> volOnly = {"volsize", "volblocksize", "sparse", "force_size"};
  const std::vector<std::string> fsOnly = {"quota",           "refquota", "recordsize", "atime",
                                           "casesensitivity", "aclmode",  "acltype"};
  if (volume) {
    c.forbid(fsOnly, p.strictDatasetModels ? "Extra inputs are not permitted"
                                           : "This field is not valid for VOLUME");
  } else {
    c.forbid(volOnly, p.strictDatasetModels ? "Extra inputs are not permitted"
                                            : "This field is not valid for FILESYSTEM");
  }
  checkCommonProps(c, p, volume, false);
  std::optional<int64_t> volsize;
  int64_t vbs = 16384;
  if (volume) {
    volsize = c.integer("volsize", false);
    if (!c.has("volsize")) {
      c.error("volsize",
              p.strictDatasetModels ? "Field required" : "This field is required for VOLUME");
    }
    // ZFS_VOLUME_BLOCK_SIZE_CHOICES (TS-24.10.2.4:.../plugins/pool_/utils.py:29-40); CORE has no
    // "512B" spelling (TN-13.0-U6.8:.../plugins/pool.py:2911-2913).
    std::vector<std::string> sizes = {"512", "512B", "1K",  "2K",  "4K",
                                      "8K",  "16K",  "32K", "64K", "128K"};
    if (p.isCore()) sizes.erase(sizes.begin() + 1);
    if (auto s = c.choice("volblocksize", sizes)) {
      vbs = *volblocksizeBytes(*s);
    }
    c.boolean("sparse");
    c.boolean("force_size");
  }
  Json userProps = Json::object();
  if (auto ups = c.list("user_properties")) {
    for (const Json& up : *ups) {
      const std::string key = up.value("key").asString();
      if (!up.value("key").isString() || key.find(':') == std::string::npos) {
        c.error("user_properties", "User property key must match .*:.*");
      } else if (!up.value("value").isString()) {
        c.error("user_properties", "User property value must be a string");
      } else {
        userProps.set(key, up.value("value"));
      }
    }
  }
  TNAS_SIM_VERRORS_CHECK(v);

  // Name and parent rules.
  const std::string& n = *name;
  if (n.find('/') == std::string::npos) {
    c.error("name", "You need a full name, e.g. pool/newdataset");
  } else if (!n.empty() && n.back() == ' ') {
    c.error("name", "Trailing spaces are not permitted in dataset names");
  } else if (!validDatasetName(n)) {
    c.error("name", "Invalid dataset name");
  } else if (p.datasetNameMax200 && n.size() > 200) {
    c.error("name", "Dataset name length should be less than or equal to 200");
  }
  TNAS_SIM_VERRORS_CHECK(v);
  const std::string parent = n.substr(0, n.rfind('/'));
  const bool createAncestors = data.value("create_ancestors", false).asBool();
  auto parentIt = state_.datasets.find(parent);
  if (parentIt == state_.datasets.end() && !createAncestors) {
    c.error("name", "Parent dataset does not exist for specified name");
  } else if (parentIt != state_.datasets.end() &&
             parentIt->second.value("type").asString() == "VOLUME") {
    if (p.parentMayNotBeVolume) {
      c.error("name", parent + " is a ZFS volume, parent may not be a ZFS volume");
    } else {
      TNAS_SIM_VERRORS_CHECK(v);
      return callError("Failed to create dataset: cannot create '" + n +
                       "': parent is not a filesystem");
    }
  } else if (state_.pools.count(n.substr(0, n.find('/'))) == 0) {
    c.error("name", "Parent dataset does not exist for specified name");
  }
  // dRAID pools (pool.is_draid_pool): a zvol defaults to 128K and may not go below 32K
  // (TS-24.10.2.4:src/middlewared/middlewared/plugins/pool_/dataset.py:370-382; TS-25.04.2.6
  // :379-391; TS-25.10.0 :312-320). CORE has no dRAID (the server refuses such a pool).
  auto poolIt = state_.pools.find(n.substr(0, n.find('/')));
  if (volume && poolIt != state_.pools.end() && poolIt->second.value("draid", false).asBool()) {
    if (!c.has("volblocksize")) {
      vbs = 131072;
    } else if (vbs < 32768) {
      c.error("volblocksize",
              "Volume block size must be greater than or equal to 32K for dRAID pools");
    }
  }
  auto existing = state_.datasets.find(n);
  if (existing != state_.datasets.end() &&
      existing->second.value("type").asString() == "FILESYSTEM") {
    c.error("name", "Path /mnt/" + n + " already exists");
  }
  if (volume && volsize) {
    if (*volsize <= 0 || *volsize % vbs != 0) {
      c.error("volsize", "Volume size should be a multiple of volume block size");
    } else if (!data.value("force_size", false).asBool() && parentIt != state_.datasets.end() &&
               static_cast<double>(*volsize) > static_cast<double>(available(parent)) * 0.80) {
      c.error("volsize",
              "It is not recommended to use more than 80% of your available space for VOLUME");
    }
  }
  TNAS_SIM_VERRORS_CHECK(v);
  if (existing != state_.datasets.end()) {
    return callError("Failed to create dataset: cannot create '" + n + "': dataset already exists");
  }
  if (volume && !data.value("sparse", false).asBool() && *volsize > available(parent)) {
    return callError("Failed to create dataset: cannot create '" + n + "': out of space");
  }

  // Ancestors (create_ancestors) are plain filesystems.
  if (parentIt == state_.datasets.end()) {
    std::vector<std::string> missing;
    std::string cur = parent;
    while (!state_.datasets.count(cur)) {
      if (cur.find('/') == std::string::npos) {
        return validationError("pool_dataset_create.name",
                               "Parent dataset does not exist for specified name");
      }
      missing.push_back(cur);
      cur = cur.substr(0, cur.rfind('/'));
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
      Json anc = Json::object();
      anc.set("name", *it);
      anc.set("type", "FILESYSTEM");
      anc.set("creation", nowSeconds());
      anc.set("written", int64_t{98304});
      anc.set("origin", "");
      anc.set("props", Json::object());
      anc.set("user_properties", Json::object());
      anc.set("perm", initialPerm(it->substr(0, it->rfind('/'))));
      state_.datasets[*it] = anc;
      Json ev = Json::object();
      ev.set("event", "dataset.create");
      ev.set("name", *it);
      ev.set("mountpoint", "/mnt/" + *it);
      ev.set("refquota", 0);
      emit(std::move(ev));
    }
  }

  Json rec = Json::object();
  rec.set("name", n);
  rec.set("type", volume ? "VOLUME" : "FILESYSTEM");
  rec.set("creation", nowSeconds());
  rec.set("origin", "");
  rec.set("props", Json::object());
  rec.set("user_properties", userProps);
  applyProps(rec, data);
  if (volume) {
    bool sparse = data.value("sparse", false).asBool();
    rec.set("volsize", *volsize);
    rec.set("volblocksize", vbs);
    rec.set("sparse", sparse);
    rec.set("written", int64_t{57344});
    if (!sparse && !data.contains("refreservation")) rec.set("refreservation", *volsize);
    Json ev = Json::object();
    ev.set("event", "zvol.create");
    ev.set("name", n);
    ev.set("volsize", *volsize);
    ev.set("volblocksize", vbs);
    ev.set("sparse", sparse);
    emit(std::move(ev));
  } else {
    rec.set("written", int64_t{98304});
    rec.set("perm", initialPerm(parent));
    Json& props = rec["props"];
    props.set("xattr", "SA");
    if (shareType && *shareType == "NFS") {
      props.set("acltype", "NFSV4");
      props.set("aclmode", "PASSTHROUGH");
      props.set("atime", "OFF");
      props.set("casesensitivity", "SENSITIVE");
    }
    Json ev = Json::object();
    ev.set("event", "dataset.create");
    ev.set("name", n);
    ev.set("mountpoint", "/mnt/" + n);
    ev.set("refquota", rec.value("refquota", 0));
    emit(std::move(ev));
  }
  state_.datasets[n] = rec;
  return datasetEntry(rec, nullptr);
}

StatusOr<Json> Model::datasetUpdate(const Json& params) {
  const Personality& p = personality_;
  const std::string id = params.at(0).asString();
  const Json data = params.at(1);
  auto it = state_.datasets.find(id);
  if (it == state_.datasets.end()) {
    return validationError("id", id + " does not exist", ENOENT);
  }
  Json& rec = state_.datasets.edit(it);
  const bool volume = rec.value("type").asString() == "VOLUME";
  Verrors v;
  ArgCheck c(data, "pool_dataset_update", p.strictDatasetModels, v);
  TNAS_SIM_VERRORS_CHECK(v);
  std::vector<std::string> allowed = {"volsize",
                                      "force_size",
                                      "comments",
                                      "sync",
                                      "compression",
                                      "deduplication",
                                      "readonly",
                                      "exec",
                                      "atime",
                                      "quota",
                                      "refquota",
                                      "reservation",
                                      "refreservation",
                                      "quota_warning",
                                      "quota_critical",
                                      "refquota_warning",
                                      "refquota_critical",
                                      "copies",
                                      "snapdir",
                                      "snapdev",
                                      "checksum",
                                      "recordsize",
                                      "aclmode",
                                      "acltype",
                                      "special_small_block_size",
                                      "managedby"};
  if (p.userProperties) {
    allowed.push_back("user_properties");
    allowed.push_back("user_properties_update");
  }
  c.allowOnly(allowed);
  if (volume) {
    c.forbid({"quota", "refquota", "recordsize", "atime", "aclmode", "acltype"},
             p.strictDatasetModels ? "Extra inputs are not permitted"
                                   : "This field is not valid for VOLUME");
  } else {
    c.forbid({"volsize", "force_size"}, p.strictDatasetModels
                                            ? "Extra inputs are not permitted"
                                            : "This field is not valid for FILESYSTEM");
  }
  checkCommonProps(c, p, volume, true);
  std::optional<int64_t> volsize;
  if (volume && c.has("volsize")) {
    volsize = c.integer("volsize");
    if (volsize) {
      int64_t cur = rec.value("volsize").asInt();
      int64_t vbs = rec.value("volblocksize").asInt();
      if (*volsize < cur) {
        c.error("volsize", "You cannot shrink a zvol from GUI, this may lead to data loss.");
      } else if (*volsize % vbs != 0) {
        c.error("volsize", "Volume size should be a multiple of volume block size");
      } else if (!data.value("force_size", false).asBool()) {
        // The zvol's own reservation is returned to the pool for this check (UNVERIFIED).
        std::string parent = id.substr(0, id.rfind('/'));
        double avail = static_cast<double>(available(parent) + charged(rec));
        if (static_cast<double>(*volsize) > avail * 0.80) {
          c.error("volsize",
                  "It is not recommended to use more than 80% of your available space for "
                  "VOLUME");
        }
      }
    }
  }
  if (c.has("user_properties") && c.has("user_properties_update")) {
    c.error("user_properties_update",
            "Should not be specified when \"user_properties\" are explicitly specified");
  }
  Json userProps = rec.value("user_properties", Json::object());
  if (auto ups = c.list("user_properties")) {
    userProps = Json::object();
    for (const Json& up : *ups) {
      if (up.value("key").asString().find(':') == std::string::npos) {
        c.error("user_properties", "User property key must match .*:.*");
      } else {
        userProps.set(up.value("key").asString(), up.value("value"));
      }
    }
  }
  if (auto ups = c.list("user_properties_update")) {
    for (const Json& up : *ups) {
      const std::string key = up.value("key").asString();
      if (key.find(':') == std::string::npos) {
        c.error("user_properties_update", "User property key must match .*:.*");
      } else if (up.contains("value") && up.value("remove", false).asBool()) {
        c.error("user_properties_update",
                "Must either specify \"value\" or \"remove\" for \"" + key + "\"");
      } else if (up.value("remove", false).asBool()) {
        userProps.erase(key);
      } else if (up.value("value").isString()) {
        userProps.set(key, up.value("value"));
      } else {
        c.error("user_properties_update",
                "Must either specify \"value\" or \"remove\" for \"" + key + "\"");
      }
    }
  }
  TNAS_SIM_VERRORS_CHECK(v);
  const int64_t oldRefquota = rec.value("refquota", 0).asInt();
  applyProps(rec, data);
  rec.set("user_properties", userProps);
  if (volsize && *volsize != rec.value("volsize").asInt()) {
    int64_t old = rec.value("volsize").asInt();
    if (!rec.value("sparse", false).asBool() && rec.value("refreservation", 0).asInt() == old &&
        !data.contains("refreservation")) {
      rec.set("refreservation", *volsize);
    }
    rec.set("volsize", *volsize);
    Json ev = Json::object();
    ev.set("event", "zvol.resize");
    ev.set("name", id);
    ev.set("volsize", *volsize);
    emit(std::move(ev));
  }
  if (!volume && rec.value("refquota", 0).asInt() != oldRefquota) {
    Json ev = Json::object();
    ev.set("event", "dataset.update");
    ev.set("name", id);
    ev.set("mountpoint", "/mnt/" + id);
    ev.set("refquota", rec.value("refquota", 0));
    emit(std::move(ev));
  }
  return datasetEntry(rec, nullptr);
}

}  // namespace tnascsi::sim

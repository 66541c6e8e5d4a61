// replication.run_onetime (a job): a replication task run once without being saved. The simulator
// models the one use this driver has for it, a local PUSH of one snapshot of one dataset into a
// new dataset (an independent copy, no ZFS origin); other transports, directions, recursion and
// encryption are answered with a call error saying they are not modelled.
//
// Facts (truenas/middleware tag TS-25.04.2 = 407269e2, TS-24.10.2 = ab87b14d; truenas/zettarepl
// b7691b7d; paths below src/middlewared/middlewared/ resp. zettarepl/):
//  - plugins/replication.py:493-529 (25.04.2; 24.10.2 the same lines, 24.04.2 :489-522): the
//    method, a `@job(logs=True)`, takes the replication_create schema minus name, auto, schedule,
//    only_matching_schedule, enabled, plus exclude_mountpoint_property (default true) and
//    only_from_scratch (default false: "replication will fail if target dataset already
//    exists"). 25.10+ (api/v25_10_0/replication.py:311-330, pydantic) adds `mount` (default true).
//    TN-13.0-U6.8 has no run_onetime under plugins/ (git grep), so CORE does not register it.
//  - plugins/replication.py:166-236: direction PUSH|PULL, transport SSH|SSH+NETCAT|LOCAL,
//    source_datasets (non-empty list), target_dataset, recursive and retention_policy
//    (SOURCE|CUSTOM|NONE) required; properties (default true), properties_exclude,
//    properties_override, readonly SET|REQUIRE|IGNORE (default SET), name_regex,
//    also_include_naming_schema, allow_from_scratch, large_block/compressed/embed, retries...
//  - plugins/replication.py:540-552: PUSH needs a periodic snapshot task,
//  also_include_naming_schema
//    or name_regex; :604-612 LOCAL forbids ssh_credentials, compression, speed_limit; :697-710
//    name_regex excludes naming schemas and needs retention SOURCE or NONE; :712-723 lifetimes only
//    with CUSTOM. Errors are ValidationErrors under "replication_run_onetime.<field>" (:520).
//  - plugins/zettarepl.py:716-724: mountpoint (unless exclude_mountpoint_property is false),
//    sharenfs and sharesmb are always added to properties_exclude.
//  - zettarepl replication/task/name_pattern.py:7-8 + snapshots_to_send.py:54: name_regex must
//    match the whole snapshot name (re.match of "(regex)$").
//  - zettarepl replication/run.py:301-302: only_from_scratch and an existing target fail the job
//    with "Target dataset '<t>' already exists"; :656-657 no matching snapshot fails with "Dataset
//    '<s>' does not have any matching snapshots to replicate".
//  - run.py:436-451 + transport/zfscli/__init__.py:80-92: overrides become `zfs recv -o`, but
//    only for properties the source has (source "-" means unset: dropped); receive is
//    `zfs recv -s -F` (full stream when there is no incremental base, so no origin; the received
//    snapshot stays on the target).
//  - run.py:851-870: readonly SET/REQUIRE sets readonly=on on the target after a full receive.
// Backing: the data copy is sent as the `snapshot.clone` event (same copy semantics: the new
// dataset gets the snapshot's data) followed by `snapshot.create` for the received snapshot.
#include <cerrno>
#include <regex>

#include "test/truenas-sim/model/api_error.h"
#include "test/truenas-sim/model/model.h"
#include "test/truenas-sim/model/schema.h"

namespace tnascsi::sim {
namespace {

const char kPrefix[] = "replication_run_onetime";

Status notModelled(const std::string& what) {
  return callError("truenas-sim: replication.run_onetime with " + what + " is not modelled");
}

bool contains(const Json::Array& list, const std::string& s) {
  for (const Json& j : list) {
    if (j.isString() && j.asString() == s) return true;
  }
  return false;
}

}  // namespace

bool Model::hasReplication() const {
  return personality_.name != "13.0";
}

StatusOr<Json> Model::replicationRunOnetime(const Json& params) {
  const Json data = params.at(0);
  const bool strict = personality_.name == "25.10";
  Verrors v;
  ArgCheck c(data, kPrefix, strict, v);
  TNAS_SIM_VERRORS_CHECK(v);
  std::vector<std::string> allowed = {"direction",
                                      "transport",
                                      "ssh_credentials",
                                      "netcat_active_side",
                                      "netcat_active_side_listen_address",
                                      "netcat_active_side_port_min",
                                      "netcat_active_side_port_max",
                                      "netcat_passive_side_connect_address",
                                      "sudo",
                                      "source_datasets",
                                      "target_dataset",
                                      "recursive",
                                      "exclude",
                                      "properties",
                                      "properties_exclude",
                                      "properties_override",
                                      "replicate",
                                      "encryption",
                                      "encryption_inherit",
                                      "encryption_key",
                                      "encryption_key_format",
                                      "encryption_key_location",
                                      "periodic_snapshot_tasks",
                                      "naming_schema",
                                      "also_include_naming_schema",
                                      "name_regex",
                                      "restrict_schedule",
                                      "allow_from_scratch",
                                      "readonly",
                                      "hold_pending_snapshots",
                                      "retention_policy",
                                      "lifetime_value",
                                      "lifetime_unit",
                                      "lifetimes",
                                      "compression",
                                      "speed_limit",
                                      "large_block",
                                      "embed",
                                      "compressed",
                                      "retries",
                                      "logging_level",
                                      "exclude_mountpoint_property",
                                      "only_from_scratch"};
  if (strict) allowed.push_back("mount");
  c.allowOnly(allowed);
  auto direction = c.choice("direction", {"PUSH", "PULL"}, true);
  auto transport = c.choice("transport", {"SSH", "SSH+NETCAT", "LOCAL"}, true);
  auto sources = c.list("source_datasets", true);
  auto target = c.str("target_dataset", true);
  if (!c.has("recursive")) c.error("recursive", strict ? "Field required" : "attribute required");
  const bool recursive = c.boolean("recursive").value_or(false);
  auto retention = c.choice("retention_policy", {"SOURCE", "CUSTOM", "NONE"}, true);
  auto readonly = c.choice("readonly", {"SET", "REQUIRE", "IGNORE"});
  auto nameRegex = c.str("name_regex", false, true);
  const bool properties = c.boolean("properties").value_or(true);
  const bool onlyFromScratch = c.boolean("only_from_scratch").value_or(false);
  const bool excludeMountpoint = c.boolean("exclude_mountpoint_property").value_or(true);
  if (sources && sources->empty()) {
    c.error("source_datasets", strict ? "List should have at least 1 item after validation"
                                      : "Empty value not allowed");
  }
  TNAS_SIM_VERRORS_CHECK(v);
  const Json::Array noList;
  const Json::Array& alsoInclude = data.value("also_include_naming_schema").isArray()
                                       ? data.value("also_include_naming_schema").asArray()
                                       : noList;
  const bool hasTasks = data.value("periodic_snapshot_tasks").isArray() &&
                        !data.value("periodic_snapshot_tasks").asArray().empty();
  if (*direction == "PUSH" && !hasTasks && alsoInclude.empty() && !nameRegex) {
    c.error("periodic_snapshot_tasks",
            "You must at least either bind a periodic snapshot task or provide \"Also Include "
            "Naming Schema\" or \"Name Regex\" for push replication task");
  }
  if (*transport == "LOCAL") {
    for (const char* k : {"ssh_credentials", "compression", "speed_limit"}) {
      if (data.contains(k) && !data.value(k).isNull()) {
        c.error(k, std::string(k) == "ssh_credentials"
                       ? "Remote credentials have no sense for local replication"
                   : std::string(k) == "compression"
                       ? "Compression has no sense for local replication"
                       : "Speed limit has no sense for local replication");
      }
    }
  }
  std::optional<std::regex> pattern;
  if (nameRegex) {
    try {
      pattern.emplace("(" + *nameRegex + ")$", std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      c.error("name_regex", std::string("Invalid regex: ") + e.what());
    }
    if (!alsoInclude.empty())
      c.error("name_regex", "Naming regex can't be used with Naming schema");
    if (*retention != "SOURCE" && *retention != "NONE") {
      c.error("retention_policy",
              "Only `Same as Source` and `None` retention policies can be used with Naming regex");
    }
  }
  if (*retention != "CUSTOM" && data.contains("lifetime_value") &&
      !data.value("lifetime_value").isNull()) {
    c.error("lifetime_value", "This field has no sense for specified retention policy");
  }
  TNAS_SIM_VERRORS_CHECK(v);

  // The run itself (zettarepl).
  if (*direction != "PUSH" || *transport != "LOCAL") {
    return notModelled("direction/transport other than PUSH/LOCAL");
  }
  if (recursive || sources->size() != 1 || data.value("replicate", false).asBool() ||
      data.value("encryption", false).asBool() || hasTasks || !pattern) {
    return notModelled(
        "recursion, several sources, full replication, encryption, periodic tasks or naming "
        "schemas (only name_regex)");
  }
  const std::string src = sources->front().isString() ? sources->front().asString() : "";
  auto sit = state_.datasets.find(src);
  if (sit == state_.datasets.end()) {
    return callError("Dataset '" + src + "' does not exist", ENOENT);
  }
  if (state_.datasets.count(*target)) {
    if (onlyFromScratch) return callError("Target dataset '" + *target + "' already exists");
    return notModelled("an existing target dataset (incremental replication)");
  }
  const size_t slash = target->rfind('/');
  if (slash == std::string::npos || !state_.datasets.count(target->substr(0, slash))) {
    return notModelled("a target whose parent does not exist (zettarepl creates it)");
  }
  // Matching snapshots, oldest first; the simulator sends the newest one as a full stream.
  const Json* snap = nullptr;
  int64_t bestTxg = -1;
  for (const auto& [name, rec] : state_.snapshots) {
    if (rec.value("dataset").asString() != src) continue;
    const std::string sn = rec.value("snapshot_name").asString();
    std::smatch m;
    if (!std::regex_search(sn, m, *pattern) || m.position(0) != 0) continue;
    if (rec.value("createtxg").asInt() > bestTxg) {
      bestTxg = rec.value("createtxg").asInt();
      snap = &rec;
    }
  }
  if (snap == nullptr) {
    return callError("Dataset '" + src + "' does not have any matching snapshots to replicate");
  }
  const Json& orig = sit->second;
  const bool volume = orig.value("type").asString() == "VOLUME";
  Json::Array excludes = data.value("properties_exclude").isArray()
                             ? data.value("properties_exclude").asArray()
                             : Json::Array{};
  const Json overrides = data.value("properties_override").isObject()
                             ? data.value("properties_override")
                             : Json::object();
  for (const char* p : {"mountpoint", "sharenfs", "sharesmb"}) {
    if (std::string(p) == "mountpoint" && !excludeMountpoint) continue;
    if (!overrides.contains(p) && !contains(excludes, p)) excludes.push_back(Json(p));
  }

  Json rec = Json::object();
  rec.set("name", *target);
  rec.set("type", orig.value("type"));
  rec.set("creation", nowSeconds());
  rec.set("origin", "");
  rec.set("props", Json::object());
  rec.set("user_properties", Json::object());
  rec.set("written", snap->value("referenced", int64_t{8192}));
  if (volume) {
    rec.set("volsize", snap->value("volsize", orig.value("volsize")));
    rec.set("volblocksize", orig.value("volblocksize"));
    rec.set("sparse", true);
  }
  if (properties) {
    for (const auto& [k, pv] : orig.value("user_properties").asObject()) {
      if (!contains(excludes, k)) rec["user_properties"].set(k, pv);
    }
    for (const auto& [k, pv] : orig.value("props").asObject()) {
      if (!contains(excludes, k)) rec["props"].set(k, pv);
    }
  }
  for (const auto& [k, pv] : overrides.asObject()) {
    const std::string value = pv.isString() ? pv.asString() : pv.dump();
    if (k.find(':') != std::string::npos) {
      if (orig.value("user_properties").contains(k)) rec["user_properties"].set(k, value);
    } else if (!(volume && k == "mountpoint")) {
      rec["props"].set(k, value);
    }
  }
  if (readonly.value_or("SET") != "IGNORE") rec["props"].set("readonly", "ON");
  if (snap->contains("perm")) rec.set("perm", snap->value("perm"));  // the received root
  state_.datasets[*target] = rec;

  const std::string snapName = snap->value("snapshot_name").asString();
  Json srec = Json::object();
  srec.set("name", *target + "@" + snapName);
  srec.set("dataset", *target);
  srec.set("snapshot_name", snapName);
  srec.set("createtxg", ++state_.txg);
  srec.set("creation", snap->value("creation"));
  srec.set("referenced", snap->value("referenced"));
  srec.set("user_properties", properties ? snap->value("user_properties") : Json::object());
  srec.set("holds", Json::object());
  if (volume) srec.set("volsize", rec.value("volsize"));
  const std::string srcSnap = snap->value("name").asString();
  state_.snapshots[*target + "@" + snapName] = srec;

  Json ev = Json::object();
  ev.set("event", "snapshot.clone");
  ev.set("snapshot", srcSnap);
  ev.set("name", *target);
  ev.set("type", orig.value("type"));
  if (!volume) ev.set("mountpoint", "/mnt/" + *target);
  emit(std::move(ev));
  Json sev = Json::object();
  sev.set("event", "snapshot.create");
  sev.set("snapshot", *target + "@" + snapName);
  sev.set("dataset", *target);
  sev.set("type", orig.value("type"));
  emit(std::move(sev));
  return Json();
}

}  // namespace tnascsi::sim

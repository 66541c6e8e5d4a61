// pool.dataset.destroy_snapshots (a job on 24.10+; absent on CORE 13.0): its validation (the
// all+snapshots conflict, empty range entries), range entries {start, end} over a dataset's
// snapshots in creation order, and the refusal of snapshots with dependent clones.
#include <algorithm>
#include <cerrno>
#include <map>

#include "test/truenas-sim/model/api_error.h"
#include "test/truenas-sim/model/model.h"

namespace tnascsi::sim {

StatusOr<Json> Model::destroySnapshots(const Json& params) {
  const std::string name = params.at(0).asString();
  const Json opts = params.at(1).isObject() ? params.at(1) : Json::object();
  if (!state_.datasets.count(name)) return instanceNotFound("PoolDataset", name);
  const bool all = opts.value("all", personality_.destroySnapshotsAllDefault).asBool();
  const bool recursive = opts.value("recursive", false).asBool();
  const Json specs = opts.value("snapshots").isArray() ? opts.value("snapshots") : Json::array();
  // TS-24.10.2.4:src/middlewared/middlewared/plugins/pool_/dataset.py:1037-1048 (TS-25.04.2.6
  // :1035-1046; TS-25.10.0 :866-877). An empty range entry is falsy only on 24.10's legacy
  // schema: 25.x's pydantic model dumps it as {"start": null, "end": null} (api/base/handler/
  // accept.py:9, exclude_unset=False), which py-libzfs reads as the whole range "%".
  Verrors v;
  if (all && specs.size() > 0) {
    v.add("destroy_snapshots.snapshots",
          "Must not be specified when all snapshots are specified for removal");
  } else {
    for (size_t i = 0; i < specs.size(); ++i) {
      const Json& e = specs.at(i);
      const bool empty = e.isString()
                             ? e.asString().empty()
                             : (e.isObject() && e.size() == 0 && !personality_.strictModels);
      if (empty) {
        v.add("destroy_snapshots.snapshots." + std::to_string(i),
              "Either \"start\" or \"end\" must be specified");
      }
    }
  }
  TNAS_SIM_VERRORS_CHECK(v);
  // Range endpoints must exist on the named dataset: ENOENT from py-libzfs, a CallError
  // (truenas/py-libzfs libzfs.pyx:3927-3956 at faa4cbf; the commit SCALE pins is not checked;
  // TS-24.10.2.4:.../plugins/zfs_/dataset.py:224-230).
  std::vector<std::string> missing;
  for (const Json& e : specs.asArray()) {
    if (!e.isObject()) continue;
    for (const char* k : {"start", "end"}) {
      const std::string snap = e.value(k).isString() ? e.value(k).asString() : "";
      if (!snap.empty() && !state_.snapshots.count(name + "@" + snap)) missing.push_back(snap);
    }
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    return callError("[ENOENT] " + list + " snapshot(s) could not be located", EFAULT);
  }
  Json destroyed = Json::array();
  std::vector<std::string> victims;
  // Per dataset, its snapshots in creation order; a range start%end covers both ends inclusive
  // (zfs destroy's snapshot specification). A child lacking an endpoint loses nothing to that
  // range (UNVERIFIED against libzfs's recursive iteration).
  std::map<std::string, std::vector<std::pair<int64_t, std::string>>> byDataset;
  for (const auto& [n, rec] : state_.snapshots) {
    const std::string ds = rec.value("dataset").asString();
    if (ds != name && !(recursive && isChildOf(ds, name))) continue;
    byDataset[ds].emplace_back(rec.value("createtxg").asInt(), n);
  }
  for (auto& [ds, snaps] : byDataset) {
    std::sort(snaps.begin(), snaps.end());
    std::vector<std::string> names;
    for (const auto& [txg, n] : snaps) names.push_back(n.substr(n.find('@') + 1));
    std::vector<bool> hit(names.size(), all);
    for (const Json& e : specs.asArray()) {
      if (e.isString()) {
        for (size_t i = 0; i < names.size(); ++i) hit[i] = hit[i] || names[i] == e.asString();
        continue;
      }
      if (!e.isObject()) continue;  // {} here is 25.x's whole range (refused above on 24.10)
      const std::string from = e.value("start").isString() ? e.value("start").asString() : "";
      const std::string to = e.value("end").isString() ? e.value("end").asString() : "";
      auto at = [&](const std::string& n) {
        return static_cast<size_t>(std::find(names.begin(), names.end(), n) - names.begin());
      };
      const size_t lo = from.empty() ? 0 : at(from);
      const size_t hi = to.empty() ? names.size() - 1 : at(to);
      if (lo >= names.size() || hi >= names.size()) continue;
      for (size_t i = lo; i <= hi; ++i) hit[i] = true;
    }
    for (size_t i = 0; i < names.size(); ++i) {
      if (hit[i]) victims.push_back(snaps[i].second);
    }
  }
  for (const auto& n : victims) {
    if (!clonesOf(n).empty()) {
      return callError("Failed to destroy snapshot " + n + ": snapshot has dependent clones",
                       EFAULT);
    }
  }
  for (const auto& n : victims) {
    eraseSnapshot(n);
    destroyed.push(n);
  }
  return destroyed;
}

}  // namespace tnascsi::sim

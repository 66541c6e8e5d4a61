// pool.dataset.delete (with its attachment cascade, reference §3.6) and pool.dataset.promote
// (§3.7): deleting a dataset removes NFS shares under its mountpoint, iSCSI extents on its zvols
// with their mappings, and targets left without LUNs.
#include <algorithm>
#include <cerrno>
#include <set>

#include "test/truenas-sim/model/api_error.h"
#include "test/truenas-sim/model/model.h"
#include "test/truenas-sim/model/schema.h"

namespace tnascsi::sim {

Status Model::removeDatasetAttachments(const std::string& name, bool isVolume) {
  // NFS shares whose path lies at or under /mnt/<name>.
  const std::string mnt = "/mnt/" + name;
  auto under = [&](const std::string& path) {
    return path == mnt || (path.size() > mnt.size() && path.compare(0, mnt.size(), mnt) == 0 &&
                           path[mnt.size()] == '/');
  };
  for (auto it = state_.nfsShares.begin(); it != state_.nfsShares.end();) {
    bool hit = false;
    if (personality_.nfsPaths) {
      for (const Json& pth : it->second.value("paths").asArray()) hit |= under(pth.asString());
    } else {
      hit = under(it->second.value("path").asString());
    }
    if (hit) {
      it = state_.nfsShares.erase(it);
      markNfsChanged();
    } else {
      ++it;
    }
  }
  (void)isVolume;
  // iSCSI extents on zvol/<name>, its children and snapshots.
  const std::string disk = "zvol/" + name;
  std::set<int64_t> targets;
  std::vector<int64_t> extents;
  for (const auto& [id, ext] : state_.extents) {
    if (ext.value("type").asString() != "DISK") continue;
    const std::string d = ext.value("disk").asString();
    if (d == disk || (d.size() > disk.size() && d.compare(0, disk.size(), disk) == 0 &&
                      (d[disk.size()] == '/' || d[disk.size()] == '@'))) {
      extents.push_back(id);
    }
  }
  for (int64_t eid : extents) {
    for (auto it = state_.targetextents.begin(); it != state_.targetextents.end();) {
      if (it->second.value("extent").asInt() == eid) {
        targets.insert(it->second.value("target").asInt());
        it = state_.targetextents.erase(it);
      } else {
        ++it;
      }
    }
    state_.extents.erase(eid);
    markIscsiChanged();
  }
  for (int64_t tid : targets) {
    bool hasLun =
        std::any_of(state_.targetextents.begin(), state_.targetextents.end(),
                    [&](const auto& te) { return te.second.value("target").asInt() == tid; });
    if (!hasLun && state_.targets.count(tid)) {
      TNAS_RETURN_IF_ERROR(deleteTargetInternal(tid, false));
    }
  }
  return absl::OkStatus();
}

StatusOr<Json> Model::datasetDelete(const Json& params) {
  const std::string id = params.at(0).asString();
  const Json options = params.at(1).isObject() ? params.at(1) : Json::object();
  Verrors v;
  ArgCheck c(options, "options", personality_.strictDatasetModels, v);
  c.allowOnly({"recursive", "force"});
  c.boolean("recursive");
  c.boolean("force");
  TNAS_SIM_VERRORS_CHECK(v);
  auto it = state_.datasets.find(id);
  if (it == state_.datasets.end()) return instanceNotFound("PoolDataset", id);
  if (id.find('/') == std::string::npos) {
    return callError(
        "Failed to delete dataset: cannot destroy '" + id + "': operation does not apply to pools",
        EINVAL);
  }
  const bool recursive = options.value("recursive", false).asBool();
  const bool volume = it->second.value("type").asString() == "VOLUME";
  const std::string kind = volume ? "volume" : "filesystem";
  std::vector<std::string> doomed;  // deepest first
  for (const auto& [n, rec] : state_.datasets) {
    if (isChildOf(n, id)) doomed.push_back(n);
  }
  if (!doomed.empty() && !recursive) {
    return callError(
        "Failed to delete dataset: cannot destroy '" + id + "': " + kind + " has children",
        ENOTEMPTY);
  }
  std::sort(doomed.begin(), doomed.end(), std::greater<>());
  doomed.push_back(id);
  std::vector<std::string> snaps;
  for (const auto& [sn, srec] : state_.snapshots) {
    const std::string ds = srec.value("dataset").asString();
    if (std::find(doomed.begin(), doomed.end(), ds) != doomed.end()) snaps.push_back(sn);
  }
  if (!snaps.empty() && !recursive) {
    std::string list;
    for (const auto& s : snaps) list += "\n" + s;
    return callError("Failed to delete dataset: cannot destroy '" + id + "': " + kind +
                         " has children\nuse '-r' to destroy the following datasets:" + list,
                     EFAULT);
  }
  // Clones of any doomed snapshot outside the doomed set block the delete (-R is not exposed).
  for (const auto& s : snaps) {
    for (const auto& clone : clonesOf(s)) {
      if (std::find(doomed.begin(), doomed.end(), clone) == doomed.end()) {
        return callError("Failed to delete dataset: cannot destroy '" + id + "': " + kind +
                             " has dependent clones\nuse '-R' to destroy the following "
                             "datasets:\n" +
                             clone,
                         EFAULT);
      }
    }
  }
  for (const auto& n : doomed) {
    TNAS_RETURN_IF_ERROR(
        removeDatasetAttachments(n, state_.datasets.at(n).value("type").asString() == "VOLUME"));
  }
  // Snapshots first: their events name their dataset's type.
  for (const auto& s : snaps) eraseSnapshot(s);
  for (const auto& n : doomed) eraseDataset(n);
  // Snapshots marked for deferred destruction go with their last clone.
  std::vector<std::string> released;
  for (const auto& [name, rec] : state_.snapshots) {
    if (rec.value("defer_destroy", false).asBool() && clonesOf(name).empty() &&
        rec.value("holds").size() == 0) {
      released.push_back(name);
    }
  }
  for (const auto& s : released) eraseSnapshot(s);
  return Json(true);
}

StatusOr<Json> Model::datasetPromote(const Json& params) {
  const std::string id = params.at(0).asString();
  auto it = state_.datasets.find(id);
  if (it == state_.datasets.end()) {
    return callError("Dataset " + id + " does not exist", ENOENT);
  }
  const std::string origin = it->second.value("origin").asString();
  if (origin.empty()) return callError("Only cloned datasets can be promoted.", EBADMSG);
  const std::string parentDs = origin.substr(0, origin.find('@'));
  auto originSnap = state_.snapshots.find(origin);
  const int64_t txg =
      originSnap == state_.snapshots.end() ? 0 : originSnap->second.value("createtxg").asInt();
  // Snapshots of the origin dataset up to the clone point move to the clone.
  std::map<std::string, std::string> renamed;
  for (const auto& [sn, srec] : state_.snapshots) {
    if (srec.value("dataset").asString() == parentDs && srec.value("createtxg").asInt() <= txg) {
      renamed[sn] = id + "@" + srec.value("snapshot_name").asString();
    }
  }
  for (const auto& [from, to] : renamed) {
    if (state_.snapshots.count(to)) {
      return callError("cannot promote '" + id + "': snapshot name '" + to +
                           "' from origin conflicts with an existing snapshot",
                       EEXIST);
    }
  }
  for (const auto& [from, to] : renamed) {
    Json srec = state_.snapshots.at(from);
    state_.snapshots.erase(from);
    srec.set("name", to);
    srec.set("dataset", id);
    state_.snapshots[to] = srec;
  }
  const std::string parentOrigin = state_.datasets.at(parentDs).value("origin").asString();
  for (auto ds = state_.datasets.begin(); ds != state_.datasets.end(); ++ds) {
    auto r = renamed.find(ds->second.value("origin").asString());
    if (r != renamed.end()) state_.datasets.edit(ds).set("origin", r->second);
  }
  state_.datasets[id].set("origin", parentOrigin);
  state_.datasets[parentDs].set("origin", renamed.count(origin) ? renamed[origin] : "");
  return Json();
}

}  // namespace tnascsi::sim

// Amortised garbage collection of leftover iSCSI initiator groups and LUN-less targets (see
// export_collector.h).
#include "controller/provision/export_collector.h"

#include <algorithm>
#include <set>
#include <shared_mutex>
#include <vector>

#include "common/log/log.h"
#include "common/metrics/controller_metrics.h"
#include "controller/provision/iscsi_detail.h"
#include "controller/provision/metadata.h"

namespace tnascsi::controller::provision {
namespace {

// The volume dataset a group's comment names ("truenas-csi:<dataset>[ nodes=...]") when it is a
// direct child of `parent`, else "".
std::string groupDataset(const std::string& comment, const std::string& parent) {
  std::string key = props::initiatorGroupKey(parent) + "/";
  if (comment.rfind(key, 0) != 0) return "";
  std::string leaf = comment.substr(key.size(), comment.find(' ') - key.size());
  if (leaf.empty() || leaf.find('/') != std::string::npos) return "";
  return parent + "/" + leaf;
}

Status okIfNotFound(const Status& s) {
  return s.code() == StatusCode::kNotFound ? absl::OkStatus() : s;
}

}  // namespace

ExportCollector::ExportCollector(std::chrono::milliseconds debounce,
                                 std::chrono::milliseconds maxDelay)
    : debounce_(debounce), maxDelay_(maxDelay) {
  worker_ = std::thread([this] { run(); });
}

ExportCollector::~ExportCollector() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

void ExportCollector::schedule(Backend& backend) {
  scheduleAt(backend, std::chrono::steady_clock::now() + debounce_);
}

void ExportCollector::scheduleAt(Backend& backend, std::chrono::steady_clock::time_point when) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto deadline = deadline_.find(&backend);
    if (deadline == deadline_.end()) {
      deadline = deadline_.emplace(&backend, std::chrono::steady_clock::now() + maxDelay_).first;
    }
    due_[&backend] = std::min(when, deadline->second);
  }
  cv_.notify_all();
}

void ExportCollector::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (due_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto next = due_.begin();
    for (auto it = due_.begin(); it != due_.end(); ++it) {
      if (it->second < next->second) next = it;
    }
    if (std::chrono::steady_clock::now() < next->second) {
      cv_.wait_until(lock, next->second);
      continue;
    }
    Backend* backend = next->first;
    due_.erase(next);
    deadline_.erase(backend);
    lock.unlock();
    auto result = sweep(*backend);
    common::metrics::recordLeftoverSweep(backend->name(), result.ok(),
                                         result.ok() ? result->initiatorGroups : 0,
                                         result.ok() ? result->targets : 0);
    if (!result.ok()) {
      TNAS_LOG(Warn).kv("backend", backend->name()).kv("error", result.status().ToString())
          << "iSCSI leftover sweep failed; retrying later";
      scheduleAt(*backend, std::chrono::steady_clock::now() + maxDelay_);
    }
    lock.lock();
  }
}

Status ExportCollector::flush() {
  std::vector<Backend*> pending;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [backend, when] : due_) pending.push_back(backend);
    due_.clear();
    deadline_.clear();
  }
  Status first;
  for (Backend* backend : pending) {
    auto result = sweep(*backend);
    if (!result.ok() && first.ok()) first = result.status();
  }
  return first;
}

StatusOr<SweepResult> ExportCollector::sweep(Backend& backend) {
  std::unique_lock<std::shared_mutex> gate(backend.exportsGate());
  truenas::TrueNasApi& api = backend.api();
  SweepResult result;
  const std::string& parent = backend.config().parentDataset;
  TNAS_ASSIGN_OR_RETURN(auto groups,
                        api.queryIscsiInitiatorGroups(
                            truenas::QueryFilter::where("comment", truenas::FilterOp::kStartsWith,
                                                        props::initiatorGroupKey(parent) + "/"),
                            {}));
  std::set<int64_t> ourGroups;
  for (const auto& group : groups) {
    if (!groupDataset(group.comment, parent).empty()) ourGroups.insert(group.id);
  }
  if (ourGroups.empty()) return result;
  TNAS_ASSIGN_OR_RETURN(auto targets, api.queryIscsiTargets({}, {}));
  // Ours: our alias and one of this parent's groups (another instance's targets are not ours).
  auto ours = [&](const truenas::IscsiTarget& t) {
    return iscsi_detail::isOurTarget(t) && !t.groups.empty() && t.groups.front().initiator &&
           ourGroups.count(*t.groups.front().initiator) > 0;
  };
  std::set<int64_t> mapped;
  if (std::any_of(targets.begin(), targets.end(), ours)) {
    TNAS_ASSIGN_OR_RETURN(auto mappings, api.queryIscsiTargetExtents({}, {}));
    for (const auto& m : mappings) mapped.insert(m.target);
  }
  std::set<int64_t> referenced;
  for (const auto& t : targets) {
    if (ours(t) && mapped.count(t.id) == 0) {
      truenas::IscsiTargetDeleteOptions options;
      options.force = true;
      TNAS_RETURN_IF_ERROR(common::annotate(okIfNotFound(api.deleteIscsiTarget(t.id, options)),
                                            "removing LUN-less iSCSI target " + t.name));
      ++result.targets;
      continue;
    }
    for (const auto& g : t.groups) {
      if (g.initiator) referenced.insert(*g.initiator);
    }
  }
  for (int64_t id : ourGroups) {
    if (referenced.count(id) > 0) continue;
    TNAS_RETURN_IF_ERROR(
        common::annotate(okIfNotFound(api.deleteIscsiInitiatorGroup(id)),
                         "removing unreferenced initiator group " + std::to_string(id)));
    ++result.initiatorGroups;
  }
  if (result.initiatorGroups + result.targets > 0) {
    TNAS_LOG(Info)
            .kv("backend", backend.name())
            .kv("initiator_groups", std::to_string(result.initiatorGroups))
            .kv("targets", std::to_string(result.targets))
        << "removed iSCSI leftovers of deleted volumes";
  }
  return result;
}

}  // namespace tnascsi::controller::provision

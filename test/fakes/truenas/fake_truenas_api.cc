// FakeTrueNasApi: setup, fault injection, counters, pools, datasets and snapshots (the iSCSI, NFS
// and service parts are in fake_truenas_sharing.cc).
#include "test/fakes/truenas/fake_truenas_api.h"

#include <algorithm>
#include <thread>

#include "test/fakes/truenas/fake_filter.h"

namespace tnascsi::controller::truenas {

using fake::FieldValue;

namespace {

std::optional<FieldValue> datasetField(const Dataset& d, const std::string& field) {
  if (field == "id" || field == "name") return d.name;
  if (field == "pool") return d.pool;
  if (field == "origin" || field == "origin.value") return d.origin;
  if (field == "type") return std::string(d.type == DatasetType::kVolume ? "VOLUME" : "FILESYSTEM");
  const std::string prefix = "user_properties.";
  if (field.rfind(prefix, 0) == 0) {
    std::string key = field.substr(prefix.size());
    if (key.size() > 6 && key.compare(key.size() - 6, 6, ".value") == 0) key.resize(key.size() - 6);
    auto it = d.userProperties.find(key);
    return it == d.userProperties.end() ? std::string() : it->second;
  }
  return std::nullopt;
}

std::optional<FieldValue> snapshotField(const Snapshot& s, const std::string& field) {
  if (field == "id" || field == "name") return s.id;
  if (field == "dataset") return s.dataset;
  if (field == "snapshot_name") return s.name;
  if (field == "pool") return s.dataset.substr(0, s.dataset.find('/'));
  return std::nullopt;
}

std::string parentOf(const std::string& name) {
  size_t slash = name.rfind('/');
  return slash == std::string::npos ? std::string() : name.substr(0, slash);
}

bool isBelow(const std::string& name, const std::string& ancestor) {
  return name.size() > ancestor.size() && name.compare(0, ancestor.size(), ancestor) == 0 &&
         name[ancestor.size()] == '/';
}

}  // namespace

FakeTrueNasApi::FakeTrueNasApi(std::string pool, uint64_t poolSize)
    : pool_(std::move(pool)), poolSize_(poolSize) {
  version_.fullVersion = "TrueNAS-25.04.2";
  version_.version = Version::of(25, 4, 2);
  version_.productType = ProductType::kCommunityEdition;
  version_.capabilities.targetDeleteExtents = true;
  // No hosts/networks cap: TS-25.04.2.6 reverted the 42-entry limiter (only 25.10 has it,
  // TS-25.10.0:src/middlewared/middlewared/api/v25_04_0/nfs.py:95-102; see version.cc).
  addDataset(pool_);
  IscsiPortal portal;
  portal.id = nextId_++;
  portal.tag = 1;
  portal.listen.push_back({"0.0.0.0", 3260});
  portals_[portal.id] = portal;
  services_["iscsitarget"] = {"iscsitarget", false, false};
  services_["nfs"] = {"nfs", false, false};
}

void FakeTrueNasApi::addDataset(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  Dataset d;
  d.name = name;
  d.pool = pool_;
  d.mountpoint = "/mnt/" + name;
  d.available = poolSize_ / 2;
  datasets_[name] = d;
  fixtures_.insert(name);
}

void FakeTrueNasApi::setVersion(VersionInfo info) {
  std::lock_guard<std::mutex> lock(mu_);
  version_ = std::move(info);
}

void FakeTrueNasApi::failNthCall(int n, Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.push_back({"", callNumber_ + n, std::move(status), false});
}

void FakeTrueNasApi::failMethodOnce(const std::string& method, Status status, bool afterApply) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.push_back({method, 0, std::move(status), afterApply});
}

void FakeTrueNasApi::setConcurrencyLimit(int n) {
  std::lock_guard<std::mutex> lock(slotMu_);
  slotLimit_ = n;
}

Status FakeTrueNasApi::enter(const char* method, bool mutating) {
  int64_t latency = latencyMs_.load();
  if (latency > 0) {
    std::unique_lock<std::mutex> slot(slotMu_);
    slotCv_.wait(slot, [&] { return slotLimit_ <= 0 || slotsInUse_ < slotLimit_; });
    ++slotsInUse_;
    slot.unlock();
    std::this_thread::sleep_for(std::chrono::milliseconds(latency));
    slot.lock();
    --slotsInUse_;
    slotCv_.notify_one();
  }
  std::lock_guard<std::mutex> lock(mu_);
  ++callNumber_;
  if (mutating) ++mutating_;
  ++perMethod_[method];
  log_.push_back(method);
  if (unreachable_) return absl::UnavailableError("fake TrueNAS: not connected");
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    bool hit =
        it->method.empty() ? it->atCall == callNumber_ : (it->method == method && !it->afterApply);
    if (hit) {
      Status s = it->status;
      faults_.erase(it);
      return s;
    }
  }
  return absl::OkStatus();
}

Status FakeTrueNasApi::leave(const char* method) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (it->afterApply && it->method == method) {
      Status s = it->status;
      faults_.erase(it);
      return s;
    }
  }
  return absl::OkStatus();
}

int64_t FakeTrueNasApi::totalCalls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return callNumber_;
}
int64_t FakeTrueNasApi::calls(const std::string& method) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = perMethod_.find(method);
  return it == perMethod_.end() ? 0 : it->second;
}
int64_t FakeTrueNasApi::mutatingCalls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return mutating_;
}
void FakeTrueNasApi::resetCounters() {
  std::lock_guard<std::mutex> lock(mu_);
  mutating_ = 0;
  perMethod_.clear();
  log_.clear();
  // callNumber_ keeps counting so pending Nth-call faults stay meaningful.
}
std::vector<std::string> FakeTrueNasApi::callLog() const {
  std::lock_guard<std::mutex> lock(mu_);
  return log_;
}

size_t FakeTrueNasApi::datasetCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return datasets_.size() - fixtures_.size();
}
size_t FakeTrueNasApi::snapshotCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return snapshots_.size();
}

bool FakeTrueNasApi::datasetExists(const std::string& name) const {
  return datasets_.count(name) > 0;
}

bool FakeTrueNasApi::hasClones(const std::string& snapshotId) const {
  return std::any_of(datasets_.begin(), datasets_.end(),
                     [&](const auto& entry) { return entry.second.origin == snapshotId; });
}

// ---- System -------------------------------------------------------------------------------------

StatusOr<VersionInfo> FakeTrueNasApi::versionInfo() {
  TNAS_RETURN_IF_ERROR(enter("versionInfo", false));
  std::lock_guard<std::mutex> lock(mu_);
  return version_;
}

Status FakeTrueNasApi::ping() {
  return enter("ping", false);
}

StatusOr<int64_t> FakeTrueNasApi::count(Collection collection, const QueryFilter& filter) {
  TNAS_RETURN_IF_ERROR(enter("count", false));
  std::lock_guard<std::mutex> lock(mu_);
  int64_t n = 0;
  if (collection == Collection::kDatasets) {
    for (const auto& [name, d] : datasets_) {
      TNAS_ASSIGN_OR_RETURN(
          bool ok, fake::matches(filter, [&](const std::string& f) { return datasetField(d, f); }));
      n += ok ? 1 : 0;
    }
    return n;
  }
  if (collection == Collection::kSnapshots) {
    for (const auto& [id, s] : snapshots_) {
      TNAS_ASSIGN_OR_RETURN(bool ok, fake::matches(filter, [&](const std::string& f) {
                              return snapshotField(s, f);
                            }));
      n += ok ? 1 : 0;
    }
    return n;
  }
  return absl::UnimplementedError("fake TrueNAS: count of this collection is not modelled");
}

// ---- Pools --------------------------------------------------------------------------------------

StatusOr<std::vector<Pool>> FakeTrueNasApi::queryPools(const QueryFilter&, const QueryOptions&) {
  TNAS_ASSIGN_OR_RETURN(Pool pool, getPool(pool_));
  return std::vector<Pool>{pool};
}

StatusOr<Pool> FakeTrueNasApi::getPool(const std::string& name) {
  TNAS_RETURN_IF_ERROR(enter("getPool", false));
  if (name != pool_) return absl::NotFoundError("pool " + name + " not found");
  Pool pool;
  pool.id = 1;
  pool.name = pool_;
  pool.path = "/mnt/" + pool_;
  pool.status = "ONLINE";
  pool.healthy = true;
  pool.size = poolSize_;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [n, d] : datasets_) pool.allocated += d.used;
  pool.free = poolSize_ - std::min(poolSize_, pool.allocated);
  return pool;
}

// ---- Datasets -----------------------------------------------------------------------------------

StatusOr<Dataset> FakeTrueNasApi::createDataset(const DatasetCreateSpec& spec) {
  TNAS_RETURN_IF_ERROR(enter("createDataset", true));
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (spec.name.find('/') == std::string::npos) {
      return absl::InvalidArgumentError(
          "pool_dataset_create.name: You need a full name, e.g. pool/newdataset");
    }
    if (spec.name.size() > version_.capabilities.maxDatasetNameLength) {
      return absl::InvalidArgumentError(
          "pool_dataset_create.name: Dataset name length should be less than or equal to 200");
    }
    if (datasetExists(spec.name)) {
      return absl::AlreadyExistsError(spec.type == DatasetType::kVolume
                                          ? "Failed to create dataset: dataset already exists"
                                          : "pool_dataset_create.name: Path /mnt/" + spec.name +
                                                " already exists");
    }
    auto parent = datasets_.find(parentOf(spec.name));
    if (parent == datasets_.end()) {
      return absl::InvalidArgumentError(
          "pool_dataset_create.name: Parent dataset does not exist for specified name");
    }
    if (parent->second.type == DatasetType::kVolume) {
      return absl::InvalidArgumentError("pool_dataset_create.name: parent may not be a ZFS volume");
    }
    Dataset d;
    d.name = spec.name;
    d.type = spec.type;
    d.pool = pool_;
    d.userProperties = spec.userProperties;
    d.comments = spec.comments.value_or("");
    d.compression = spec.compression.value_or("LZ4");
    d.sync = spec.sync.value_or("STANDARD");
    d.dedup = spec.dedup.value_or("OFF");
    if (spec.type == DatasetType::kVolume) {
      if (!spec.volsize)
        return absl::InvalidArgumentError("pool_dataset_create.volsize: required for VOLUME");
      if (spec.refquota || spec.quota) {
        return absl::InvalidArgumentError(
            "pool_dataset_create.refquota: This field is not valid for VOLUME");
      }
      uint64_t block = spec.volblocksize.value_or(16384);
      if (*spec.volsize == 0 || *spec.volsize % block != 0) {
        return absl::InvalidArgumentError(
            "pool_dataset_create.volsize: Volume size should be a multiple of volume block size");
      }
      d.volsize = spec.volsize;
      d.volblocksize = block;
      d.sparse = spec.sparse.value_or(false);
      if (!d.sparse) d.refreservation = spec.volsize;
    } else {
      if (spec.volsize || spec.volblocksize || spec.sparse) {
        return absl::InvalidArgumentError(
            "pool_dataset_create.volsize: This field is not valid for FILESYSTEM");
      }
      for (auto q : {spec.quota, spec.refquota}) {
        if (q && *q != 0 && *q < (1ULL << 30)) {
          return absl::InvalidArgumentError(
              "pool_dataset_create.refquota: Should be 0 or at least 1 GiB");
        }
      }
      d.refquota = spec.refquota;
      d.quota = spec.quota;
      d.refreservation = spec.refreservation;
      d.mountpoint = "/mnt/" + spec.name;
    }
    d.available = poolSize_ / 2;
    datasets_[d.name] = d;
  }
  TNAS_RETURN_IF_ERROR(leave("createDataset"));
  std::lock_guard<std::mutex> lock(mu_);
  return datasets_.at(spec.name);
}

StatusOr<Dataset> FakeTrueNasApi::updateDataset(const std::string& name,
                                                const DatasetUpdateSpec& spec) {
  TNAS_RETURN_IF_ERROR(enter("updateDataset", true));
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = datasets_.find(name);
    if (it == datasets_.end()) return absl::NotFoundError("id: " + name + " does not exist");
    Dataset& d = it->second;
    if (spec.volsize) {
      if (d.type != DatasetType::kVolume)
        return absl::InvalidArgumentError("pool_dataset_update.volsize: not valid for FILESYSTEM");
      if (*spec.volsize < d.volsize.value_or(0)) {
        return absl::InvalidArgumentError(
            "pool_dataset_update.volsize: You cannot shrink a zvol from GUI, this may lead to data "
            "loss.");
      }
      if (*spec.volsize % d.volblocksize.value_or(16384) != 0) {
        return absl::InvalidArgumentError(
            "pool_dataset_update.volsize: Volume size should be a multiple of volume block size");
      }
    }
    for (auto q : {spec.quota, spec.refquota}) {
      if (q && *q != 0 && *q < (1ULL << 30)) {
        return absl::InvalidArgumentError(
            "pool_dataset_update.refquota: Should be 0 or at least 1 GiB");
      }
    }
    if (spec.volsize) d.volsize = spec.volsize;
    if (spec.refquota) d.refquota = spec.refquota;
    if (spec.quota) d.quota = spec.quota;
    if (spec.refreservation) d.refreservation = spec.refreservation;
    if (spec.reservation) d.reservation = spec.reservation;
    if (spec.comments) d.comments = *spec.comments;
    if (spec.compression) d.compression = *spec.compression;
    if (spec.sync) d.sync = *spec.sync;
    if (spec.dedup) d.dedup = *spec.dedup;
    for (const auto& [k, v] : spec.setUserProperties) d.userProperties[k] = v;
    for (const auto& k : spec.removeUserProperties) d.userProperties.erase(k);
  }
  TNAS_RETURN_IF_ERROR(leave("updateDataset"));
  std::lock_guard<std::mutex> lock(mu_);
  return datasets_.at(name);
}

void FakeTrueNasApi::eraseDatasetLocked(const std::string& name) {
  // The attachment cascade of pool.dataset.delete: NFS shares under the path; extents on the zvol,
  // their mappings, and targets left without LUNs.
  std::string path = "/mnt/" + name;
  perms_.erase(name);
  for (auto it = shares_.begin(); it != shares_.end();) {
    bool under = it->second.path == path || isBelow(it->second.path, path);
    it = under ? shares_.erase(it) : std::next(it);
  }
  std::vector<int64_t> extents;
  for (const auto& [id, e] : extents_) {
    if (e.disk == "zvol/" + name || isBelow(e.disk, "zvol/" + name)) extents.push_back(id);
  }
  for (int64_t id : extents) {
    std::set<int64_t> touched;
    for (const auto& [mid, m] : mappings_) {
      if (m.extent == id) touched.insert(m.target);
    }
    eraseExtentLocked(id);
    for (int64_t target : touched) {
      bool empty = std::none_of(mappings_.begin(), mappings_.end(),
                                [&](const auto& m) { return m.second.target == target; });
      if (empty) eraseTargetLocked(target);
    }
  }
  for (auto it = snapshots_.begin(); it != snapshots_.end();) {
    it = it->second.dataset == name ? snapshots_.erase(it) : std::next(it);
  }
  datasets_.erase(name);
}

void FakeTrueNasApi::collectDeferredSnapshotsLocked() {
  for (auto it = deferredSnapshots_.begin(); it != deferredSnapshots_.end();) {
    if (!hasClones(*it)) {
      snapshots_.erase(*it);
      it = deferredSnapshots_.erase(it);
    } else {
      ++it;
    }
  }
}

Status FakeTrueNasApi::deleteDataset(const std::string& name, const DatasetDeleteOptions& options) {
  TNAS_RETURN_IF_ERROR(enter("deleteDataset", true));
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!datasetExists(name)) return absl::NotFoundError("dataset " + name + " does not exist");
    std::vector<std::string> doomed{name};
    for (const auto& [n, d] : datasets_) {
      if (isBelow(n, name)) doomed.push_back(n);
    }
    bool hasSnapshots = false;
    for (const auto& [id, s] : snapshots_) {
      if (std::find(doomed.begin(), doomed.end(), s.dataset) == doomed.end()) continue;
      hasSnapshots = true;
      for (const auto& [n, d] : datasets_) {
        if (d.origin == id && std::find(doomed.begin(), doomed.end(), n) == doomed.end()) {
          return absl::FailedPreconditionError("Failed to delete dataset: cannot destroy '" + name +
                                               "': snapshot " + id + " has dependent clones");
        }
      }
    }
    if (!options.recursive && (doomed.size() > 1 || hasSnapshots)) {
      return absl::FailedPreconditionError("Failed to delete dataset: cannot destroy '" + name +
                                           "': filesystem has children");
    }
    std::sort(doomed.rbegin(), doomed.rend());
    for (const auto& n : doomed) eraseDatasetLocked(n);
    collectDeferredSnapshotsLocked();
  }
  return leave("deleteDataset");
}

StatusOr<Dataset> FakeTrueNasApi::getDataset(const std::string& name) {
  TNAS_RETURN_IF_ERROR(enter("getDataset", false));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = datasets_.find(name);
  if (it == datasets_.end()) return absl::NotFoundError("dataset " + name + " does not exist");
  return it->second;
}

StatusOr<std::vector<Dataset>> FakeTrueNasApi::queryDatasets(const QueryFilter& filter,
                                                             const QueryOptions&) {
  TNAS_RETURN_IF_ERROR(enter("queryDatasets", false));
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Dataset> out;
  for (const auto& [n, d] : datasets_) {
    TNAS_ASSIGN_OR_RETURN(
        bool ok, fake::matches(filter, [&](const std::string& f) { return datasetField(d, f); }));
    if (ok) out.push_back(d);
  }
  return out;
}

StatusOr<std::vector<Dataset>> FakeTrueNasApi::listChildDatasets(const std::string& parent,
                                                                 const QueryOptions&) {
  TNAS_RETURN_IF_ERROR(enter("listChildDatasets", false));
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Dataset> out;
  for (const auto& [n, d] : datasets_) {
    if (parentOf(n) == parent) out.push_back(d);
  }
  return out;
}

StatusOr<std::vector<Dataset>> FakeTrueNasApi::findDatasetsByUserProperty(
    const std::string& parent, const std::string& key, const std::string& value) {
  TNAS_RETURN_IF_ERROR(enter("findDatasetsByUserProperty", false));
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Dataset> out;
  for (const auto& [n, d] : datasets_) {
    auto it = d.userProperties.find(key);
    if (isBelow(n, parent) && it != d.userProperties.end() && it->second == value) out.push_back(d);
  }
  return out;
}

Status FakeTrueNasApi::promoteDataset(const std::string& name) {
  TNAS_RETURN_IF_ERROR(enter("promoteDataset", true));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = datasets_.find(name);
  if (it == datasets_.end()) return absl::NotFoundError("dataset " + name + " does not exist");
  if (it->second.origin.empty())
    return absl::FailedPreconditionError("Only cloned datasets can be promoted.");
  return absl::UnimplementedError("fake TrueNAS: promote is not modelled");
}

// ---- Snapshots ----------------------------------------------------------------------------------

StatusOr<Snapshot> FakeTrueNasApi::createSnapshot(const SnapshotCreateSpec& spec) {
  TNAS_RETURN_IF_ERROR(enter("createSnapshot", true));
  std::string id = spec.dataset + "@" + spec.name;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!datasetExists(spec.dataset))
      return absl::NotFoundError("dataset " + spec.dataset + " does not exist");
    if (snapshots_.count(id) > 0) {
      return absl::AlreadyExistsError("Failed to snapshot " + id + ": dataset already exists");
    }
    const Dataset& d = datasets_.at(spec.dataset);
    Snapshot s;
    s.id = id;
    s.dataset = spec.dataset;
    s.name = spec.name;
    s.createtxg = nextTxg_++;
    s.creation = std::chrono::system_clock::now();
    s.referenced = d.volsize.value_or(d.refquota.value_or(0)) / 2;
    s.userProperties = spec.userProperties;
    snapshots_[id] = s;
  }
  TNAS_RETURN_IF_ERROR(leave("createSnapshot"));
  std::lock_guard<std::mutex> lock(mu_);
  return snapshots_.at(id);
}

Status FakeTrueNasApi::deleteSnapshot(const std::string& id, const SnapshotDeleteOptions& options) {
  TNAS_RETURN_IF_ERROR(enter("deleteSnapshot", true));
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (snapshots_.count(id) == 0 || deferredSnapshots_.count(id) > 0) {
      return absl::NotFoundError("snapshot " + id + " does not exist");
    }
    if (hasClones(id)) {
      if (!options.defer) {
        return absl::FailedPreconditionError("options.defer: Please set this attribute as '" + id +
                                             "' snapshot has dependent clones");
      }
      deferredSnapshots_.insert(id);
      snapshots_[id].deferDestroy = true;
    } else {
      snapshots_.erase(id);
    }
  }
  return leave("deleteSnapshot");
}

StatusOr<Snapshot> FakeTrueNasApi::getSnapshot(const std::string& id) {
  TNAS_RETURN_IF_ERROR(enter("getSnapshot", false));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = snapshots_.find(id);
  if (it == snapshots_.end()) return absl::NotFoundError("snapshot " + id + " does not exist");
  return it->second;
}

StatusOr<std::vector<Snapshot>> FakeTrueNasApi::querySnapshots(const QueryFilter& filter,
                                                               const QueryOptions&) {
  TNAS_RETURN_IF_ERROR(enter("querySnapshots", false));
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Snapshot> out;
  for (const auto& [id, s] : snapshots_) {
    TNAS_ASSIGN_OR_RETURN(
        bool ok, fake::matches(filter, [&](const std::string& f) { return snapshotField(s, f); }));
    if (ok) out.push_back(s);
  }
  return out;
}

Status FakeTrueNasApi::cloneSnapshot(const SnapshotCloneSpec& spec) {
  TNAS_RETURN_IF_ERROR(enter("cloneSnapshot", true));
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto snap = snapshots_.find(spec.snapshot);
    if (snap == snapshots_.end())
      return absl::NotFoundError("snapshot " + spec.snapshot + " does not exist");
    if (datasetExists(spec.datasetDst)) {
      return absl::AlreadyExistsError("Failed to clone snapshot: dataset already exists");
    }
    if (!datasetExists(parentOf(spec.datasetDst))) {
      return absl::InvalidArgumentError("Failed to clone snapshot: parent does not exist");
    }
    Dataset d = datasets_.at(snap->second.dataset);
    d.name = spec.datasetDst;
    d.origin = spec.snapshot;
    d.userProperties.clear();
    if (d.type == DatasetType::kFilesystem) d.mountpoint = "/mnt/" + spec.datasetDst;
    for (const auto& [k, v] : spec.datasetProperties) {
      if (k.find(':') != std::string::npos) {
        d.userProperties[k] = v;
      } else if (k == "refquota") {
        d.refquota = std::stoull(v);
      } else if (k == "refreservation") {
        d.refreservation = std::stoull(v);
      } else {
        return absl::InvalidArgumentError("fake TrueNAS: clone property " + k + " is not modelled");
      }
    }
    datasets_[d.name] = d;
  }
  return leave("cloneSnapshot");
}

Status FakeTrueNasApi::replicateLocal(const LocalReplicationSpec& spec) {
  TNAS_RETURN_IF_ERROR(enter("replicateLocal", true));
  {
    std::lock_guard<std::mutex> lock(mu_);
    const std::string id = spec.sourceDataset + "@" + spec.snapshotName;
    auto snap = snapshots_.find(id);
    if (!datasetExists(spec.sourceDataset) || snap == snapshots_.end()) {
      return absl::NotFoundError("Dataset '" + spec.sourceDataset +
                                 "' does not have any matching snapshots to replicate");
    }
    if (datasetExists(spec.targetDataset)) {
      return absl::AlreadyExistsError("Target dataset '" + spec.targetDataset + "' already exists");
    }
    if (!datasetExists(parentOf(spec.targetDataset))) {
      return absl::InvalidArgumentError("fake TrueNAS: missing target parent is not modelled");
    }
    // A full receive without properties: an independent dataset holding the received snapshot.
    Dataset d = datasets_.at(spec.sourceDataset);
    d.name = spec.targetDataset;
    d.origin.clear();
    d.userProperties.clear();
    d.refquota.reset();
    d.refreservation.reset();
    if (d.type == DatasetType::kFilesystem) d.mountpoint = "/mnt/" + spec.targetDataset;
    datasets_[d.name] = d;
    Snapshot copy = snap->second;
    copy.id = spec.targetDataset + "@" + spec.snapshotName;
    copy.dataset = spec.targetDataset;
    copy.createtxg = nextTxg_++;
    copy.userProperties.clear();
    copy.deferDestroy = false;
    snapshots_[copy.id] = copy;
  }
  return leave("replicateLocal");
}

Status FakeTrueNasApi::rollbackSnapshot(const std::string& id, const SnapshotRollbackOptions&) {
  TNAS_RETURN_IF_ERROR(enter("rollbackSnapshot", true));
  std::lock_guard<std::mutex> lock(mu_);
  if (snapshots_.count(id) == 0) return absl::NotFoundError("snapshot " + id + " does not exist");
  return absl::OkStatus();
}

}  // namespace tnascsi::controller::truenas

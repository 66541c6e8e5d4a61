// Model: the simulated TrueNAS system (pools, datasets/zvols, snapshots, iSCSI, NFS, services)
// with TrueNAS's validation rules and cascades for the active personality. It exposes the domain
// methods (pool.*, zfs.snapshot.*/pool.snapshot.*, iscsi.*, sharing.nfs.*, service.*, system.*)
// through call(); protocol concerns (auth, core.*, jobs, limits) live in protocol/.
//
// Thread-safety: every public method takes the model's mutex, so calls are serialised like a
// single middleware worker (the simulated latency is slept by the dispatcher, outside it).
// A mutating call is a transaction: the tables journal what it writes (tx_map.h), so a failed
// call is undone in O(records touched). Mutations are sent to the Backing before they are
// committed: if the backing fails, the model is rolled back and the call fails with
// CallError(EFAULT). The backing events that describe a whole configuration (iscsi.config,
// nfs.config) are only built when the backing consumes events (Backing::consumesEvents).
// After each committed mutation the onMutation callback runs (persistence).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/base/clock.h"
#include "common/base/status.h"
#include "test/truenas-sim/backing/backing.h"
#include "test/truenas-sim/json/json.h"
#include "test/truenas-sim/model/tx_map.h"
#include "test/truenas-sim/personality/personality.h"

namespace tnascsi::sim {

class Verrors;

class Model {
 public:
  Model(Personality personality, Backing& backing, common::Clock& clock,
        std::string backingRoot = "/var/lib/truenas-sim");

  const Personality& personality() const { return personality_; }

  // Adds a pool (and its root dataset) unless one with that name exists. Not persisted on its
  // own: call before load() or rely on the next mutation.
  // `draid`: its data vdev is dRAID (pool.query topology.data[].type "DRAID").
  void addPool(const std::string& name, int64_t sizeBytes, bool draid = false);

  // Whether `method` is a domain method of this personality.
  bool hasMethod(const std::string& method) const;
  // Whether a service ("pool.dataset", "iscsi.extent") has a method on this personality.
  bool hasService(const std::string& service) const;
  // Whether `method` runs as a job (the protocol layer wraps it).
  bool isJob(const std::string& method) const;
  // Runs a domain method with its positional params (a JSON array). Errors are ApiErrors.
  StatusOr<Json> call(const std::string& method, const Json& params);

  // The whole state, for persistence; load() replaces the state with a saved one.
  Json save() const;
  Status load(const Json& state);
  // Called after every committed mutation (under the model's lock: keep it O(1)).
  void setOnMutation(std::function<void()> cb) { onMutation_ = std::move(cb); }
  // Backing::apply failures are returned from call(); events are recorded while a call runs.
  void setBackingRoot(std::string root) { backingRoot_ = std::move(root); }
  // Addresses iscsi.portal accepts (listen_ip_choices). Default 0.0.0.0, :: and 127.0.0.1.
  void setInterfaceIps(std::vector<std::string> ips);
  // Services that are not running after a start (a broken configuration): starting them answers
  // false, as the middleware's start with `silent` does (test control, not persisted).
  void setFailingServices(std::set<std::string> names) {
    std::lock_guard<std::mutex> lock(mu_);
    failingServices_ = std::move(names);
  }
  // Test control: gives (or removes) a non-trivial ACL on a filesystem dataset's root directory,
  // as filesystem.setacl would (not modelled). NotFound for an unknown dataset. Persisted with
  // the dataset.
  Status setAclForTest(const std::string& dataset, bool nonTrivial);

 private:
  using Handler = std::function<StatusOr<Json>(const Json& params)>;
  void registerMethods();
  void reg(const std::string& name, Handler h, bool mutates = true) {
    handlers_[name] = {std::move(h), mutates};
  }

  // --- pools, system, services (model.cc, system.cc)
  std::vector<Json> poolEntries() const;
  int64_t poolFree(const std::string& pool) const;
  StatusOr<Json> serviceAction(const std::string& verb, const Json& params);
  void registerSystem();

  // --- datasets (datasets.cc)
  void registerDatasets();
  StatusOr<Json> datasetCreate(const Json& params);
  StatusOr<Json> datasetUpdate(const Json& params);
  StatusOr<Json> datasetDelete(const Json& params);
  StatusOr<Json> datasetPromote(const Json& params);
  Json datasetEntry(const Json& rec, const Json& props) const;
  std::vector<Json> datasetEntries(const Json& extra, const Json& filters) const;
  std::vector<std::string> datasetsWalked(const Json& extra, const Json& filters) const;
  int64_t charged(const Json& rec) const;            // space this dataset alone consumes
  int64_t usedTotal(const std::string& name) const;  // incl. children and snapshots
  int64_t available(const std::string& name) const;
  bool isChildOf(const std::string& name, const std::string& parent) const;
  Status removeDatasetAttachments(const std::string& name, bool isVolume);

  // --- snapshots (snapshots.cc)
  void registerSnapshots(const std::string& ns);
  StatusOr<Json> snapshotCreate(const Json& params);
  StatusOr<Json> snapshotDelete(const Json& params);
  StatusOr<Json> snapshotClone(const Json& params);
  StatusOr<Json> snapshotRollback(const Json& params);
  StatusOr<Json> snapshotUpdate(const Json& params);
  StatusOr<Json> destroySnapshots(const Json& params);
  std::vector<Json> snapshotEntries() const;
  std::vector<std::string> clonesOf(const std::string& snapshot) const;
  // Destroys snapshot `name` (which must exist): the backing's snapshot.delete event, then the
  // record. Requires mu_ held.
  void eraseSnapshot(const std::string& name);
  // Destroys dataset or zvol `name` (which must exist) the same way (dataset.delete with its
  // mountpoint, or zvol.delete). Attachments and snapshots are the caller's business.
  void eraseDataset(const std::string& name);

  // --- replication.run_onetime (replication.cc)
  bool hasReplication() const;
  StatusOr<Json> replicationRunOnetime(const Json& params);

  // --- iSCSI (iscsi.cc, iscsi_targets.cc)
  void registerIscsi();
  StatusOr<Json> portalCreateOrUpdate(const Json& params, bool update);
  StatusOr<Json> initiatorCreateOrUpdate(const Json& params, bool update);
  StatusOr<Json> authCreateOrUpdate(const Json& params, bool update);
  StatusOr<Json> authDelete(const Json& params);
  StatusOr<Json> targetCreateOrUpdate(const Json& params, bool update);
  StatusOr<Json> targetDelete(const Json& params);
  StatusOr<Json> extentCreateOrUpdate(const Json& params, bool update);
  StatusOr<Json> extentDelete(const Json& params);
  StatusOr<Json> targetExtentCreateOrUpdate(const Json& params, bool update);
  Status deleteTargetInternal(int64_t id, bool deleteExtents);
  Json portalEntry(const Json& rec) const;
  Json extentEntry(const Json& rec) const;
  Json iscsiConfigEvent() const;
  std::string targetIqn(const Json& target) const;

  // --- filesystem.stat/setperm/chown (filesystem.cc)
  void registerFilesystem();
  StatusOr<Json> fsStat(const Json& params);
  StatusOr<Json> fsChange(const Json& params, bool setperm);
  StatusOr<std::string> permPathCheck(const std::string& schema, const std::string& path,
                                      Verrors& v);
  std::optional<std::string> datasetAtPath(const std::string& path) const;
  Json initialPerm(const std::string& parent) const;  // a new dataset's root directory
  Json permOf(const Json& rec) const;                 // {mode, uid, gid, acl} with defaults

  // --- NFS (nfs.cc)
  void registerNfs();
  StatusOr<Json> nfsCreateOrUpdate(const Json& params, bool update);
  Json nfsEntry(const Json& rec) const;
  Json nfsConfigEvent() const;

  // --- backing events, queued during a call and applied before it commits.
  void emit(Json event);
  void markIscsiChanged() { iscsiChanged_ = true; }
  void markNfsChanged() { nfsChanged_ = true; }
  int64_t nowSeconds() const;
  std::string newSerial();
  std::string newNaa();
  std::string newGuid();

  // The small part of the state, copied whole before a mutating call (O(1) in the number of
  // volumes); the tables in State journal their own writes (tx_map.h).
  struct Scalars {
    Json iscsiGlobal;
    Json nfsConfig;
    int64_t nextId = 1;  // one id counter per table would also do
    std::map<std::string, int64_t> nextIds;
    int64_t txg = 100;
    uint64_t rng = 0x9e3779b97f4a7c15ull;
  };
  struct State : Scalars {
    TxMap<std::string> pools;      // name -> {id,name,size,guid}
    TxMap<std::string> datasets;   // name -> record
    TxMap<std::string> snapshots;  // full name -> record
    TxMap<int64_t> portals, initiators, auths, targets, extents, targetextents;
    TxMap<int64_t> nfsShares;
    TxMap<std::string> services;  // name -> {id, service, enable, state}

    template <typename F>
    void forEachTable(F f) {
      for (TxMap<std::string>* t : {&pools, &datasets, &snapshots, &services}) f(*t);
      for (TxMap<int64_t>* t :
           {&portals, &initiators, &auths, &targets, &extents, &targetextents, &nfsShares}) {
        f(*t);
      }
    }
  };
  int64_t nextId(const std::string& table) { return state_.nextIds[table]++ + 1; }
  // A mutating call is a transaction: begin, then commit or roll back to `before`.
  Scalars beginTx();
  void commitTx();
  void rollbackTx(Scalars before);
  Json stateToJson(const State& s) const;

  Personality personality_;
  Backing& backing_;
  common::Clock& clock_;
  std::string backingRoot_;
  mutable std::mutex mu_;
  State state_;
  struct Entry {
    Handler handler;
    bool mutates;
  };
  std::map<std::string, Entry> handlers_;
  std::vector<Json> pendingEvents_;
  bool iscsiChanged_ = false;
  bool nfsChanged_ = false;
  std::function<void()> onMutation_;
  std::vector<std::string> interfaceIps_ = {"0.0.0.0", "::", "127.0.0.1"};
  std::set<std::string> failingServices_;
};

// Parses "100G", "1T", "512M", "4096" (binary units). nullopt on garbage.
std::optional<int64_t> parseSize(const std::string& text);
// ZFS-style human value ("10G", "56K", "1.50G").
std::string humanSize(int64_t bytes);

}  // namespace tnascsi::sim

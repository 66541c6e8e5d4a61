// Backend: one configured TrueNAS system (its TrueNasApi, parent dataset, portals, topology) plus
// per-backend facts fetched once and cached (version capabilities, iSCSI base name and portal id,
// services started). BackendRegistry holds them by name with one default.
//
// Thread-safety: all methods are thread-safe; cached facts are computed under a mutex by the first
// caller (a failure is not cached, so a later call retries).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "common/base/status.h"
#include "controller/provision/naming.h"
#include "controller/truenas/truenas_api.h"

namespace tnascsi::controller::provision {

struct BackendConfig {
  std::string name = "default";
  std::string parentDataset;                    // "tank/k8s"
  std::vector<std::string> portals;             // iSCSI portals for volume contexts, "host:port"
  std::string nfsServer;                        // host for NFS volume contexts
  std::map<std::string, std::string> topology;  // accessible topology segments of its volumes
};

// Checks names, dataset path and portals; InvalidArgument naming the field.
Status validateBackendConfig(const BackendConfig& config);

struct IscsiSetup {
  std::string basename;  // "iqn.2005-10.org.freenas.ctl"
  int64_t portalId = 0;
};

class Backend {
 public:
  Backend(BackendConfig config, truenas::TrueNasApi& api) : config_(std::move(config)), api_(api) {}

  const BackendConfig& config() const { return config_; }
  const std::string& name() const { return config_.name; }
  truenas::TrueNasApi& api() { return api_; }

  // Capabilities of the connected version (one versionInfo call, then cached).
  StatusOr<truenas::Capabilities> capabilities();
  // Longest volume leaf for this backend's parent (naming.h), from the capabilities.
  StatusOr<size_t> maxLeafLength();
  // iSCSI target base name and the portal id matching the first configured portal (a portal
  // listening on its address or on 0.0.0.0/::, else the only portal); starts the iscsitarget
  // service once. FailedPrecondition when no portal matches and several exist.
  StatusOr<IscsiSetup> iscsiSetup();
  // Whether the pool of the parent dataset has a dRAID data vdev (one pool.query, then cached: a
  // pool's data vdev types change only when an administrator adds vdevs). False when TrueNAS does
  // not know the pool (the dataset create then says so).
  StatusOr<bool> poolIsDraid();
  // Starts the nfs service once.
  Status ensureNfsService();
  // False when the backend answered neither versionInfo nor ping.
  Status checkConnected();
  // Held shared by iSCSI creates, exclusively by ExportCollector's sweeps (export_collector.h).
  std::shared_mutex& exportsGate() { return exportsGate_; }

 private:
  BackendConfig config_;
  truenas::TrueNasApi& api_;
  std::mutex mu_;
  std::optional<truenas::Capabilities> capabilities_;  // guarded by mu_
  std::optional<IscsiSetup> iscsi_;                    // guarded by mu_
  bool nfsStarted_ = false;                            // guarded by mu_
  std::optional<bool> draid_;                          // guarded by mu_
  std::shared_mutex exportsGate_;
};

class BackendRegistry {
 public:
  // The first added backend is the default unless setDefault() names another.
  void add(std::unique_ptr<Backend> backend);
  Status setDefault(const std::string& name);
  // Empty name -> the default. InvalidArgument for an unknown name (a StorageClass typo);
  // lookup() is for ids and returns nullptr instead.
  StatusOr<Backend*> select(const std::string& name);
  Backend* lookup(const std::string& name);
  std::vector<Backend*> all();
  bool empty() const { return backends_.empty(); }

 private:
  std::vector<std::unique_ptr<Backend>> backends_;
  std::string default_;
};

}  // namespace tnascsi::controller::provision

// Controller configuration: the TrueNAS backends, from flags (one backend) or from the config
// file's `backends:` list (one or more; docs/configuration.md). Produces, per backend, the
// provisioning settings (provision::BackendConfig) and the connection settings
// (truenas::ConnectionOptions). Errors are InvalidArgument naming the flag or config key. Secrets
// never pass through here: only the API key *file* path does. Used once at start-up.
#pragma once

#include <string>
#include <vector>

#include "common/base/status.h"
#include "common/cli/flags.h"
#include "common/config/config_node.h"
#include "controller/provision/backend.h"
#include "controller/truenas/connection_options.h"

namespace tnascsi::controller {

struct ControllerFlags {
  std::string truenasUrl;
  std::string apiKeyFile;
  std::string parentDataset;
  std::vector<std::string> portals;
  std::string nfsServer;
  std::string caFile;
  bool insecureSkipVerify = false;
  std::vector<std::string> topology;  // key=value
  std::string defaultBackend;
  // Connections per backend (0 = the default of ConnectionOptions::poolSize); a backend's
  // `connections` key overrides it.
  int64_t connections = 0;
  // The iSCSI leftover sweep (provision/export_collector.h): delay after the last delete, and the
  // longest it waits under continuous deletes.
  int64_t sweepDelayMs = 5000;
  int64_t sweepMaxDelayMs = 60000;
};

void addControllerFlags(common::Flags& flags, ControllerFlags* out);

struct BackendSpec {
  provision::BackendConfig config;
  truenas::ConnectionOptions connection;
};

struct ResolvedBackends {
  std::vector<BackendSpec> backends;  // empty: nothing configured (Identity only)
  std::string defaultBackend;         // empty: the first
};

// From --truenas-url & co. (a backend named "default") or the `backends:` section of `config`
// (may be null); giving both is an error. Each backend is validated (name, parent dataset path,
// portals, naming room for volume ids).
StatusOr<ResolvedBackends> resolveBackends(const ControllerFlags& flags,
                                           const common::ConfigNode& config);

}  // namespace tnascsi::controller

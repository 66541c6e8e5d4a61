// Start-up plumbing both binaries share: the common flags (endpoint, driver name, config file,
// logging, thread bound), command-line + config-file parsing, and serving until SIGTERM/SIGINT.
// main() stays wiring only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/cli/flags.h"
#include "common/metrics/http_server.h"

namespace grpc {
class Service;
}

namespace tnascsi::common {

inline constexpr const char* kDefaultDriverName = "csi.truenas-csi.io";

struct CommonOptions {
  std::string endpoint;
  std::string driverName = kDefaultDriverName;
  std::string configFile;
  std::string logLevel = "info";
  std::string logFormat = "text";
  int64_t maxThreads = 16;
  std::string metricsAddress;  // empty: no /metrics server
};

void addCommonFlags(Flags& flags, CommonOptions* options);

// Parses argv, then the config file named by --config (YAML or JSON; flags win over the file), then
// applies the logging options and validates the common ones. kExit after --help/--version.
// `sectionKeys` are config-file keys the binary parses itself (returned in *config).
StatusOr<Flags::Outcome> parseCommandLine(Flags& flags, CommonOptions& options, int argc,
                                          const char* const* argv,
                                          const std::vector<std::string>& sectionKeys,
                                          ConfigNode* config);

// Starts the /metrics and /healthz server on options.metricsAddress (nullptr when it is empty) and
// sets truenas_csi_build_info for `component`. Keep the result alive while serving.
StatusOr<std::unique_ptr<metrics::MetricsServer>> startMetricsServer(const CommonOptions& options,
                                                                     const std::string& component);

// Serves `services` on options.endpoint until SIGTERM/SIGINT, then shuts down cleanly. Returns
// the process exit code (0 after a signal, 1 if serving could not start). blockShutdownSignals()
// must have been called at the top of main().
int serveUntilSignal(const CommonOptions& options, const std::vector<grpc::Service*>& services,
                     const std::vector<std::string>& extraEndpointsForLog = {});

}  // namespace tnascsi::common

// Shared start-up plumbing (see app.h).
#include "common/cli/app.h"

#include <grpcpp/grpcpp.h>

#include <csignal>

#include "common/config/config_file.h"
#include "common/csi/identity_service.h"
#include "common/log/log.h"
#include "common/metrics/rpc_metrics.h"
#include "common/rpc/signals.h"
#include "common/rpc/unix_server.h"
#include "common/version.h"

namespace tnascsi::common {

void addCommonFlags(Flags& flags, CommonOptions* o) {
  flags.addString("endpoint", &o->endpoint, "CSI endpoint to serve, unix:///absolute/path.sock");
  flags.addString("driver-name", &o->driverName,
                  "CSI driver name reported by GetPluginInfo; must match the CSIDriver object");
  flags.addString("config", &o->configFile,
                  "YAML or JSON config file; keys are the flag names, flags on the command line "
                  "win");
  flags.addString("log-level", &o->logLevel, "debug, info, warn or error");
  flags.addString("log-format", &o->logFormat, "text (logfmt) or json");
  flags.addInt("max-threads", &o->maxThreads, "upper bound on concurrently served RPCs");
  flags.addString("metrics-address", &o->metricsAddress,
                  "serve Prometheus /metrics and /healthz over HTTP on host:port or :port "
                  "(empty: off)");
}

StatusOr<Flags::Outcome> parseCommandLine(Flags& flags, CommonOptions& o, int argc,
                                          const char* const* argv,
                                          const std::vector<std::string>& sectionKeys,
                                          ConfigNode* config) {
  TNAS_ASSIGN_OR_RETURN(Flags::Outcome outcome, flags.parse(argc, argv));
  if (outcome == Flags::Outcome::kExit) return outcome;
  if (!o.configFile.empty()) {
    TNAS_ASSIGN_OR_RETURN(ConfigNode doc, loadConfigFile(o.configFile));
    TNAS_RETURN_IF_ERROR(flags.applyConfig(doc, sectionKeys));
    if (config != nullptr) *config = std::move(doc);
  }
  LogLevel level;
  if (!parseLogLevel(o.logLevel, &level)) {
    return absl::InvalidArgumentError("--log-level must be debug, info, warn or error, not '" +
                                      o.logLevel + "'");
  }
  LogFormat format;
  if (!parseLogFormat(o.logFormat, &format)) {
    return absl::InvalidArgumentError("--log-format must be text or json, not '" + o.logFormat +
                                      "'");
  }
  setLogLevel(level);
  setLogFormat(format);
  if (o.endpoint.empty()) {
    return absl::InvalidArgumentError("--endpoint is required (e.g. unix:///csi/csi.sock)");
  }
  TNAS_RETURN_IF_ERROR(parseUnixEndpoint(o.endpoint).status());
  TNAS_RETURN_IF_ERROR(validateDriverName(o.driverName));
  if (o.maxThreads < 2 || o.maxThreads > 1024) {
    return absl::InvalidArgumentError("--max-threads must be between 2 and 1024");
  }
  if (!o.metricsAddress.empty()) {
    TNAS_RETURN_IF_ERROR(metrics::parseListenAddress(o.metricsAddress).status());
  }
  return outcome;
}

StatusOr<std::unique_ptr<metrics::MetricsServer>> startMetricsServer(const CommonOptions& options,
                                                                     const std::string& component) {
  metrics::registerBuildInfo(component, kVersion, kGitCommit);
  metrics::registerRpcMetrics();
  if (options.metricsAddress.empty()) return std::unique_ptr<metrics::MetricsServer>();
  return metrics::MetricsServer::start(options.metricsAddress, metrics::Registry::global());
}

int serveUntilSignal(const CommonOptions& options, const std::vector<grpc::Service*>& services,
                     const std::vector<std::string>& extraEndpointsForLog) {
  ServerOptions serverOptions;
  serverOptions.endpoint = options.endpoint;
  serverOptions.maxThreads = static_cast<int>(options.maxThreads);
  auto server = UnixGrpcServer::start(serverOptions, services);
  if (!server.ok()) {
    TNAS_LOG(Error).kv("error", std::string(server.status().message())) << "cannot serve";
    return 1;
  }
  for (const auto& e : extraEndpointsForLog) TNAS_LOG(Info).kv("endpoint", e) << "also serving";
  int sig = waitForShutdownSignal();
  TNAS_LOG(Info).kv("signal", sig == SIGTERM ? "SIGTERM" : "SIGINT") << "shutting down";
  (*server)->shutdown();
  return 0;
}

}  // namespace tnascsi::common

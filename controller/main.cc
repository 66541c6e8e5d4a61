// truenas-csi-controller: the CSI Identity + Controller service for TrueNAS. Wiring only: flags and
// config -> backends (one TrueNAS client each) -> provisioning -> services -> serve until
// SIGTERM/SIGINT.
#include <chrono>
#include <memory>
#include <vector>

#include "common/base/clock.h"
#include "common/cli/app.h"
#include "common/csi/identity_service.h"
#include "common/log/log.h"
#include "common/metrics/controller_metrics.h"
#include "common/rpc/signals.h"
#include "common/version.h"
#include "controller/metrics/metered_transport.h"
#include "controller/provision/backend.h"
#include "controller/provision/snapshot_manager.h"
#include "controller/provision/volume_manager.h"
#include "controller/service/backend_readiness.h"
#include "controller/service/controller_config.h"
#include "controller/service/controller_service.h"
#include "controller/truenas/connection_pool.h"
#include "controller/truenas/truenas_client.h"
#include "controller/truenas/ws_connection.h"

using namespace tnascsi;  // NOLINT(google-build-using-namespace): main only

int main(int argc, char** argv) {
  common::blockShutdownSignals();
  common::Flags flags("truenas-csi-controller",
                      "CSI Identity and Controller service for TrueNAS (iSCSI and NFS volumes).");
  flags.setVersionText(std::string("truenas-csi-controller ") + common::kVersion + " (" +
                       common::kGitCommit + ")");
  common::CommonOptions options;
  options.endpoint = "unix:///csi/csi.sock";
  common::addCommonFlags(flags, &options);
  controller::ControllerFlags controllerFlags;
  controller::addControllerFlags(flags, &controllerFlags);

  common::ConfigNode config;
  auto outcome = common::parseCommandLine(flags, options, argc, argv, {"backends"}, &config);
  if (!outcome.ok()) {
    TNAS_LOG(Error).kv("error", std::string(outcome.status().message())) << "bad command line";
    return 2;
  }
  if (*outcome == common::Flags::Outcome::kExit) return 0;
  if (controllerFlags.sweepDelayMs < 0 || controllerFlags.sweepMaxDelayMs < 0) {
    TNAS_LOG(Error) << "bad command line: --sweep-delay-ms and --sweep-max-delay-ms must not be "
                       "negative";
    return 2;
  }
  auto resolved = controller::resolveBackends(controllerFlags, config);
  if (!resolved.ok()) {
    TNAS_LOG(Error).kv("error", std::string(resolved.status().message())) << "bad backend config";
    return 2;
  }
  TNAS_LOG(Info)
          .kv("version", common::kVersion)
          .kv("commit", common::kGitCommit)
          .kv("driver", options.driverName)
          .kv("backends", std::to_string(resolved->backends.size()))
      << "truenas-csi-controller starting";

  // One client per backend over a small pool of persistent connections, metered.
  std::vector<std::unique_ptr<controller::truenas::ConnectionPool>> connections;
  std::vector<std::unique_ptr<controller::MeteredTransport>> metered;
  std::vector<std::unique_ptr<controller::truenas::TrueNasClient>> clients;
  common::metrics::registerControllerMetrics();
  controller::provision::BackendRegistry registry;
  std::vector<controller::BackendReadiness::Entry> readinessEntries;
  for (const auto& spec : resolved->backends) {
    connections.push_back(std::make_unique<controller::truenas::ConnectionPool>(
        spec.connection, common::systemClock(),
        [options = spec.connection](controller::truenas::AuthGuard& guard) {
          return std::make_unique<controller::truenas::WsConnection>(options, common::systemClock(),
                                                                     &guard);
        }));
    controller::truenas::ConnectionPool* pool = connections.back().get();
    common::metrics::exposeTrueNasConnection(
        spec.config.name, [pool] { return pool->connected(); },
        [pool] { return pool->connectionGeneration(); });
    metered.push_back(std::make_unique<controller::MeteredTransport>(*pool, spec.config.name));
    clients.push_back(std::make_unique<controller::truenas::TrueNasClient>(*metered.back(),
                                                                           common::systemClock()));
    registry.add(std::make_unique<controller::provision::Backend>(spec.config, *clients.back()));
    readinessEntries.push_back({spec.config.name, clients.back().get()});
    TNAS_LOG(Info).kv("backend", spec.config.name).kv("parent", spec.config.parentDataset)
        << "backend configured";
  }
  if (!resolved->defaultBackend.empty()) {
    Status s = registry.setDefault(resolved->defaultBackend);
    if (!s.ok()) {
      TNAS_LOG(Error).kv("error", std::string(s.message())) << "bad backend config";
      return 2;
    }
  }
  controller::BackendReadiness readiness(readinessEntries);

  common::IdentityConfig identity;
  identity.driverName = options.driverName;
  identity.version = common::kVersion;
  identity.manifest = {{"commit", common::kGitCommit}, {"component", "controller"}};
  identity.capabilities = {
      common::serviceCapability(csi::v1::PluginCapability::Service::CONTROLLER_SERVICE),
      common::serviceCapability(
          csi::v1::PluginCapability::Service::VOLUME_ACCESSIBILITY_CONSTRAINTS),
      common::expansionCapability(csi::v1::PluginCapability::VolumeExpansion::ONLINE),
  };
  common::IdentityService identityService(identity, readiness);
  controller::provision::VolumeManager volumes(
      registry, options.driverName, std::chrono::milliseconds(controllerFlags.sweepDelayMs),
      std::chrono::milliseconds(controllerFlags.sweepMaxDelayMs));
  controller::provision::SnapshotManager snapshots(volumes);
  controller::ControllerService controllerService(volumes, snapshots);
  auto metricsServer = common::startMetricsServer(options, "controller");
  if (!metricsServer.ok()) {
    TNAS_LOG(Error).kv("error", std::string(metricsServer.status().message())) << "cannot start";
    return 1;
  }
  if (registry.empty()) {
    TNAS_LOG(Warn).kv("reason", std::string(readiness.ready().message()))
        << "serving Identity only";
    return common::serveUntilSignal(options, {&identityService});
  }
  return common::serveUntilSignal(options, {&identityService, &controllerService});
}

// truenas-csi-controller: the CSI Identity + Controller service for TrueNAS. Wiring only: flags and
// config -> services -> serve until SIGTERM/SIGINT.
#include "common/cli/app.h"
#include "common/csi/identity_service.h"
#include "common/log/log.h"
#include "common/rpc/signals.h"
#include "common/version.h"
#include "controller/service/backend_readiness.h"

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

  Poco::JSON::Object::Ptr config;
  auto outcome = common::parseCommandLine(flags, options, argc, argv, {"backends"}, &config);
  if (!outcome.ok()) {
    TNAS_LOG(Error).kv("error", std::string(outcome.status().message())) << "bad command line";
    return 2;
  }
  if (*outcome == common::Flags::Outcome::kExit) return 0;
  TNAS_LOG(Info)
          .kv("version", common::kVersion)
          .kv("commit", common::kGitCommit)
          .kv("driver", options.driverName)
      << "truenas-csi-controller starting";

  controller::BackendReadiness readiness(/*configured=*/false);
  if (!readiness.ready().ok()) {
    TNAS_LOG(Warn).kv("reason", std::string(readiness.ready().message()))
        << "serving Identity only";
  }
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
  return common::serveUntilSignal(options, {&identityService});
}

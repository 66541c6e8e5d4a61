// truenas-csi-node: the host-native CSI Identity + Node agent. Wiring only: flags and config ->
// kernel seams -> services -> serve until SIGTERM/SIGINT.
#include "agent/identity/iscsid_readiness.h"
#include "common/cli/app.h"
#include "common/csi/identity_service.h"
#include "common/log/log.h"
#include "common/rpc/signals.h"
#include "common/version.h"

using namespace tnascsi;  // NOLINT(google-build-using-namespace): main only

int main(int argc, char** argv) {
  common::blockShutdownSignals();
  common::Flags flags("truenas-csi-node",
                      "Host-native CSI Identity and Node agent for TrueNAS volumes (iSCSI, NFS).");
  flags.setVersionText(std::string("truenas-csi-node ") + common::kVersion + " (" +
                       common::kGitCommit + ")");
  common::CommonOptions options;
  options.endpoint =
      std::string("unix:///var/lib/kubelet/plugins/") + common::kDefaultDriverName + "/csi.sock";
  common::addCommonFlags(flags, &options);

  auto outcome = common::parseCommandLine(flags, options, argc, argv, {}, nullptr);
  if (!outcome.ok()) {
    TNAS_LOG(Error).kv("error", std::string(outcome.status().message())) << "bad command line";
    return 2;
  }
  if (*outcome == common::Flags::Outcome::kExit) return 0;
  TNAS_LOG(Info)
          .kv("version", common::kVersion)
          .kv("commit", common::kGitCommit)
          .kv("driver", options.driverName)
      << "truenas-csi-node starting";

  agent::IscsidReadiness readiness;
  if (Status s = readiness.ready(); !s.ok()) {
    TNAS_LOG(Warn).kv("reason", std::string(s.message())) << "iSCSI not available yet";
  }
  common::IdentityConfig identity;
  identity.driverName = options.driverName;
  identity.version = common::kVersion;
  identity.manifest = {{"commit", common::kGitCommit}, {"component", "node"}};
  common::IdentityService identityService(identity, readiness);
  return common::serveUntilSignal(options, {&identityService});
}

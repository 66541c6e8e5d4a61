// truenas-csi-node: the host-native CSI Identity + Node agent. Wiring only: flags and config ->
// the real kernel seams (iscsid IPC, sysfs/udev, blkid/mkfs, libmount) -> NodeRuntime -> Identity,
// Node and kubelet-registration servers -> serve until SIGTERM/SIGINT.
#include <malloc.h>
#include <unistd.h>

#include <csignal>
#include <map>
#include <optional>

#include "agent/block/blkid_filesystems.h"
#include "agent/block/disk_waiter.h"
#include "agent/block/sysfs_block_devices.h"
#include "agent/block/sysfs_multipath_maps.h"
#include "agent/identity/initiator_readiness.h"
#include "agent/iscsi/iscsid_initiator.h"
#include "agent/iscsi/session_source.h"
#include "agent/mount/libmount_mounter.h"
#include "agent/registration/kubelet_registration.h"
#include "agent/service/node_id.h"
#include "agent/service/node_runtime.h"
#include "agent/stage/attach_record.h"
#include "common/base/clock.h"
#include "common/cli/app.h"
#include "common/csi/identity_service.h"
#include "common/log/log.h"
#include "common/metrics/node_metrics.h"
#include "common/rpc/signals.h"
#include "common/rpc/unix_server.h"
#include "common/version.h"

using namespace tnascsi;  // NOLINT(google-build-using-namespace): main only

namespace {

struct NodeOptions {
  std::string kubeletDir = "/var/lib/kubelet";
  std::string stateDir = "/var/lib/truenas-csi";
  std::string nodeName;
  std::string nodeAddress;
  std::vector<std::string> topology;
  bool registerWithKubelet = true;
  bool iscsi = true;
  int64_t maxVolumesPerNode = 0;
  int64_t healIntervalSec = 60;
  int64_t replacementTimeoutSec = 120;
  int64_t lunWaitSec = 30;
};

StatusOr<std::map<std::string, std::string>> parseTopology(const std::vector<std::string>& kvs) {
  std::map<std::string, std::string> out;
  for (const auto& kv : kvs) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError("--topology '" + kv + "' must be key=value");
    }
    out[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return out;
}

std::string hostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  // Every gRPC handler thread would otherwise get a malloc arena of its own (glibc allows 8 per
  // core) whose touched pages stay resident; the agent's calls are few and short, so two arenas
  // serve them without contention and keep the resident set small.
  mallopt(M_ARENA_MAX, 2);
  common::blockShutdownSignals();
  common::Flags flags("truenas-csi-node",
                      "Host-native CSI Identity and Node agent for TrueNAS volumes (iSCSI, NFS).");
  flags.setVersionText(std::string("truenas-csi-node ") + common::kVersion + " (" +
                       common::kGitCommit + ")");
  common::CommonOptions options;
  options.endpoint =
      std::string("unix:///var/lib/kubelet/plugins/") + common::kDefaultDriverName + "/csi.sock";
  common::addCommonFlags(flags, &options);
  NodeOptions node;
  flags.addString("kubelet-dir", &node.kubeletDir,
                  "kubelet's root directory; staging and target paths must lie under it");
  flags.addString("state-dir", &node.stateDir, "directory for attach records");
  flags.addString("node-name", &node.nodeName,
                  "Kubernetes node name reported in the node id (default: the host name)");
  flags.addString("node-address", &node.nodeAddress,
                  "NFS client address reported in the node id, which per-node NFS exports "
                  "(nfsExportPerNode) admit: an IPv4/IPv6 address, or route-to:<address> for the "
                  "source address of the route to <address> (the NFS server); default: none");
  flags.addStringList("topology", &node.topology,
                      "topology segment key=value reported by NodeGetInfo");
  flags.addBool("register-with-kubelet", &node.registerWithKubelet,
                "serve kubelet plugin registration (turn off when node-driver-registrar runs)");
  flags.addBool("iscsi", &node.iscsi,
                "this node attaches iSCSI volumes (false: NFS only, iscsid not required)");
  flags.addInt("max-volumes-per-node", &node.maxVolumesPerNode,
               "reported by NodeGetInfo (0: no limit)");
  flags.addInt("heal-interval", &node.healIntervalSec,
               "seconds between self-healing passes (0: off)");
  flags.addInt("iscsi-replacement-timeout", &node.replacementTimeoutSec,
               "seconds I/O waits for a lost iSCSI session to come back before failing");
  flags.addInt("lun-wait-timeout", &node.lunWaitSec,
               "seconds to wait for a LUN's disk to appear after login");

  auto outcome = common::parseCommandLine(flags, options, argc, argv, {}, nullptr);
  if (!outcome.ok()) {
    TNAS_LOG(Error).kv("error", std::string(outcome.status().message())) << "bad command line";
    return 2;
  }
  if (*outcome == common::Flags::Outcome::kExit) return 0;
  auto topology = parseTopology(node.topology);
  if (!topology.ok()) {
    TNAS_LOG(Error).kv("error", std::string(topology.status().message())) << "bad command line";
    return 2;
  }
  if (node.nodeName.empty()) node.nodeName = hostName();
  auto nfsAddress = agent::resolveNodeAddress(node.nodeAddress);
  if (!nfsAddress.ok()) {
    TNAS_LOG(Error).kv("error", std::string(nfsAddress.status().message())) << "bad --node-address";
    return 2;
  }
  TNAS_LOG(Info)
          .kv("version", common::kVersion)
          .kv("commit", common::kGitCommit)
          .kv("driver", options.driverName)
          .kv("node", node.nodeName)
          .kv("nfs_address", *nfsAddress)
      << "truenas-csi-node starting";

  // The kernel seams.
  agent::IscsidInitiatorOptions initiatorOptions;
  initiatorOptions.record.replacementTimeoutSec = static_cast<int>(node.replacementTimeoutSec);
  agent::IscsidInitiator initiator(initiatorOptions,
                                   std::make_unique<agent::OpeniscsiusrSessionSource>());
  agent::SysfsBlockDevices blocks("/sys", std::make_unique<agent::UdevDiskWaiter>());
  agent::BlkidFilesystems filesystems;
  agent::LibmountMounter mounter;
  agent::SysfsMultipathMaps multipath("/sys", "/dev");

  agent::InitiatorReadiness readiness(initiator, node.iscsi);
  if (Status s = readiness.ready(); !s.ok()) {
    TNAS_LOG(Warn).kv("reason", std::string(s.message())) << "iSCSI not available yet";
  }

  agent::NodeRuntimeConfig runtimeConfig;
  runtimeConfig.kubeletDir = node.kubeletDir;
  runtimeConfig.stateDir = node.stateDir;
  runtimeConfig.healInterval = std::chrono::seconds(node.healIntervalSec);
  runtimeConfig.lunWaitTimeout = std::chrono::seconds(node.lunWaitSec);
  runtimeConfig.service.nodeName = node.nodeName;
  runtimeConfig.service.nfsAddress = *nfsAddress;
  runtimeConfig.service.maxVolumesPerNode = node.maxVolumesPerNode;
  runtimeConfig.service.topology = *topology;
  runtimeConfig.service.requireIscsi = node.iscsi;
  runtimeConfig.multipath = &multipath;
  auto runtime = agent::NodeRuntime::create(runtimeConfig, initiator, blocks, filesystems, mounter,
                                            common::systemClock());
  if (!runtime.ok()) {
    TNAS_LOG(Error).kv("error", std::string(runtime.status().message())) << "cannot start";
    return 1;
  }

  // Metrics read at each scrape: the host's iSCSI sessions, the iscsid layout, attach records.
  common::metrics::registerNodeMetrics();
  if (node.iscsi) {
    common::metrics::exposeIscsiSessions([&initiator]() -> std::optional<int> {
      auto sessions = initiator.sessions();
      if (!sessions.ok()) return std::nullopt;
      return static_cast<int>(sessions->size());
    });
    common::metrics::exposeIscsidLayout([&initiator]() -> std::optional<std::string> {
      auto layout = initiator.layout();
      if (!layout.ok()) return std::nullopt;
      return agent::layoutName(*layout);
    });
  }
  agent::stage::AttachRecordStore recordsForMetrics(node.stateDir);
  common::metrics::exposeNodeVolumes([&recordsForMetrics] {
    std::vector<common::metrics::Sample> out;
    auto records = recordsForMetrics.loadAll();
    if (!records.ok()) return out;
    std::map<std::pair<std::string, std::string>, int> counts;
    for (const auto& r : *records) {
      const char* phase = r.phase == agent::stage::AttachRecord::Phase::kStaged      ? "staged"
                          : r.phase == agent::stage::AttachRecord::Phase::kDetaching ? "detaching"
                                                                                     : "attaching";
      ++counts[{r.protocol, phase}];
    }
    for (const auto& [key, n] : counts) out.push_back({{key.first, key.second}, double(n)});
    return out;
  });
  auto metricsServer = common::startMetricsServer(options, "node");
  if (!metricsServer.ok()) {
    TNAS_LOG(Error).kv("error", std::string(metricsServer.status().message())) << "cannot start";
    return 1;
  }

  common::IdentityConfig identity;
  identity.driverName = options.driverName;
  identity.version = common::kVersion;
  identity.manifest = {{"commit", common::kGitCommit}, {"component", "node"}};
  identity.capabilities = {
      common::expansionCapability(csi::v1::PluginCapability::VolumeExpansion::ONLINE)};
  if (!topology->empty()) {
    identity.capabilities.push_back(common::serviceCapability(
        csi::v1::PluginCapability::Service::VOLUME_ACCESSIBILITY_CONSTRAINTS));
  }
  common::IdentityService identityService(identity, readiness);

  common::ServerOptions serverOptions;
  serverOptions.endpoint = options.endpoint;
  serverOptions.maxThreads = static_cast<int>(options.maxThreads);
  auto server =
      common::UnixGrpcServer::start(serverOptions, {&identityService, &(*runtime)->service()});
  if (!server.ok()) {
    TNAS_LOG(Error).kv("error", std::string(server.status().message())) << "cannot serve";
    return 1;
  }
  (*runtime)->startHealing();

  std::unique_ptr<agent::KubeletRegistration> registration;
  if (node.registerWithKubelet) {
    agent::RegistrationOptions reg;
    reg.registrationDir = node.kubeletDir + "/plugins_registry";
    reg.driverName = options.driverName;
    reg.csiSocketPath = (*server)->socketPath();
    registration = std::make_unique<agent::KubeletRegistration>(reg);
    if (Status s = registration->start(); !s.ok()) {
      TNAS_LOG(Error).kv("error", std::string(s.message())) << "kubelet registration failed";
      return 1;
    }
  }

  int sig = common::waitForShutdownSignal();
  TNAS_LOG(Info).kv("signal", sig == SIGTERM ? "SIGTERM" : "SIGINT") << "shutting down";
  if (registration) registration->stop();  // deregister first: kubelet stops sending calls
  (*runtime)->stopHealing();
  (*server)->shutdown();
  return 0;
}

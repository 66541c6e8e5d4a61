// NodeRuntime: everything behind the CSI Node service, assembled from the four kernel seams —
// attach-record store, in-flight guard, IscsiAttacher, NodeVolumes, SelfHealer, NodeService — so
// main() (and in-process tests with the fakes) need one call:
//
//   auto runtime = NodeRuntime::create(config, initiator, blocks, filesystems, mounter, clock);
//   serve {&identity, &(*runtime)->service()};   then (*runtime)->startHealing();
//
// The seams and the clock are not owned and must outlive the runtime. Thread-safe as its parts.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "agent/service/node_service.h"
#include "agent/stage/self_healer.h"

namespace tnascsi::agent {

struct NodeRuntimeConfig {
  std::string kubeletDir = "/var/lib/kubelet";
  std::string stateDir = "/var/lib/truenas-csi";
  std::chrono::seconds healInterval{60};  // 0: no self-healing thread
  std::chrono::milliseconds lunWaitTimeout{30000};
  NodeServiceConfig service;
  MultipathMaps* multipath = nullptr;  // dm-multipath maps (owned by main); null: none
};

class NodeRuntime {
 public:
  // Creates the state directory (0700) and the objects. Errors from the filesystem.
  static StatusOr<std::unique_ptr<NodeRuntime>> create(const NodeRuntimeConfig& config,
                                                       IscsiInitiator& initiator,
                                                       BlockDevices& blocks,
                                                       Filesystems& filesystems, Mounter& mounter,
                                                       common::Clock& clock);
  ~NodeRuntime();

  NodeService& service() { return *service_; }
  stage::NodeVolumes& volumes() { return *volumes_; }
  stage::SelfHealer& healer() { return *healer_; }

  // Runs one healing pass now (repairs what an agent restart found), then starts the periodic
  // thread when the interval is not 0.
  void startHealing();
  void stopHealing();

 private:
  NodeRuntime(const NodeRuntimeConfig& config, IscsiInitiator& initiator, BlockDevices& blocks,
              Filesystems& filesystems, Mounter& mounter, common::Clock& clock);

  NodeRuntimeConfig config_;
  stage::AttachRecordStore records_;
  common::InFlight inflight_;
  stage::VolumeHealth health_;
  std::unique_ptr<stage::IscsiAttacher> attacher_;
  std::unique_ptr<stage::NodeVolumes> volumes_;
  std::unique_ptr<stage::SelfHealer> healer_;
  std::unique_ptr<NodeService> service_;
};

}  // namespace tnascsi::agent

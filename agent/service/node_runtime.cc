// NodeRuntime (see node_runtime.h).
#include "agent/service/node_runtime.h"

#include "agent/mount/nfs_options.h"

namespace tnascsi::agent {

NodeRuntime::NodeRuntime(const NodeRuntimeConfig& config, IscsiInitiator& initiator,
                         BlockDevices& blocks, Filesystems& filesystems, Mounter& mounter,
                         common::Clock& clock)
    : config_(config), records_(config.stateDir) {
  stage::StageConfig stage;
  stage.kubeletDir = config.kubeletDir;
  stage.lunWaitTimeout = config.lunWaitTimeout;
  stage.resolve = resolveHostAddress;
  stage::StageEnv env{initiator, blocks,   filesystems, mounter,
                      clock,     records_, inflight_,   config.multipath};
  attacher_ = std::make_unique<stage::IscsiAttacher>(env, stage);
  volumes_ = std::make_unique<stage::NodeVolumes>(env, stage, *attacher_, health_);
  healer_ = std::make_unique<stage::SelfHealer>(env, stage, *attacher_, health_);
  service_ = std::make_unique<NodeService>(config.service, *volumes_, initiator);
}

NodeRuntime::~NodeRuntime() {
  stopHealing();
}

StatusOr<std::unique_ptr<NodeRuntime>> NodeRuntime::create(const NodeRuntimeConfig& config,
                                                           IscsiInitiator& initiator,
                                                           BlockDevices& blocks,
                                                           Filesystems& filesystems,
                                                           Mounter& mounter, common::Clock& clock) {
  if (config.kubeletDir.empty() || config.kubeletDir.front() != '/') {
    return absl::InvalidArgumentError("kubelet directory must be an absolute path");
  }
  std::unique_ptr<NodeRuntime> runtime(
      new NodeRuntime(config, initiator, blocks, filesystems, mounter, clock));
  TNAS_RETURN_IF_ERROR(runtime->records_.init());
  return runtime;
}

void NodeRuntime::startHealing() {
  healer_->runOnce();
  if (config_.healInterval.count() > 0) healer_->start(config_.healInterval);
}

void NodeRuntime::stopHealing() {
  if (healer_) healer_->stop();
}

}  // namespace tnascsi::agent

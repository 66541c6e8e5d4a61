// The CSI calls of the end-to-end tests (see csi_calls.h).
#include "test/e2e/csi_calls.h"

#include <chrono>
#include <filesystem>

#include "absl/status/status.h"

namespace tnascsi::e2e {
namespace {

namespace fs = std::filesystem;

void setDeadline(grpc::ClientContext& ctx, int seconds) {
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
}

template <typename Map>
void copySecrets(const std::map<std::string, std::string>& from, Map* to) {
  for (const auto& [k, v] : from) (*to)[k] = v;
}

}  // namespace

csi::v1::VolumeCapability VolumeSpec::capability() const {
  csi::v1::VolumeCapability cap;
  if (block) {
    cap.mutable_block();
  } else {
    auto* mount = cap.mutable_mount();
    mount->set_fs_type(protocol == "iscsi" ? fsType : "");
    for (const auto& f : mountFlags) mount->add_mount_flags(f);
  }
  cap.mutable_access_mode()->set_mode(
      protocol == "nfs" ? csi::v1::VolumeCapability::AccessMode::MULTI_NODE_MULTI_WRITER
                        : csi::v1::VolumeCapability::AccessMode::SINGLE_NODE_WRITER);
  return cap;
}

CsiCalls::CsiCalls(const StackEndpoints& stack)
    : nodeEndpoint_(stack.nodeEndpoint),
      kubeletDir_(stack.kubeletDir),
      driverName_(stack.driverName),
      controller_(csi::v1::Controller::NewStub(
          grpc::CreateChannel(stack.controllerEndpoint, grpc::InsecureChannelCredentials()))) {
  reconnectNode();
}

void CsiCalls::reconnectNode() {
  node_ = csi::v1::Node::NewStub(
      grpc::CreateChannel(nodeEndpoint_, grpc::InsecureChannelCredentials()));
}

std::string CsiCalls::describe(const char* what, const grpc::Status& s) {
  int code = s.error_code();
  // gRPC and absl share the numbering (the driver's logs and metrics use absl's names too).
  std::string name = absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
  if (name.empty()) name = "?";
  return std::string(what) + ": code " + std::to_string(code) + " (" + name +
         "): " + s.error_message();
}

grpc::Status CsiCalls::nodeGetInfo(std::string* nodeId) {
  grpc::ClientContext ctx;
  setDeadline(ctx, 30);
  csi::v1::NodeGetInfoResponse resp;
  grpc::Status s = node_->NodeGetInfo(&ctx, {}, &resp);
  if (s.ok()) *nodeId = resp.node_id();
  return s;
}

grpc::Status CsiCalls::createVolume(E2eVolume& v, const VolumeSpec& spec,
                                    const csi::v1::VolumeContentSource* source,
                                    const Secrets& secrets) {
  csi::v1::CreateVolumeRequest req;
  req.set_name(v.name);
  req.mutable_capacity_range()->set_required_bytes(spec.sizeBytes);
  *req.add_volume_capabilities() = spec.capability();
  auto& params = *req.mutable_parameters();
  params["protocol"] = spec.protocol;
  if (spec.protocol == "nfs") params["nfsVersion"] = spec.nfsVersion;
  for (const auto& [k, val] : spec.parameters) params[k] = val;
  params["csi.storage.k8s.io/pvc/name"] = v.name;
  params["csi.storage.k8s.io/pvc/namespace"] = "e2e";
  if (source != nullptr) *req.mutable_volume_content_source() = *source;
  copySecrets(secrets.provisioner, req.mutable_secrets());
  grpc::ClientContext ctx;
  setDeadline(ctx, 120);
  csi::v1::CreateVolumeResponse resp;
  grpc::Status s = controller_->CreateVolume(&ctx, req, &resp);
  if (s.ok()) {
    v.id = resp.volume().volume_id();
    v.volumeContext = resp.volume().volume_context();
  }
  return s;
}

grpc::Status CsiCalls::deleteVolume(const std::string& volumeId, const Secrets& secrets) {
  csi::v1::DeleteVolumeRequest req;
  req.set_volume_id(volumeId);
  copySecrets(secrets.provisioner, req.mutable_secrets());
  grpc::ClientContext ctx;
  setDeadline(ctx, 120);
  csi::v1::DeleteVolumeResponse resp;
  return controller_->DeleteVolume(&ctx, req, &resp);
}

grpc::Status CsiCalls::controllerPublish(E2eVolume& v, const VolumeSpec& spec,
                                         const std::string& nodeId) {
  csi::v1::ControllerPublishVolumeRequest req;
  req.set_volume_id(v.id);
  req.set_node_id(nodeId);
  *req.mutable_volume_capability() = spec.capability();
  *req.mutable_volume_context() = v.volumeContext;
  grpc::ClientContext ctx;
  setDeadline(ctx, 60);
  csi::v1::ControllerPublishVolumeResponse resp;
  grpc::Status s = controller_->ControllerPublishVolume(&ctx, req, &resp);
  if (s.ok()) v.publishContext = resp.publish_context();
  return s;
}

grpc::Status CsiCalls::controllerUnpublish(const E2eVolume& v, const std::string& nodeId) {
  csi::v1::ControllerUnpublishVolumeRequest req;
  req.set_volume_id(v.id);
  req.set_node_id(nodeId);
  grpc::ClientContext ctx;
  setDeadline(ctx, 60);
  csi::v1::ControllerUnpublishVolumeResponse resp;
  return controller_->ControllerUnpublishVolume(&ctx, req, &resp);
}

void CsiCalls::setPaths(E2eVolume& v, const VolumeSpec& spec) const {
  std::string pod = kubeletDir_ + "/pods/e2e-" + v.name;
  if (spec.block) {
    v.staging = kubeletDir_ + "/plugins/kubernetes.io/csi/volumeDevices/staging/" + v.name;
    v.target = pod + "/volumeDevices/kubernetes.io~csi/" + v.name;
  } else {
    v.staging =
        kubeletDir_ + "/plugins/kubernetes.io/csi/" + driverName_ + "/" + v.name + "/globalmount";
    v.target = pod + "/volumes/kubernetes.io~csi/" + v.name + "/mount";
  }
  std::error_code ec;
  fs::create_directories(v.staging, ec);                         // kubelet creates the staging dir
  fs::create_directories(fs::path(v.target).parent_path(), ec);  // and the target's parent
}

grpc::Status CsiCalls::nodeStage(const E2eVolume& v, const VolumeSpec& spec,
                                 const Secrets& secrets) {
  csi::v1::NodeStageVolumeRequest req;
  req.set_volume_id(v.id);
  req.set_staging_target_path(v.staging);
  *req.mutable_volume_capability() = spec.capability();
  *req.mutable_publish_context() = v.publishContext;
  *req.mutable_volume_context() = v.volumeContext;
  copySecrets(secrets.nodeStage, req.mutable_secrets());
  grpc::ClientContext ctx;
  setDeadline(ctx, 180);
  csi::v1::NodeStageVolumeResponse resp;
  return node_->NodeStageVolume(&ctx, req, &resp);
}

grpc::Status CsiCalls::nodeUnstage(const E2eVolume& v) {
  csi::v1::NodeUnstageVolumeRequest req;
  req.set_volume_id(v.id);
  req.set_staging_target_path(v.staging);
  grpc::ClientContext ctx;
  setDeadline(ctx, 120);
  csi::v1::NodeUnstageVolumeResponse resp;
  return node_->NodeUnstageVolume(&ctx, req, &resp);
}

grpc::Status CsiCalls::nodePublish(const E2eVolume& v, const VolumeSpec& spec) {
  csi::v1::NodePublishVolumeRequest req;
  req.set_volume_id(v.id);
  req.set_staging_target_path(v.staging);
  req.set_target_path(v.target);
  req.set_readonly(spec.readOnly);
  *req.mutable_volume_capability() = spec.capability();
  *req.mutable_publish_context() = v.publishContext;
  *req.mutable_volume_context() = v.volumeContext;
  grpc::ClientContext ctx;
  setDeadline(ctx, 60);
  csi::v1::NodePublishVolumeResponse resp;
  return node_->NodePublishVolume(&ctx, req, &resp);
}

grpc::Status CsiCalls::nodeUnpublish(const E2eVolume& v) {
  csi::v1::NodeUnpublishVolumeRequest req;
  req.set_volume_id(v.id);
  req.set_target_path(v.target);
  grpc::ClientContext ctx;
  setDeadline(ctx, 60);
  csi::v1::NodeUnpublishVolumeResponse resp;
  return node_->NodeUnpublishVolume(&ctx, req, &resp);
}

grpc::Status CsiCalls::createSnapshot(const std::string& sourceVolumeId, const std::string& name,
                                      csi::v1::Snapshot* out) {
  csi::v1::CreateSnapshotRequest req;
  req.set_source_volume_id(sourceVolumeId);
  req.set_name(name);
  grpc::ClientContext ctx;
  setDeadline(ctx, 60);
  csi::v1::CreateSnapshotResponse resp;
  grpc::Status s = controller_->CreateSnapshot(&ctx, req, &resp);
  if (s.ok()) *out = resp.snapshot();
  return s;
}

grpc::Status CsiCalls::deleteSnapshot(const std::string& snapshotId) {
  csi::v1::DeleteSnapshotRequest req;
  req.set_snapshot_id(snapshotId);
  grpc::ClientContext ctx;
  setDeadline(ctx, 60);
  csi::v1::DeleteSnapshotResponse resp;
  return controller_->DeleteSnapshot(&ctx, req, &resp);
}

bool CsiCalls::attach(E2eVolume& v, const VolumeSpec& spec, const std::string& nodeId,
                      std::string* error, const Secrets& secrets) {
  setPaths(v, spec);
  grpc::Status s = controllerPublish(v, spec, nodeId);
  if (!s.ok() && s.error_code() != grpc::StatusCode::UNIMPLEMENTED) {
    *error = describe("ControllerPublishVolume", s);
    return false;
  }
  if (s = nodeStage(v, spec, secrets); !s.ok()) {
    *error = describe("NodeStageVolume", s);
    return false;
  }
  if (s = nodePublish(v, spec); !s.ok()) {
    *error = describe("NodePublishVolume", s);
    return false;
  }
  return true;
}

bool CsiCalls::detach(const E2eVolume& v, const std::string& nodeId, std::string* error) {
  grpc::Status s = nodeUnpublish(v);
  if (!s.ok()) {
    *error = describe("NodeUnpublishVolume", s);
    return false;
  }
  if (s = nodeUnstage(v); !s.ok()) {
    *error = describe("NodeUnstageVolume", s);
    return false;
  }
  s = controllerUnpublish(v, nodeId);
  if (!s.ok() && s.error_code() != grpc::StatusCode::UNIMPLEMENTED) {
    *error = describe("ControllerUnpublishVolume", s);
    return false;
  }
  return true;
}

}  // namespace tnascsi::e2e

// CsiCalls: the CSI calls the end-to-end tests make, in the shapes the Kubernetes sidecars and
// kubelet use (capabilities, kubelet's staging/target path layout, deadlines), over the
// controller's and the node agent's gRPC sockets. Every call returns the raw grpc::Status so a
// scenario can assert on codes; attach()/detach() chain the usual sequences and describe the
// first failure. Shared by the lifecycle, fault and access scenarios. Not thread-safe.
#pragma once

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "proto/csi.grpc.pb.h"
#include "test/e2e/stack_flags.h"

namespace tnascsi::e2e {

// What a StorageClass + PVC ask for.
struct VolumeSpec {
  std::string protocol = "iscsi";  // iscsi | nfs
  std::string fsType = "ext4";     // ext4 | xfs (iSCSI filesystem volumes)
  bool block = false;              // raw block volume
  std::string nfsVersion = "4.2";
  std::map<std::string, std::string> parameters;  // extra StorageClass parameters
  int64_t sizeBytes = 1LL << 30;
  std::vector<std::string> mountFlags;  // the StorageClass's mountOptions
  bool readOnly = false;                // NodePublish readonly

  csi::v1::VolumeCapability capability() const;
};

// One volume as the tests track it.
struct E2eVolume {
  std::string name, id, staging, target;
  google::protobuf::Map<std::string, std::string> volumeContext, publishContext;
};

struct Secrets {
  std::map<std::string, std::string> provisioner;  // CreateVolume/DeleteVolume secrets
  std::map<std::string, std::string> nodeStage;    // NodeStageVolume secrets
};

class CsiCalls {
 public:
  explicit CsiCalls(const StackEndpoints& stack);

  // "code N (NAME): message" for a failed call.
  static std::string describe(const char* what, const grpc::Status& s);

  grpc::Status nodeGetInfo(std::string* nodeId);
  // Fills v.id and v.volumeContext.
  grpc::Status createVolume(E2eVolume& v, const VolumeSpec& spec,
                            const csi::v1::VolumeContentSource* source = nullptr,
                            const Secrets& secrets = {});
  grpc::Status deleteVolume(const std::string& volumeId, const Secrets& secrets = {});
  grpc::Status controllerPublish(E2eVolume& v, const VolumeSpec& spec, const std::string& nodeId);
  grpc::Status controllerUnpublish(const E2eVolume& v, const std::string& nodeId);
  // Creates the staging directory and the target's parent the way kubelet does (setPaths first).
  grpc::Status nodeStage(const E2eVolume& v, const VolumeSpec& spec, const Secrets& secrets = {});
  grpc::Status nodeUnstage(const E2eVolume& v);
  grpc::Status nodePublish(const E2eVolume& v, const VolumeSpec& spec);
  grpc::Status nodeUnpublish(const E2eVolume& v);
  grpc::Status createSnapshot(const std::string& sourceVolumeId, const std::string& name,
                              csi::v1::Snapshot* out);
  grpc::Status deleteSnapshot(const std::string& snapshotId);

  // kubelet's staging and target paths for `v.name`; creates the directories kubelet would.
  void setPaths(E2eVolume& v, const VolumeSpec& spec) const;

  // ControllerPublish → NodeStage → NodePublish; false with *error on the first failure.
  bool attach(E2eVolume& v, const VolumeSpec& spec, const std::string& nodeId, std::string* error,
              const Secrets& secrets = {});
  // NodeUnpublish → NodeUnstage → ControllerUnpublish.
  bool detach(const E2eVolume& v, const std::string& nodeId, std::string* error);

  csi::v1::Controller::Stub& controller() { return *controller_; }
  csi::v1::Node::Stub& node() { return *node_; }

  // Reconnects to the node endpoint (after the agent was restarted).
  void reconnectNode();

 private:
  std::string nodeEndpoint_;
  std::string kubeletDir_;
  std::string driverName_;
  std::unique_ptr<csi::v1::Controller::Stub> controller_;
  std::unique_ptr<csi::v1::Node::Stub> node_;
};

}  // namespace tnascsi::e2e

// NodeService: the CSI Node service, a thin adapter. Each RPC checks the fields CSI requires,
// turns the message into a stage:: request, calls NodeVolumes, and maps the result; every RPC runs
// through common::handleRpc (request id, secret-stripped logging, Status → gRPC code).
// GetInfo reports the node id (agent/service/node_id.h), max_volumes_per_node and the configured
// topology segments. Thread-safe (NodeVolumes is; the config is immutable).
#pragma once

#include <map>
#include <string>

#include "agent/iscsi/initiator.h"
#include "agent/stage/node_volumes.h"
#include "proto/csi.grpc.pb.h"

namespace tnascsi::agent {

struct NodeServiceConfig {
  std::string nodeName;
  // The NFS client address reported in the node id (canonical; empty: none, version 1 id).
  std::string nfsAddress;
  int64_t maxVolumesPerNode = 0;
  std::map<std::string, std::string> topology;
  // true: GetInfo fails (Unavailable) while iscsid cannot tell the initiator name, so kubelet
  // retries registration; false (NFS-only nodes): the node id carries an empty IQN.
  bool requireIscsi = true;
};

class NodeService final : public csi::v1::Node::Service {
 public:
  NodeService(NodeServiceConfig config, stage::NodeVolumes& volumes, IscsiInitiator& initiator);

  grpc::Status NodeStageVolume(grpc::ServerContext*, const csi::v1::NodeStageVolumeRequest*,
                               csi::v1::NodeStageVolumeResponse*) override;
  grpc::Status NodeUnstageVolume(grpc::ServerContext*, const csi::v1::NodeUnstageVolumeRequest*,
                                 csi::v1::NodeUnstageVolumeResponse*) override;
  grpc::Status NodePublishVolume(grpc::ServerContext*, const csi::v1::NodePublishVolumeRequest*,
                                 csi::v1::NodePublishVolumeResponse*) override;
  grpc::Status NodeUnpublishVolume(grpc::ServerContext*, const csi::v1::NodeUnpublishVolumeRequest*,
                                   csi::v1::NodeUnpublishVolumeResponse*) override;
  grpc::Status NodeGetVolumeStats(grpc::ServerContext*, const csi::v1::NodeGetVolumeStatsRequest*,
                                  csi::v1::NodeGetVolumeStatsResponse*) override;
  grpc::Status NodeExpandVolume(grpc::ServerContext*, const csi::v1::NodeExpandVolumeRequest*,
                                csi::v1::NodeExpandVolumeResponse*) override;
  grpc::Status NodeGetCapabilities(grpc::ServerContext*, const csi::v1::NodeGetCapabilitiesRequest*,
                                   csi::v1::NodeGetCapabilitiesResponse*) override;
  grpc::Status NodeGetInfo(grpc::ServerContext*, const csi::v1::NodeGetInfoRequest*,
                           csi::v1::NodeGetInfoResponse*) override;

 private:
  Status stage(const csi::v1::NodeStageVolumeRequest& request);
  Status publish(const csi::v1::NodePublishVolumeRequest& request);
  Status volumeStats(const csi::v1::NodeGetVolumeStatsRequest& request,
                     csi::v1::NodeGetVolumeStatsResponse* response);
  Status info(csi::v1::NodeGetInfoResponse* response);

  NodeServiceConfig config_;
  stage::NodeVolumes& volumes_;
  IscsiInitiator& initiator_;
};

}  // namespace tnascsi::agent

// NodeService (see node_service.h).
#include "agent/service/node_service.h"

#include "agent/service/node_id.h"
#include "common/rpc/rpc_handler.h"

namespace tnascsi::agent {
namespace {

using csi::v1::VolumeCapability;

Status require(const std::string& value, const char* field) {
  if (value.empty()) return absl::InvalidArgumentError(std::string(field) + " is required");
  return absl::OkStatus();
}

// Checks the capability and fills block/fsType/mountFlags. iSCSI filesystems must not be mounted
// by writers on several nodes (ext4/xfs are not cluster filesystems).
Status readCapability(const csi::v1::VolumeCapability& cap, bool hasCapability, bool isNfs,
                      bool* block, std::string* fsType, std::vector<std::string>* mountFlags) {
  if (!hasCapability) return absl::InvalidArgumentError("volume_capability is required");
  if (cap.has_block()) {
    *block = true;
  } else if (cap.has_mount()) {
    *block = false;
    *fsType = cap.mount().fs_type();
    mountFlags->assign(cap.mount().mount_flags().begin(), cap.mount().mount_flags().end());
    if (!cap.mount().volume_mount_group().empty()) {
      return absl::InvalidArgumentError("volume_mount_group is not supported");
    }
  } else {
    return absl::InvalidArgumentError("volume_capability needs an access type (block or mount)");
  }
  auto mode = cap.access_mode().mode();
  if (mode == VolumeCapability::AccessMode::UNKNOWN) {
    return absl::InvalidArgumentError("volume_capability.access_mode is required");
  }
  bool multiNodeWriter = mode == VolumeCapability::AccessMode::MULTI_NODE_MULTI_WRITER ||
                         mode == VolumeCapability::AccessMode::MULTI_NODE_SINGLE_WRITER;
  if (multiNodeWriter && !isNfs && !*block) {
    return absl::InvalidArgumentError(
        "multi-node write access to an iSCSI filesystem volume would corrupt it; use NFS or a "
        "block volume");
  }
  return absl::OkStatus();
}

// Every error leaves with a bounded message: request strings echoed deep inside (paths, options)
// are cut where they are quoted, and this cap keeps any status under the gRPC client's metadata
// limit whatever a lower layer put in it.
constexpr size_t kMaxMessageBytes = 1024;

Status capped(Status st) {
  if (st.ok() || st.message().size() <= kMaxMessageBytes) return st;
  return Status(st.code(), bounded(std::string(st.message()), kMaxMessageBytes));
}

bool isNfs(const google::protobuf::Map<std::string, std::string>& context) {
  auto it = context.find("protocol");
  return it != context.end() && it->second == "nfs";
}

}  // namespace

NodeService::NodeService(NodeServiceConfig config, stage::NodeVolumes& volumes,
                         IscsiInitiator& initiator)
    : config_(std::move(config)), volumes_(volumes), initiator_(initiator) {}

Status NodeService::stage(const csi::v1::NodeStageVolumeRequest& r) {
  TNAS_RETURN_IF_ERROR(require(r.volume_id(), "volume_id"));
  TNAS_RETURN_IF_ERROR(require(r.staging_target_path(), "staging_target_path"));
  stage::StageRequest s;
  s.volumeId = r.volume_id();
  s.stagingPath = r.staging_target_path();
  TNAS_RETURN_IF_ERROR(readCapability(r.volume_capability(), r.has_volume_capability(),
                                      isNfs(r.volume_context()), &s.block, &s.fsType,
                                      &s.mountFlags));
  for (const auto& [k, v] : r.volume_context()) s.context[k] = v;
  for (const auto& [k, v] : r.publish_context()) s.context[k] = v;  // controller's word wins
  for (const auto& [k, v] : r.secrets()) s.secrets[k] = v;
  return volumes_.stage(s);
}

Status NodeService::publish(const csi::v1::NodePublishVolumeRequest& r) {
  TNAS_RETURN_IF_ERROR(require(r.volume_id(), "volume_id"));
  TNAS_RETURN_IF_ERROR(require(r.target_path(), "target_path"));
  TNAS_RETURN_IF_ERROR(require(r.staging_target_path(), "staging_target_path"));
  stage::PublishRequest p;
  p.volumeId = r.volume_id();
  p.stagingPath = r.staging_target_path();
  p.targetPath = r.target_path();
  std::string fsType;
  TNAS_RETURN_IF_ERROR(readCapability(r.volume_capability(), r.has_volume_capability(),
                                      isNfs(r.volume_context()), &p.block, &fsType, &p.mountFlags));
  auto mode = r.volume_capability().access_mode().mode();
  p.readOnly = r.readonly() || mode == VolumeCapability::AccessMode::SINGLE_NODE_READER_ONLY ||
               mode == VolumeCapability::AccessMode::MULTI_NODE_READER_ONLY;
  return volumes_.publish(p);
}

Status NodeService::volumeStats(const csi::v1::NodeGetVolumeStatsRequest& r,
                                csi::v1::NodeGetVolumeStatsResponse* out) {
  TNAS_RETURN_IF_ERROR(require(r.volume_id(), "volume_id"));
  TNAS_RETURN_IF_ERROR(require(r.volume_path(), "volume_path"));
  TNAS_ASSIGN_OR_RETURN(stage::VolumeStats st, volumes_.stats(r.volume_id(), r.volume_path()));
  out->mutable_volume_condition()->set_abnormal(st.condition.abnormal);
  out->mutable_volume_condition()->set_message(st.condition.message);
  if (st.condition.abnormal) return absl::OkStatus();
  if (st.block) {
    auto* u = out->add_usage();
    u->set_unit(csi::v1::VolumeUsage::BYTES);
    u->set_total(static_cast<int64_t>(st.sizeBytes));
    return absl::OkStatus();
  }
  auto* bytes = out->add_usage();
  bytes->set_unit(csi::v1::VolumeUsage::BYTES);
  bytes->set_total(static_cast<int64_t>(st.fs.totalBytes));
  bytes->set_available(static_cast<int64_t>(st.fs.availableBytes));
  bytes->set_used(static_cast<int64_t>(st.fs.usedBytes));
  if (st.fs.totalInodes > 0) {
    auto* inodes = out->add_usage();
    inodes->set_unit(csi::v1::VolumeUsage::INODES);
    inodes->set_total(static_cast<int64_t>(st.fs.totalInodes));
    inodes->set_available(static_cast<int64_t>(st.fs.freeInodes));
    inodes->set_used(static_cast<int64_t>(st.fs.usedInodes));
  }
  return absl::OkStatus();
}

Status NodeService::info(csi::v1::NodeGetInfoResponse* out) {
  NodeId id{config_.nodeName, "", config_.nfsAddress};
  auto iqn = initiator_.initiatorName();
  if (iqn.ok()) {
    id.initiatorIqn = *iqn;
  } else if (config_.requireIscsi) {
    return absl::UnavailableError("cannot read the iSCSI initiator name from iscsid: " +
                                  std::string(iqn.status().message()));
  }
  TNAS_ASSIGN_OR_RETURN(std::string nodeId, formatNodeId(id));
  out->set_node_id(nodeId);
  out->set_max_volumes_per_node(config_.maxVolumesPerNode);
  if (!config_.topology.empty()) {
    auto* segments = out->mutable_accessible_topology()->mutable_segments();
    for (const auto& [k, v] : config_.topology) (*segments)[k] = v;
  }
  return absl::OkStatus();
}

grpc::Status NodeService::NodeStageVolume(grpc::ServerContext*,
                                          const csi::v1::NodeStageVolumeRequest* request,
                                          csi::v1::NodeStageVolumeResponse*) {
  return common::handleRpc("NodeStageVolume", *request, [&] { return capped(stage(*request)); });
}

grpc::Status NodeService::NodeUnstageVolume(grpc::ServerContext*,
                                            const csi::v1::NodeUnstageVolumeRequest* request,
                                            csi::v1::NodeUnstageVolumeResponse*) {
  return common::handleRpc("NodeUnstageVolume", *request, [&]() -> Status {
    TNAS_RETURN_IF_ERROR(require(request->volume_id(), "volume_id"));
    TNAS_RETURN_IF_ERROR(require(request->staging_target_path(), "staging_target_path"));
    return capped(volumes_.unstage(request->volume_id(), request->staging_target_path()));
  });
}

grpc::Status NodeService::NodePublishVolume(grpc::ServerContext*,
                                            const csi::v1::NodePublishVolumeRequest* request,
                                            csi::v1::NodePublishVolumeResponse*) {
  return common::handleRpc("NodePublishVolume", *request,
                           [&] { return capped(publish(*request)); });
}

grpc::Status NodeService::NodeUnpublishVolume(grpc::ServerContext*,
                                              const csi::v1::NodeUnpublishVolumeRequest* request,
                                              csi::v1::NodeUnpublishVolumeResponse*) {
  return common::handleRpc("NodeUnpublishVolume", *request, [&]() -> Status {
    TNAS_RETURN_IF_ERROR(require(request->volume_id(), "volume_id"));
    TNAS_RETURN_IF_ERROR(require(request->target_path(), "target_path"));
    return capped(volumes_.unpublish(request->volume_id(), request->target_path()));
  });
}

grpc::Status NodeService::NodeGetVolumeStats(grpc::ServerContext*,
                                             const csi::v1::NodeGetVolumeStatsRequest* request,
                                             csi::v1::NodeGetVolumeStatsResponse* response) {
  return common::handleRpc("NodeGetVolumeStats", *request,
                           [&] { return capped(volumeStats(*request, response)); },
                           {common::LogLevel::kDebug});
}

grpc::Status NodeService::NodeExpandVolume(grpc::ServerContext*,
                                           const csi::v1::NodeExpandVolumeRequest* request,
                                           csi::v1::NodeExpandVolumeResponse* response) {
  return common::handleRpc("NodeExpandVolume", *request, [&]() -> Status {
    TNAS_RETURN_IF_ERROR(require(request->volume_id(), "volume_id"));
    TNAS_RETURN_IF_ERROR(require(request->volume_path(), "volume_path"));
    TNAS_ASSIGN_OR_RETURN(uint64_t bytes,
                          volumes_.expand(request->volume_id(), request->volume_path()));
    response->set_capacity_bytes(static_cast<int64_t>(bytes));
    return absl::OkStatus();
  });
}

grpc::Status NodeService::NodeGetCapabilities(grpc::ServerContext*,
                                              const csi::v1::NodeGetCapabilitiesRequest* request,
                                              csi::v1::NodeGetCapabilitiesResponse* response) {
  return common::handleRpc(
      "NodeGetCapabilities", *request,
      [&] {
        using Rpc = csi::v1::NodeServiceCapability::RPC;
        for (auto type : {Rpc::STAGE_UNSTAGE_VOLUME, Rpc::GET_VOLUME_STATS, Rpc::EXPAND_VOLUME,
                          Rpc::VOLUME_CONDITION, Rpc::SINGLE_NODE_MULTI_WRITER}) {
          response->add_capabilities()->mutable_rpc()->set_type(type);
        }
        return absl::OkStatus();
      },
      {common::LogLevel::kDebug});
}

grpc::Status NodeService::NodeGetInfo(grpc::ServerContext*,
                                      const csi::v1::NodeGetInfoRequest* request,
                                      csi::v1::NodeGetInfoResponse* response) {
  return common::handleRpc("NodeGetInfo", *request, [&] { return info(response); });
}

}  // namespace tnascsi::agent

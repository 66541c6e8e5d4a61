// ControllerService: each RPC through handleRpc: decode (volume_codec.h, snapshot_codec.h), the
// provisioning layer, encode (see controller_service.h).
#include "controller/service/controller_service.h"

#include "common/rpc/rpc_handler.h"
#include "controller/service/snapshot_codec.h"
#include "controller/service/volume_codec.h"

namespace tnascsi::controller {

using Capability = csi::v1::ControllerServiceCapability::RPC;

namespace {

// The last guard for messages that echo what a caller sent: gRPC clients refuse a status whose
// grpc-message passes their metadata limit (8 KiB by default), so nothing leaves longer than this.
constexpr size_t kMaxMessage = 1024;

Status clip(Status status) {
  if (status.message().size() <= kMaxMessage) return status;
  return Status(status.code(),
                std::string(status.message().substr(0, kMaxMessage)) + "...(truncated)");
}

// handleRpc around `body` (decode, call provision, encode), with the message clipped.
template <typename Body>
grpc::Status serve(const char* method, const google::protobuf::Message& request, Body body) {
  return common::handleRpc(method, request, [&] { return clip(body()); });
}

}  // namespace

grpc::Status ControllerService::CreateVolume(grpc::ServerContext*,
                                             const csi::v1::CreateVolumeRequest* req,
                                             csi::v1::CreateVolumeResponse* resp) {
  return serve("CreateVolume", *req, [&]() -> Status {
    TNAS_ASSIGN_OR_RETURN(auto request, decodeCreateVolume(*req));
    TNAS_ASSIGN_OR_RETURN(auto volume, volumes_.createVolume(request));
    encodeVolume(volume, resp->mutable_volume());
    return absl::OkStatus();
  });
}

grpc::Status ControllerService::DeleteVolume(grpc::ServerContext*,
                                             const csi::v1::DeleteVolumeRequest* req,
                                             csi::v1::DeleteVolumeResponse*) {
  return serve("DeleteVolume", *req, [&]() -> Status {
    TNAS_ASSIGN_OR_RETURN(std::string id, decodeDeleteVolume(*req));
    return volumes_.deleteVolume(id);
  });
}

grpc::Status ControllerService::ControllerPublishVolume(
    grpc::ServerContext*, const csi::v1::ControllerPublishVolumeRequest* req,
    csi::v1::ControllerPublishVolumeResponse*) {
  return serve("ControllerPublishVolume", *req, [&]() -> Status {
    TNAS_ASSIGN_OR_RETURN(auto request, decodePublish(*req));
    return volumes_.publish(request);
  });
}

grpc::Status ControllerService::ControllerUnpublishVolume(
    grpc::ServerContext*, const csi::v1::ControllerUnpublishVolumeRequest* req,
    csi::v1::ControllerUnpublishVolumeResponse*) {
  return serve("ControllerUnpublishVolume", *req, [&]() -> Status {
    TNAS_ASSIGN_OR_RETURN(auto request, decodeUnpublish(*req));
    return volumes_.unpublish(request);
  });
}

grpc::Status ControllerService::ValidateVolumeCapabilities(
    grpc::ServerContext*, const csi::v1::ValidateVolumeCapabilitiesRequest* req,
    csi::v1::ValidateVolumeCapabilitiesResponse* resp) {
  return serve("ValidateVolumeCapabilities", *req, [&]() -> Status {
    TNAS_ASSIGN_OR_RETURN(auto request, decodeValidate(*req));
    TNAS_ASSIGN_OR_RETURN(auto result, volumes_.validateCapabilities(request));
    encodeValidate(result, *req, resp);
    return absl::OkStatus();
  });
}

grpc::Status ControllerService::ListVolumes(grpc::ServerContext*,
                                            const csi::v1::ListVolumesRequest* req,
                                            csi::v1::ListVolumesResponse* resp) {
  return serve("ListVolumes", *req, [&]() -> Status {
    TNAS_ASSIGN_OR_RETURN(auto request, decodeListVolumes(*req));
    TNAS_ASSIGN_OR_RETURN(auto result, volumes_.listVolumes(request));
    encodeListVolumes(result, resp);
    return absl::OkStatus();
  });
}

grpc::Status ControllerService::GetCapacity(grpc::ServerContext*,
                                            const csi::v1::GetCapacityRequest* req,
                                            csi::v1::GetCapacityResponse* resp) {
  return serve("GetCapacity", *req, [&]() -> Status {
    TNAS_ASSIGN_OR_RETURN(uint64_t available, volumes_.getCapacity(decodeGetCapacity(*req)));
    resp->set_available_capacity(static_cast<int64_t>(available));
    return absl::OkStatus();
  });
}

grpc::Status ControllerService::ControllerGetCapabilities(
    grpc::ServerContext*, const csi::v1::ControllerGetCapabilitiesRequest* req,
    csi::v1::ControllerGetCapabilitiesResponse* resp) {
  return common::handleRpc(
      "ControllerGetCapabilities", *req,
      [&] {
        for (Capability::Type type :
             {Capability::CREATE_DELETE_VOLUME, Capability::PUBLISH_UNPUBLISH_VOLUME,
              Capability::LIST_VOLUMES, Capability::GET_CAPACITY,
              Capability::CREATE_DELETE_SNAPSHOT, Capability::LIST_SNAPSHOTS,
              Capability::CLONE_VOLUME, Capability::EXPAND_VOLUME,
              Capability::LIST_VOLUMES_PUBLISHED_NODES, Capability::VOLUME_CONDITION,
              Capability::GET_VOLUME, Capability::SINGLE_NODE_MULTI_WRITER}) {
          resp->add_capabilities()->mutable_rpc()->set_type(type);
        }
        return absl::OkStatus();
      },
      {common::LogLevel::kDebug});
}

grpc::Status ControllerService::CreateSnapshot(grpc::ServerContext*,
                                               const csi::v1::CreateSnapshotRequest* req,
                                               csi::v1::CreateSnapshotResponse* resp) {
  return serve("CreateSnapshot", *req, [&]() -> Status {
    TNAS_ASSIGN_OR_RETURN(auto request, decodeCreateSnapshot(*req));
    TNAS_ASSIGN_OR_RETURN(auto snapshot, snapshots_.createSnapshot(request));
    encodeSnapshot(snapshot, resp->mutable_snapshot());
    return absl::OkStatus();
  });
}

grpc::Status ControllerService::DeleteSnapshot(grpc::ServerContext*,
                                               const csi::v1::DeleteSnapshotRequest* req,
                                               csi::v1::DeleteSnapshotResponse*) {
  return serve("DeleteSnapshot", *req, [&]() -> Status {
    TNAS_ASSIGN_OR_RETURN(std::string id, decodeDeleteSnapshot(*req));
    return snapshots_.deleteSnapshot(id);
  });
}

grpc::Status ControllerService::ListSnapshots(grpc::ServerContext*,
                                              const csi::v1::ListSnapshotsRequest* req,
                                              csi::v1::ListSnapshotsResponse* resp) {
  return serve("ListSnapshots", *req, [&]() -> Status {
    TNAS_ASSIGN_OR_RETURN(auto request, decodeListSnapshots(*req));
    TNAS_ASSIGN_OR_RETURN(auto result, snapshots_.listSnapshots(request));
    encodeListSnapshots(result, resp);
    return absl::OkStatus();
  });
}

grpc::Status ControllerService::ControllerExpandVolume(
    grpc::ServerContext*, const csi::v1::ControllerExpandVolumeRequest* req,
    csi::v1::ControllerExpandVolumeResponse* resp) {
  return serve("ControllerExpandVolume", *req, [&]() -> Status {
    TNAS_ASSIGN_OR_RETURN(auto request, decodeExpandVolume(*req));
    TNAS_ASSIGN_OR_RETURN(auto result, volumes_.expandVolume(request));
    resp->set_capacity_bytes(static_cast<int64_t>(result.capacity));
    resp->set_node_expansion_required(result.nodeExpansionRequired);
    return absl::OkStatus();
  });
}

grpc::Status ControllerService::ControllerGetVolume(grpc::ServerContext*,
                                                    const csi::v1::ControllerGetVolumeRequest* req,
                                                    csi::v1::ControllerGetVolumeResponse* resp) {
  return serve("ControllerGetVolume", *req, [&]() -> Status {
    TNAS_ASSIGN_OR_RETURN(std::string id, decodeGetVolume(*req));
    TNAS_ASSIGN_OR_RETURN(auto result, volumes_.getVolume(id));
    encodeGetVolume(result, resp);
    return absl::OkStatus();
  });
}

}  // namespace tnascsi::controller

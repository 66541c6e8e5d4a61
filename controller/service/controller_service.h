// ControllerService: the CSI Controller gRPC service. A thin adapter: every RPC goes through
// common::handleRpc (request id, logging with secrets stripped, Status -> gRPC code), decodes the
// CSI message into a plain request (volume_codec.h, snapshot_codec.h: the CSI shape is checked
// there), calls provision::VolumeManager / SnapshotManager, which hold the logic and never see a
// protobuf, and encodes their plain result into the response.
//
// ControllerGetCapabilities advertises exactly what works: CREATE_DELETE_VOLUME,
// PUBLISH_UNPUBLISH_VOLUME (iSCSI LUN masking; a no-op for NFS), LIST_VOLUMES (+ published
// nodes), GET_CAPACITY, CREATE_DELETE_SNAPSHOT, LIST_SNAPSHOTS, CLONE_VOLUME, EXPAND_VOLUME,
// GET_VOLUME, VOLUME_CONDITION, SINGLE_NODE_MULTI_WRITER. Not advertised: PUBLISH_READONLY (a LUN
// cannot be read-only per node), MODIFY_VOLUME. Thread-safe.
#pragma once

#include "controller/provision/snapshot_manager.h"
#include "controller/provision/volume_manager.h"
#include "proto/csi.grpc.pb.h"

namespace tnascsi::controller {

class ControllerService final : public csi::v1::Controller::Service {
 public:
  ControllerService(provision::VolumeManager& volumes, provision::SnapshotManager& snapshots)
      : volumes_(volumes), snapshots_(snapshots) {}

  grpc::Status CreateVolume(grpc::ServerContext*, const csi::v1::CreateVolumeRequest* request,
                            csi::v1::CreateVolumeResponse* response) override;
  grpc::Status DeleteVolume(grpc::ServerContext*, const csi::v1::DeleteVolumeRequest* request,
                            csi::v1::DeleteVolumeResponse* response) override;
  grpc::Status ControllerPublishVolume(grpc::ServerContext*,
                                       const csi::v1::ControllerPublishVolumeRequest* request,
                                       csi::v1::ControllerPublishVolumeResponse* response) override;
  grpc::Status ControllerUnpublishVolume(
      grpc::ServerContext*, const csi::v1::ControllerUnpublishVolumeRequest* request,
      csi::v1::ControllerUnpublishVolumeResponse* response) override;
  grpc::Status ValidateVolumeCapabilities(
      grpc::ServerContext*, const csi::v1::ValidateVolumeCapabilitiesRequest* request,
      csi::v1::ValidateVolumeCapabilitiesResponse* response) override;
  grpc::Status ListVolumes(grpc::ServerContext*, const csi::v1::ListVolumesRequest* request,
                           csi::v1::ListVolumesResponse* response) override;
  grpc::Status GetCapacity(grpc::ServerContext*, const csi::v1::GetCapacityRequest* request,
                           csi::v1::GetCapacityResponse* response) override;
  grpc::Status ControllerGetCapabilities(
      grpc::ServerContext*, const csi::v1::ControllerGetCapabilitiesRequest* request,
      csi::v1::ControllerGetCapabilitiesResponse* response) override;
  grpc::Status CreateSnapshot(grpc::ServerContext*, const csi::v1::CreateSnapshotRequest* request,
                              csi::v1::CreateSnapshotResponse* response) override;
  grpc::Status DeleteSnapshot(grpc::ServerContext*, const csi::v1::DeleteSnapshotRequest* request,
                              csi::v1::DeleteSnapshotResponse* response) override;
  grpc::Status ListSnapshots(grpc::ServerContext*, const csi::v1::ListSnapshotsRequest* request,
                             csi::v1::ListSnapshotsResponse* response) override;
  grpc::Status ControllerExpandVolume(grpc::ServerContext*,
                                      const csi::v1::ControllerExpandVolumeRequest* request,
                                      csi::v1::ControllerExpandVolumeResponse* response) override;
  grpc::Status ControllerGetVolume(grpc::ServerContext*,
                                   const csi::v1::ControllerGetVolumeRequest* request,
                                   csi::v1::ControllerGetVolumeResponse* response) override;

 private:
  provision::VolumeManager& volumes_;
  provision::SnapshotManager& snapshots_;
};

}  // namespace tnascsi::controller

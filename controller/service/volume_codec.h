// The CSI volume RPCs' messages <-> provision's plain shapes (requests.h). Each decode checks the
// CSI shape first (required fields, non-negative numbers, a content source that names something)
// and answers InvalidArgument naming the field, with the messages the service has always used; what
// needs the backend or the parameters is checked in provision/. Each encode fills the response.
// Pure functions; thread-safe.
#pragma once

#include <string>

#include "common/base/status.h"
#include "controller/provision/requests.h"
#include "proto/csi.pb.h"

namespace tnascsi::controller {

provision::Capability decodeCapability(const csi::v1::VolumeCapability& capability);

StatusOr<provision::CreateVolumeRequest> decodeCreateVolume(
    const csi::v1::CreateVolumeRequest& request);
StatusOr<std::string> decodeDeleteVolume(const csi::v1::DeleteVolumeRequest& request);
StatusOr<provision::ExpandVolumeRequest> decodeExpandVolume(
    const csi::v1::ControllerExpandVolumeRequest& request);
StatusOr<std::string> decodeGetVolume(const csi::v1::ControllerGetVolumeRequest& request);
StatusOr<provision::ListRequest> decodeListVolumes(const csi::v1::ListVolumesRequest& request);
StatusOr<provision::ValidateRequest> decodeValidate(
    const csi::v1::ValidateVolumeCapabilitiesRequest& request);
provision::CapacityRequest decodeGetCapacity(const csi::v1::GetCapacityRequest& request);
StatusOr<provision::PublishRequest> decodePublish(
    const csi::v1::ControllerPublishVolumeRequest& request);
StatusOr<provision::UnpublishRequest> decodeUnpublish(
    const csi::v1::ControllerUnpublishVolumeRequest& request);

void encodeVolume(const provision::VolumeInfoResult& volume, csi::v1::Volume* out);
void encodeGetVolume(const provision::VolumeStatusResult& result,
                     csi::v1::ControllerGetVolumeResponse* out);
void encodeListVolumes(const provision::ListVolumesResult& result,
                       csi::v1::ListVolumesResponse* out);
// A confirmed result echoes the request's capabilities, context and parameters.
void encodeValidate(const provision::ValidateResult& result,
                    const csi::v1::ValidateVolumeCapabilitiesRequest& request,
                    csi::v1::ValidateVolumeCapabilitiesResponse* out);

}  // namespace tnascsi::controller

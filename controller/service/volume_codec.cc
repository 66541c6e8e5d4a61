// CSI volume messages <-> plain shapes (see volume_codec.h).
#include "controller/service/volume_codec.h"

#include "controller/service/snapshot_codec.h"

namespace tnascsi::controller {
namespace {

Status requireVolumeId(const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError("volume_id is required");
  return absl::OkStatus();
}

}  // namespace

StatusOr<std::string> decodeDeleteVolume(const csi::v1::DeleteVolumeRequest& req) {
  TNAS_RETURN_IF_ERROR(requireVolumeId(req.volume_id()));
  return req.volume_id();
}

StatusOr<std::string> decodeGetVolume(const csi::v1::ControllerGetVolumeRequest& req) {
  TNAS_RETURN_IF_ERROR(requireVolumeId(req.volume_id()));
  return req.volume_id();
}

StatusOr<provision::ListRequest> decodeListVolumes(const csi::v1::ListVolumesRequest& req) {
  return decodePage(req.max_entries(), req.starting_token());
}

StatusOr<provision::UnpublishRequest> decodeUnpublish(
    const csi::v1::ControllerUnpublishVolumeRequest& req) {
  TNAS_RETURN_IF_ERROR(requireVolumeId(req.volume_id()));
  return provision::UnpublishRequest{req.volume_id(), req.node_id()};
}

void encodeVolume(const provision::VolumeInfoResult& volume, csi::v1::Volume* out) {
  out->set_volume_id(volume.id);
  out->set_capacity_bytes(static_cast<int64_t>(volume.capacity));
  out->mutable_volume_context()->insert(volume.context.begin(), volume.context.end());
  if (!volume.topology.empty()) {
    out->add_accessible_topology()->mutable_segments()->insert(volume.topology.begin(),
                                                               volume.topology.end());
  }
  if (volume.source) {
    auto* source = out->mutable_content_source();
    if (volume.source->kind == provision::ContentSource::Kind::kSnapshot) {
      source->mutable_snapshot()->set_snapshot_id(volume.source->id);
    } else {
      source->mutable_volume()->set_volume_id(volume.source->id);
    }
  }
}

void encodeGetVolume(const provision::VolumeStatusResult& result,
                     csi::v1::ControllerGetVolumeResponse* out) {
  encodeVolume(result.volume, out->mutable_volume());
  auto* status = out->mutable_status();
  status->mutable_volume_condition()->set_abnormal(result.abnormal);
  status->mutable_volume_condition()->set_message(result.message);
  for (const auto& node : result.publishedNodeIds) status->add_published_node_ids(node);
}

void encodeListVolumes(const provision::ListVolumesResult& result,
                       csi::v1::ListVolumesResponse* out) {
  for (const auto& entry : result.entries) {
    auto* e = out->add_entries();
    encodeVolume(entry.volume, e->mutable_volume());
    for (const auto& node : entry.publishedNodeIds) {
      e->mutable_status()->add_published_node_ids(node);
    }
  }
  if (!result.nextToken.empty()) out->set_next_token(result.nextToken);
}

}  // namespace tnascsi::controller

// CSI volume messages <-> plain shapes (see volume_codec.h).
#include "controller/service/volume_codec.h"

#include "controller/service/snapshot_codec.h"

namespace tnascsi::controller {
namespace {

using provision::AccessMode;
using provision::AccessType;
using Mode = csi::v1::VolumeCapability::AccessMode;

AccessMode decodeMode(const csi::v1::VolumeCapability& cap) {
  if (!cap.has_access_mode()) return AccessMode::kUnknown;
  switch (cap.access_mode().mode()) {
    case Mode::UNKNOWN:
      return AccessMode::kUnknown;
    case Mode::SINGLE_NODE_WRITER:
      return AccessMode::kSingleNodeWriter;
    case Mode::SINGLE_NODE_READER_ONLY:
      return AccessMode::kSingleNodeReaderOnly;
    case Mode::MULTI_NODE_READER_ONLY:
      return AccessMode::kMultiNodeReaderOnly;
    case Mode::MULTI_NODE_SINGLE_WRITER:
      return AccessMode::kMultiNodeSingleWriter;
    case Mode::MULTI_NODE_MULTI_WRITER:
      return AccessMode::kMultiNodeMultiWriter;
    case Mode::SINGLE_NODE_SINGLE_WRITER:
      return AccessMode::kSingleNodeSingleWriter;
    case Mode::SINGLE_NODE_MULTI_WRITER:
      return AccessMode::kSingleNodeMultiWriter;
    default:
      break;
  }
  return AccessMode::kUnrecognised;
}

std::vector<provision::Capability> decodeCapabilities(
    const google::protobuf::RepeatedPtrField<csi::v1::VolumeCapability>& caps) {
  std::vector<provision::Capability> out;
  out.reserve(caps.size());
  for (const auto& cap : caps) out.push_back(decodeCapability(cap));
  return out;
}

provision::StringMap toMap(const google::protobuf::Map<std::string, std::string>& map) {
  return provision::StringMap(map.begin(), map.end());
}

Status requireVolumeId(const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError("volume_id is required");
  return absl::OkStatus();
}

Status checkRange(const csi::v1::CapacityRange& range) {
  if (range.required_bytes() < 0 || range.limit_bytes() < 0) {
    return absl::InvalidArgumentError("capacity_range must not be negative");
  }
  return absl::OkStatus();
}

}  // namespace

provision::Capability decodeCapability(const csi::v1::VolumeCapability& cap) {
  provision::Capability out;
  out.mode = decodeMode(cap);
  if (cap.has_block()) {
    out.type = AccessType::kBlock;
  } else if (cap.has_mount()) {
    out.type = AccessType::kMount;
    out.fsType = cap.mount().fs_type();
  }
  return out;
}

StatusOr<provision::CreateVolumeRequest> decodeCreateVolume(
    const csi::v1::CreateVolumeRequest& req) {
  if (req.name().empty()) return absl::InvalidArgumentError("name is required");
  provision::CreateVolumeRequest out;
  out.name = req.name();
  if (req.volume_capabilities().empty()) {
    return absl::InvalidArgumentError("volume_capabilities must not be empty");
  }
  out.capabilities = decodeCapabilities(req.volume_capabilities());
  TNAS_RETURN_IF_ERROR(checkRange(req.capacity_range()));
  out.requiredBytes = static_cast<uint64_t>(req.capacity_range().required_bytes());
  out.limitBytes = static_cast<uint64_t>(req.capacity_range().limit_bytes());
  out.parameters = toMap(req.parameters());
  out.secrets = toMap(req.secrets());
  for (const auto& t : req.accessibility_requirements().requisite()) {
    out.requisite.push_back(toMap(t.segments()));
  }
  if (req.has_volume_content_source()) {
    const auto& src = req.volume_content_source();
    using Kind = provision::ContentSource::Kind;
    if (src.has_snapshot()) {
      out.source = provision::ContentSource{Kind::kSnapshot, src.snapshot().snapshot_id()};
    } else if (src.has_volume()) {
      out.source = provision::ContentSource{Kind::kVolume, src.volume().volume_id()};
    } else {
      return absl::InvalidArgumentError("volume_content_source must name a snapshot or a volume");
    }
  }
  return out;
}

StatusOr<std::string> decodeDeleteVolume(const csi::v1::DeleteVolumeRequest& req) {
  TNAS_RETURN_IF_ERROR(requireVolumeId(req.volume_id()));
  return req.volume_id();
}

StatusOr<provision::ExpandVolumeRequest> decodeExpandVolume(
    const csi::v1::ControllerExpandVolumeRequest& req) {
  TNAS_RETURN_IF_ERROR(requireVolumeId(req.volume_id()));
  if (!req.has_capacity_range()) return absl::InvalidArgumentError("capacity_range is required");
  TNAS_RETURN_IF_ERROR(checkRange(req.capacity_range()));
  provision::ExpandVolumeRequest out;
  out.volumeId = req.volume_id();
  out.requiredBytes = static_cast<uint64_t>(req.capacity_range().required_bytes());
  out.limitBytes = static_cast<uint64_t>(req.capacity_range().limit_bytes());
  if (req.has_volume_capability()) out.capability = decodeCapability(req.volume_capability());
  return out;
}

StatusOr<std::string> decodeGetVolume(const csi::v1::ControllerGetVolumeRequest& req) {
  TNAS_RETURN_IF_ERROR(requireVolumeId(req.volume_id()));
  return req.volume_id();
}

StatusOr<provision::ListRequest> decodeListVolumes(const csi::v1::ListVolumesRequest& req) {
  return decodePage(req.max_entries(), req.starting_token());
}

StatusOr<provision::ValidateRequest> decodeValidate(
    const csi::v1::ValidateVolumeCapabilitiesRequest& req) {
  TNAS_RETURN_IF_ERROR(requireVolumeId(req.volume_id()));
  if (req.volume_capabilities().empty()) {
    return absl::InvalidArgumentError("volume_capabilities must not be empty");
  }
  return provision::ValidateRequest{req.volume_id(), decodeCapabilities(req.volume_capabilities()),
                                    toMap(req.parameters())};
}

provision::CapacityRequest decodeGetCapacity(const csi::v1::GetCapacityRequest& req) {
  provision::CapacityRequest out;
  out.capabilities = decodeCapabilities(req.volume_capabilities());
  out.parameters = toMap(req.parameters());
  if (req.has_accessible_topology()) out.topology = toMap(req.accessible_topology().segments());
  return out;
}

StatusOr<provision::PublishRequest> decodePublish(
    const csi::v1::ControllerPublishVolumeRequest& req) {
  TNAS_RETURN_IF_ERROR(requireVolumeId(req.volume_id()));
  if (req.node_id().empty()) return absl::InvalidArgumentError("node_id is required");
  if (!req.has_volume_capability()) {
    return absl::InvalidArgumentError("volume_capability is required");
  }
  return provision::PublishRequest{req.volume_id(), req.node_id(),
                                   decodeCapability(req.volume_capability())};
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

void encodeValidate(const provision::ValidateResult& result,
                    const csi::v1::ValidateVolumeCapabilitiesRequest& req,
                    csi::v1::ValidateVolumeCapabilitiesResponse* out) {
  if (!result.confirmed) {
    out->set_message(result.message);
    return;
  }
  auto* confirmed = out->mutable_confirmed();
  *confirmed->mutable_volume_capabilities() = req.volume_capabilities();
  *confirmed->mutable_volume_context() = req.volume_context();
  *confirmed->mutable_parameters() = req.parameters();
}

}  // namespace tnascsi::controller

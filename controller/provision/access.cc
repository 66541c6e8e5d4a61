// Volume capability validation (see access.h).
#include "controller/provision/access.h"

namespace tnascsi::controller::provision {

using Mode = csi::v1::VolumeCapability::AccessMode;

bool isMultiNode(Mode::Mode mode) {
  return mode == Mode::MULTI_NODE_READER_ONLY || mode == Mode::MULTI_NODE_SINGLE_WRITER ||
         mode == Mode::MULTI_NODE_MULTI_WRITER;
}

Status validateCapability(Protocol protocol, const csi::v1::VolumeCapability& cap) {
  if (!cap.has_access_mode() || cap.access_mode().mode() == Mode::UNKNOWN) {
    return absl::InvalidArgumentError("volume capability: access_mode is required");
  }
  Mode::Mode mode = cap.access_mode().mode();
  if (!Mode::Mode_IsValid(mode)) {
    return absl::InvalidArgumentError("volume capability: unknown access mode");
  }
  bool block = cap.has_block();
  if (!block && !cap.has_mount()) {
    return absl::InvalidArgumentError(
        "volume capability: access_type (block or mount) is required");
  }
  const std::string& modeName = Mode::Mode_Name(mode);
  if (protocol == Protocol::kNfs) {
    if (block) {
      return absl::InvalidArgumentError(
          "volume capability: NFS volumes support only mount access, not block");
    }
    return absl::OkStatus();
  }
  if (!block) {
    const std::string& fs = cap.mount().fs_type();
    if (!fs.empty() && fs != "ext4" && fs != "xfs") {
      return absl::InvalidArgumentError("volume capability: fs_type '" + fs +
                                        "' is not supported; allowed: ext4, xfs");
    }
    if (mode == Mode::MULTI_NODE_MULTI_WRITER || mode == Mode::MULTI_NODE_SINGLE_WRITER) {
      return absl::InvalidArgumentError(
          "volume capability: access mode " + modeName +
          " is not supported for iSCSI filesystem volumes (use NFS, or volumeMode: Block)");
    }
  }
  return absl::OkStatus();
}

Status validateCapabilities(
    Protocol protocol,
    const google::protobuf::RepeatedPtrField<csi::v1::VolumeCapability>& capabilities) {
  if (capabilities.empty()) {
    return absl::InvalidArgumentError("volume_capabilities must not be empty");
  }
  for (const auto& cap : capabilities) TNAS_RETURN_IF_ERROR(validateCapability(protocol, cap));
  return absl::OkStatus();
}

}  // namespace tnascsi::controller::provision

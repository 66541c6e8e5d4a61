// Volume capability validation (see access.h).
#include "controller/provision/access.h"

namespace tnascsi::controller::provision {

const char* accessModeName(AccessMode mode) {
  switch (mode) {
    case AccessMode::kUnknown:
      return "UNKNOWN";
    case AccessMode::kSingleNodeWriter:
      return "SINGLE_NODE_WRITER";
    case AccessMode::kSingleNodeReaderOnly:
      return "SINGLE_NODE_READER_ONLY";
    case AccessMode::kMultiNodeReaderOnly:
      return "MULTI_NODE_READER_ONLY";
    case AccessMode::kMultiNodeSingleWriter:
      return "MULTI_NODE_SINGLE_WRITER";
    case AccessMode::kMultiNodeMultiWriter:
      return "MULTI_NODE_MULTI_WRITER";
    case AccessMode::kSingleNodeSingleWriter:
      return "SINGLE_NODE_SINGLE_WRITER";
    case AccessMode::kSingleNodeMultiWriter:
      return "SINGLE_NODE_MULTI_WRITER";
    case AccessMode::kUnrecognised:
      break;
  }
  return "";
}

bool isMultiNode(AccessMode mode) {
  return mode == AccessMode::kMultiNodeReaderOnly || mode == AccessMode::kMultiNodeSingleWriter ||
         mode == AccessMode::kMultiNodeMultiWriter;
}

Status validateCapability(Protocol protocol, const Capability& cap) {
  AccessMode mode = cap.mode;
  if (mode == AccessMode::kUnknown) {
    return absl::InvalidArgumentError("volume capability: access_mode is required");
  }
  if (mode == AccessMode::kUnrecognised) {
    return absl::InvalidArgumentError("volume capability: unknown access mode");
  }
  bool block = cap.type == AccessType::kBlock;
  if (cap.type == AccessType::kNone) {
    return absl::InvalidArgumentError(
        "volume capability: access_type (block or mount) is required");
  }
  const std::string modeName = accessModeName(mode);
  if (protocol == Protocol::kNfs) {
    if (block) {
      return absl::InvalidArgumentError(
          "volume capability: NFS volumes support only mount access, not block");
    }
    return absl::OkStatus();
  }
  if (!block) {
    const std::string& fs = cap.fsType;
    if (!fs.empty() && fs != "ext4" && fs != "xfs") {
      return absl::InvalidArgumentError("volume capability: fs_type '" + fs +
                                        "' is not supported; allowed: ext4, xfs");
    }
    if (mode == AccessMode::kMultiNodeMultiWriter || mode == AccessMode::kMultiNodeSingleWriter) {
      return absl::InvalidArgumentError(
          "volume capability: access mode " + modeName +
          " is not supported for iSCSI filesystem volumes (use NFS, or volumeMode: Block)");
    }
  }
  return absl::OkStatus();
}

Status validateCapabilities(Protocol protocol, const std::vector<Capability>& capabilities) {
  if (capabilities.empty()) {
    return absl::InvalidArgumentError("volume_capabilities must not be empty");
  }
  for (const auto& cap : capabilities) TNAS_RETURN_IF_ERROR(validateCapability(protocol, cap));
  return absl::OkStatus();
}

}  // namespace tnascsi::controller::provision

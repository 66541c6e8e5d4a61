// The protocol-free request and result shapes of the CSI Controller RPCs. The Controller service
// (controller/service/volume_codec.h, snapshot_codec.h) decodes each CSI message into one of these
// after checking its shape (required fields, non-negative numbers), calls VolumeManager /
// SnapshotManager, and encodes the result back; nothing in provision/ reads a protobuf. Plain value
// types.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tnascsi::controller::provision {

using StringMap = std::map<std::string, std::string>;
// Topology segments, key -> value (csi.v1.Topology).
using Segments = std::map<std::string, std::string>;

// csi.v1.VolumeCapability.AccessMode.Mode, plus kUnrecognised for a number CSI does not define.
enum class AccessMode {
  kUnknown,
  kSingleNodeWriter,
  kSingleNodeReaderOnly,
  kMultiNodeReaderOnly,
  kMultiNodeSingleWriter,
  kMultiNodeMultiWriter,
  kSingleNodeSingleWriter,
  kSingleNodeMultiWriter,
  kUnrecognised,
};

// The CSI name, e.g. "MULTI_NODE_MULTI_WRITER".
const char* accessModeName(AccessMode mode);

enum class AccessType { kNone, kBlock, kMount };

// One volume capability as requested (access_mode absent = kUnknown; access_type absent = kNone).
struct Capability {
  AccessMode mode = AccessMode::kUnknown;
  AccessType type = AccessType::kNone;
  std::string fsType;  // mount only
};

// What a new volume is made from (volume_content_source).
struct ContentSource {
  enum class Kind { kSnapshot, kVolume };
  Kind kind = Kind::kSnapshot;
  std::string id;  // snapshot id or volume id
};

struct CreateVolumeRequest {
  std::string name;  // non-empty
  std::vector<Capability> capabilities;
  StringMap parameters;
  StringMap secrets;
  std::vector<Segments> requisite;  // accessibility_requirements.requisite; empty = anywhere
  std::optional<ContentSource> source;
  uint64_t requiredBytes = 0;  // 0 = unset
  uint64_t limitBytes = 0;     // 0 = unset
};

// A volume as the RPCs return it (CreateVolume, ControllerGetVolume, ListVolumes).
struct VolumeInfoResult {
  std::string id;
  uint64_t capacity = 0;
  StringMap context;
  Segments topology;  // empty = no accessible_topology
  std::optional<ContentSource> source;
};

struct ExpandVolumeRequest {
  std::string volumeId;  // non-empty
  uint64_t requiredBytes = 0;
  uint64_t limitBytes = 0;
  std::optional<Capability> capability;
};

struct ExpandVolumeResult {
  uint64_t capacity = 0;
  bool nodeExpansionRequired = false;
};

struct VolumeStatusResult {
  VolumeInfoResult volume;
  bool abnormal = false;
  std::string message;
  std::vector<std::string> publishedNodeIds;
};

struct ListRequest {
  int32_t maxEntries = 0;  // >= 0; 0 = all
  std::string startingToken;
};

struct ListVolumesResult {
  struct Entry {
    VolumeInfoResult volume;
    std::vector<std::string> publishedNodeIds;
  };
  std::vector<Entry> entries;
  std::string nextToken;
};

struct ValidateRequest {
  std::string volumeId;                  // non-empty
  std::vector<Capability> capabilities;  // non-empty
  StringMap parameters;
};

// Confirmed, or why not (the adapter echoes the request as the confirmed part).
struct ValidateResult {
  bool confirmed = false;
  std::string message;
};

struct CapacityRequest {
  std::vector<Capability> capabilities;
  StringMap parameters;
  std::optional<Segments> topology;  // accessible_topology
};

struct PublishRequest {
  std::string volumeId;  // non-empty
  std::string nodeId;    // non-empty
  Capability capability;
};

struct UnpublishRequest {
  std::string volumeId;  // non-empty
  std::string nodeId;    // empty = from every node
};

struct SnapshotInfo {
  std::string id;
  std::string sourceVolumeId;
  uint64_t size = 0;
  std::chrono::system_clock::time_point creation{};
};

struct CreateSnapshotRequest {
  std::string name;            // non-empty
  std::string sourceVolumeId;  // non-empty
};

struct ListSnapshotsRequest {
  ListRequest page;
  std::string snapshotId;      // only this one
  std::string sourceVolumeId;  // only this volume's
};

struct ListSnapshotsResult {
  std::vector<SnapshotInfo> entries;
  std::string nextToken;
};

}  // namespace tnascsi::controller::provision

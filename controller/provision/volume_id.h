// Volume and snapshot ids: stable, parseable, self-describing strings that name the backend, the
// protocol and the ZFS dataset (and snapshot) a CSI volume lives in:
//
//   volume   <backend>/<protocol>/<dataset>            e.g. "default/iscsi/tank/k8s/pvc-1f2e…"
//   snapshot <backend>/<protocol>/<dataset>@<snapshot> e.g.
//   "default/nfs/tank/k8s/pvc-9a…@snapshot-3c…"
//
// `backend` is a backend name (lower-case DNS label), `protocol` is "iscsi" or "nfs", `dataset` a
// full ZFS name of at least two components. Both fit the CSI 128-byte id limit because naming.h
// shortens dataset and snapshot leaves to the room left. Parsing is strict: anything else is
// "not ours", which callers report the way the CSI spec asks for an unknown id (NOT_FOUND, or OK
// for deletes). Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "common/base/status.h"

namespace tnascsi::controller::provision {

enum class Protocol { kIscsi, kNfs };

const char* protocolName(Protocol protocol);
std::optional<Protocol> parseProtocolName(const std::string& text);

// The CSI size limit for volume and snapshot ids (CSI spec, "Size Limits").
inline constexpr size_t kMaxIdLength = 128;

struct VolumeId {
  std::string backend;
  Protocol protocol = Protocol::kIscsi;
  std::string dataset;  // full ZFS name, "tank/k8s/pvc-1"

  std::string str() const;
  friend bool operator==(const VolumeId&, const VolumeId&) = default;
};

struct SnapshotId {
  VolumeId volume;       // the source volume
  std::string snapshot;  // the part after '@'

  std::string str() const;
  std::string zfsName() const { return volume.dataset + "@" + snapshot; }
  friend bool operator==(const SnapshotId&, const SnapshotId&) = default;
};

// Backend names: 1..32 characters of [a-z0-9-], starting and ending alphanumeric.
bool isValidBackendName(const std::string& name);
// A ZFS dataset name as we create them: components of [A-Za-z0-9_.:-], separated by single '/',
// at least two components, no '@'.
bool isValidDatasetName(const std::string& name);
// A ZFS snapshot component: [A-Za-z0-9_.:-]+.
bool isValidSnapshotName(const std::string& name);

// nullopt when `id` is not a well-formed volume id of this driver (including over-long ids).
std::optional<VolumeId> parseVolumeId(const std::string& id);
std::optional<SnapshotId> parseSnapshotId(const std::string& id);

}  // namespace tnascsi::controller::provision

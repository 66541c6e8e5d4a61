// Naming: deterministic TrueNAS names derived from CSI names. One "leaf" per volume names the
// dataset (<parent>/<leaf>), the iSCSI target (IQN <basename>:<leaf>) and the extent, so an
// operator finds every object of a volume under one name. The leaf is the CSI name itself when it
// is already valid everywhere (lower-case [a-z0-9.-], starting alphanumeric) and short enough;
// otherwise a sanitized prefix plus "-" and 16 hex digits of a 64-bit FNV-1a hash of the full CSI
// name, so distinct names never share a leaf by truncation or case folding.
//
// Limits honoured: dataset names (200 on <=25.04, 255 later; Capabilities), extent names (64),
// target names (charset ^[-a-z0-9.:]+$, 120), and the CSI 128-byte id limit for the volume id and
// for snapshot ids built on it. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "common/base/status.h"

namespace tnascsi::controller::provision {

// `text` as error messages and logs echo it: unchanged up to kMaxShownLength bytes, else its
// beginning and its size (a hostile 10 kB name must not push a gRPC status past the client's
// 8 KiB metadata limit).
inline constexpr size_t kMaxShownLength = 160;
std::string shownName(const std::string& text);

// 64-bit FNV-1a of `text` as 16 lower-case hex digits.
std::string shortHash(const std::string& text);

// The leaf for `csiName`, at most `maxLength` characters (maxLength >= kMinLeafLength).
std::string leafName(const std::string& csiName, size_t maxLength);

inline constexpr size_t kMinLeafLength = 24;
// The longest CSI volume name: "truenas-csi " + name must fit the 1024-character strings of
// TrueNAS 25.04+ (target alias, extent and share comments).
inline constexpr size_t kMaxCsiNameLength = 1024 - 12;
inline constexpr size_t kMaxExtentNameLength = 64;
inline constexpr size_t kMaxIqnLength = 223;

struct NamingLimits {
  size_t maxDatasetName = 200;  // Capabilities::maxDatasetNameLength
  size_t maxTargetName = 120;   // Capabilities::maxTargetNameLength (0 = unchecked)
  size_t maxExtentName = kMaxExtentNameLength;
};

// The longest volume leaf usable under `parentDataset` of backend `backend`: it keeps the dataset
// name, the extent/target names and the volume id within their limits and leaves room for a
// snapshot leaf of kMinLeafLength in snapshot ids. FailedPrecondition (naming the parent) when
// less than kMinLeafLength remains: the parent dataset path is too long.
StatusOr<size_t> maxVolumeLeafLength(const std::string& backend, const std::string& parentDataset,
                                     const NamingLimits& limits);

// The snapshot leaf for `csiSnapshotName` given the source volume id (to keep the snapshot id
// within 128 bytes).
std::string snapshotLeafName(const std::string& csiSnapshotName, const std::string& volumeId);

// The snapshot made on a source volume to clone volume `cloneLeaf` from it ("clone-<leaf>",
// shortened to fit like other snapshot leaves).
std::string cloneSourceSnapshotName(const std::string& cloneLeaf, const std::string& volumeId);

}  // namespace tnascsi::controller::provision

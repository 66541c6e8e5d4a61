// Deterministic TrueNAS names (see naming.h).
#include "controller/provision/naming.h"

#include <algorithm>
#include <cstdio>

#include "controller/provision/volume_id.h"

namespace tnascsi::controller::provision {
namespace {

bool isLeafChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}
bool isAlnumLower(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

}  // namespace

std::string shortHash(const std::string& text) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string leafName(const std::string& csiName, size_t maxLength) {
  maxLength = std::max(maxLength, kMinLeafLength);
  bool lossless = !csiName.empty() && isAlnumLower(csiName.front());
  std::string sanitized;
  sanitized.reserve(csiName.size());
  for (char c : csiName) {
    char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (lower != c || !isLeafChar(lower)) lossless = false;
    sanitized.push_back(isLeafChar(lower) ? lower : '-');
  }
  if (lossless && sanitized.size() <= maxLength) return sanitized;
  std::string hash = shortHash(csiName);
  std::string prefix = sanitized.substr(0, maxLength - hash.size() - 1);
  while (!prefix.empty() && !isAlnumLower(prefix.back())) prefix.pop_back();
  while (!prefix.empty() && !isAlnumLower(prefix.front())) prefix.erase(prefix.begin());
  if (prefix.empty()) prefix = "v";
  return prefix + "-" + hash;
}

StatusOr<size_t> maxVolumeLeafLength(const std::string& backend, const std::string& parentDataset,
                                     const NamingLimits& limits) {
  size_t leaf = limits.maxExtentName;
  if (limits.maxTargetName > 0) leaf = std::min(leaf, limits.maxTargetName);
  size_t datasetRoom = limits.maxDatasetName > parentDataset.size() + 1
                           ? limits.maxDatasetName - parentDataset.size() - 1
                           : 0;
  leaf = std::min(leaf, datasetRoom);
  // "<backend>/iscsi/<parent>/<leaf>" plus "@<snapshot leaf>" must fit kMaxIdLength.
  size_t fixed = backend.size() + std::string("/iscsi/").size() + parentDataset.size() + 1 + 1 +
                 kMinLeafLength;
  size_t idRoom = kMaxIdLength > fixed ? kMaxIdLength - fixed : 0;
  leaf = std::min(leaf, idRoom);
  if (leaf < kMinLeafLength) {
    return absl::FailedPreconditionError(
        "parent dataset '" + parentDataset + "' of backend '" + backend +
        "' is too long: volume names need at least " + std::to_string(kMinLeafLength) +
        " characters within the dataset (" + std::to_string(limits.maxDatasetName) +
        ") and CSI id (" + std::to_string(kMaxIdLength) + ") limits; choose a shorter path");
  }
  return leaf;
}

std::string snapshotLeafName(const std::string& csiSnapshotName, const std::string& volumeId) {
  size_t room = kMaxIdLength > volumeId.size() + 1 ? kMaxIdLength - volumeId.size() - 1 : 0;
  return leafName(csiSnapshotName, room);
}

std::string cloneSourceSnapshotName(const std::string& cloneLeaf, const std::string& volumeId) {
  return snapshotLeafName("clone-" + cloneLeaf, volumeId);
}

std::string shownName(const std::string& text) {
  if (text.size() <= kMaxShownLength) return text;
  return text.substr(0, kMaxShownLength - 32) + "...(" + std::to_string(text.size()) + " bytes)";
}

}  // namespace tnascsi::controller::provision

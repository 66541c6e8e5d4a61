// Volume and snapshot id formatting and strict parsing (see volume_id.h).
#include "controller/provision/volume_id.h"

#include <cctype>

namespace tnascsi::controller::provision {
namespace {

bool isZfsChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' || c == ':' ||
         c == '-';
}

}  // namespace

const char* protocolName(Protocol protocol) {
  return protocol == Protocol::kIscsi ? "iscsi" : "nfs";
}

std::optional<Protocol> parseProtocolName(const std::string& text) {
  if (text == "iscsi") return Protocol::kIscsi;
  if (text == "nfs") return Protocol::kNfs;
  return std::nullopt;
}

std::string VolumeId::str() const {
  return backend + "/" + protocolName(protocol) + "/" + dataset;
}

std::string SnapshotId::str() const {
  return volume.str() + "@" + snapshot;
}

bool isValidBackendName(const std::string& name) {
  if (name.empty() || name.size() > 32) return false;
  for (char c : name) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-')) {
      return false;
    }
  }
  return name.front() != '-' && name.back() != '-';
}

bool isValidDatasetName(const std::string& name) {
  if (name.empty() || name.front() == '/' || name.back() == '/') return false;
  int components = 1;
  char prev = 0;
  for (char c : name) {
    if (c == '/') {
      if (prev == '/') return false;
      ++components;
    } else if (!isZfsChar(c)) {
      return false;
    }
    prev = c;
  }
  return components >= 2;
}

bool isValidSnapshotName(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!isZfsChar(c)) return false;
  }
  return true;
}

std::optional<VolumeId> parseVolumeId(const std::string& id) {
  if (id.size() > kMaxIdLength) return std::nullopt;
  size_t first = id.find('/');
  if (first == std::string::npos) return std::nullopt;
  size_t second = id.find('/', first + 1);
  if (second == std::string::npos) return std::nullopt;
  VolumeId out;
  out.backend = id.substr(0, first);
  auto protocol = parseProtocolName(id.substr(first + 1, second - first - 1));
  out.dataset = id.substr(second + 1);
  if (!protocol || !isValidBackendName(out.backend) || !isValidDatasetName(out.dataset)) {
    return std::nullopt;
  }
  out.protocol = *protocol;
  return out;
}

std::optional<SnapshotId> parseSnapshotId(const std::string& id) {
  if (id.size() > kMaxIdLength) return std::nullopt;
  size_t at = id.find('@');
  if (at == std::string::npos || id.find('@', at + 1) != std::string::npos) return std::nullopt;
  auto volume = parseVolumeId(id.substr(0, at));
  std::string snapshot = id.substr(at + 1);
  if (!volume || !isValidSnapshotName(snapshot)) return std::nullopt;
  return SnapshotId{*volume, snapshot};
}

}  // namespace tnascsi::controller::provision

// Version parsing and the per-release capability table (reference §1.7 and §9).
#include "controller/truenas/version.h"

#include <cctype>
#include <string_view>

#include "absl/strings/ascii.h"

namespace tnascsi::controller::truenas {
namespace {

bool consumePrefix(std::string_view& s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  s.remove_prefix(prefix.size());
  return true;
}

// Reads a decimal number of at most 6 digits; false if none.
bool readNumber(std::string_view& s, int* out) {
  size_t i = 0;
  int value = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && i < 6) {
    value = value * 10 + (s[i] - '0');
    ++i;
  }
  if (i == 0) return false;
  s.remove_prefix(i);
  *out = value;
  return true;
}

}  // namespace

StatusOr<Version> parseTrueNasVersion(const std::string& text) {
  // Debian's absl::string_view is its own type, not std::string_view.
  const absl::string_view trimmed = absl::StripLeadingAsciiWhitespace(text);
  std::string_view s(trimmed.data(), trimmed.size());
  if (!consumePrefix(s, "TrueNAS-")) consumePrefix(s, "FreeNAS-");
  if (!consumePrefix(s, "SCALE-")) consumePrefix(s, "CORE-");
  Version v;
  v.raw = text;
  if (!readNumber(s, &v.major) || !consumePrefix(s, ".") || !readNumber(s, &v.minor)) {
    return absl::InvalidArgumentError("unrecognized TrueNAS version string \"" +
                                      text.substr(0, 80) + "\"");
  }
  if (s.size() >= 2 && s[0] == '.' && std::isdigit(static_cast<unsigned char>(s[1]))) {
    s.remove_prefix(1);
    readNumber(s, &v.patch);
  }
  // Further numeric components ("25.04.2.1") do not change behaviour.
  while (s.size() >= 2 && s[0] == '.' && std::isdigit(static_cast<unsigned char>(s[1]))) {
    s.remove_prefix(1);
    int ignored = 0;
    readNumber(s, &ignored);
  }
  if (text.find("MASTER") != std::string::npos || text.find("master") != std::string::npos) {
    v.nightly = true;
  }
  // CORE update suffix: "-U6.8" (also "-U1", "-U1.2").
  if (s.size() >= 2 && s[0] == '-' && (s[1] == 'U' || s[1] == 'u')) {
    s.remove_prefix(1);
    size_t end = 0;
    while (end < s.size() && (std::isalnum(static_cast<unsigned char>(s[end])) || s[end] == '.')) {
      ++end;
    }
    v.update = std::string(s.substr(0, end));
  }
  return v;
}

Version newestKnownVersion() {
  return Version::of(25, 10, 0);
}

Capabilities capabilitiesFor(const Version& version, ProductType product) {
  Capabilities c;
  const bool core = product == ProductType::kCore || (version.major > 0 && version.major < 20);
  if (core) {
    // CORE 13.x (FreeBSD): legacy protocol, NFS paths list, no user properties in the API.
    c.nfsPathsList = true;
    c.datasetUserProperties = false;
    c.portalDiscoveryAuth = true;
    c.maxDatasetNameLength = 200;
    c.maxTargetNameLength = 0;
    c.maxExtentNameLength = 0;
    c.maxNfsHostsPerShare = 0;
    c.snapshotDeleteRecursive = false;
    c.cloneDatasetProperties = false;
    c.nfsSecurityNeedsV4 = true;
    c.rootGroupName = "wheel";
    c.compressionOnAndInherit = false;
    return c;
  }
  Version v = version;
  if (newestKnownVersion() < Version::of(v.major, v.minor)) {
    c.unknownNewerVersion = true;
    v = newestKnownVersion();
  }
  // SCALE up to 24.10: legacy /websocket only.
  c.portalDiscoveryAuth = true;
  c.targetDeleteRemovesOrphanInitiators = true;
  c.maxDatasetNameLength = 200;
  c.maxTargetNameLength = 120;
  c.maxExtentNameLength = 64;
  c.maxNfsHostsPerShare = 0;
  if (v.atLeast(25, 4)) {
    c.portalDiscoveryAuth = false;
    c.targetDeleteRemovesOrphanInitiators = false;
    c.loginEx = true;
    c.revokesKeyOnPlainTransport = true;
    c.targetDeleteExtents = true;
  }
  if (v.atLeast(25, 10)) {
    c.poolSnapshotNamespace = true;
    c.serviceControl = true;
    c.legacyJobsOption = true;
    c.extentProductId = true;
    c.datasetRename = true;
    c.maxDatasetNameLength = 255;
    // TS-25.10.0:src/middlewared/middlewared/api/v25_04_0/nfs.py:21-22,95-102 (every API version
    // 25.10 serves). 25.04.2.6 reverted the limiter (commit 244b717370, NAS-138229).
    c.maxNfsHostsPerShare = 42;
  }
  return c;
}

}  // namespace tnascsi::controller::truenas

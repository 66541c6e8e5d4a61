// StorageClass parameter and CHAP secret validation (see parameters.h).
#include "controller/provision/parameters.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "controller/provision/naming.h"

namespace tnascsi::controller::provision {
namespace {

const std::set<std::string> kCommonKeys = {"protocol",
                                           "backend",
                                           "csi.storage.k8s.io/fstype",
                                           "fsType",
                                           "detachedVolumesFromSnapshots",
                                           "detachedVolumesFromVolumes"};
const std::set<std::string> kMetadataKeys = {"csi.storage.k8s.io/pvc/name",
                                             "csi.storage.k8s.io/pvc/namespace",
                                             "csi.storage.k8s.io/pv/name"};
const std::set<std::string> kIscsiKeys = {
    "volblocksize",      "sparse",    "compression", "deduplication", "sync",    "extentBlocksize",
    "extentInsecureTpc", "extentXen", "extentRpm",   "mkfsOptions",   "portals", "multipath"};
const std::set<std::string> kNfsKeys = {
    "nfsReservation", "nfsNetworks",    "nfsHosts",    "nfsMaprootUser", "nfsMaprootGroup",
    "nfsMapallUser",  "nfsMapallGroup", "nfsSecurity", "nfsVersion",     "nfsExportPerNode",
    "nfsRootMode",    "nfsRootUid",     "nfsRootGid",  "nfsRootStripAcl"};

// Options the node may pass to mkfs; anything else could change the filesystem in ways the node
// does not expect (e.g. a different block size than it checks).
const std::set<std::string> kMkfsAllowed = {"-m", "-i", "-I", "-N", "-L", "-O", "-E",
                                            "-K", "-n", "-l", "-d", "-b", "-J", "-T"};

Status invalid(const std::string& key, const std::string& value, const std::string& allowed) {
  return absl::InvalidArgumentError("StorageClass parameter '" + key + "': '" + value +
                                    "' is not allowed; allowed: " + allowed);
}

StatusOr<bool> parseBool(const std::string& key, const std::string& value) {
  if (value == "true") return true;
  if (value == "false") return false;
  return invalid(key, value, "true, false");
}

StatusOr<std::string> oneOf(const std::string& key, const std::string& value,
                            const std::vector<std::string>& allowed, bool upperCase) {
  std::string v = upperCase ? absl::AsciiStrToUpper(value) : value;
  if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
    return invalid(key, value, absl::StrJoin(allowed, ", "));
  }
  return v;
}

std::vector<std::string> splitList(const std::string& value) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
    out.emplace_back(absl::StripAsciiWhitespace(part));
  }
  return out;
}

bool isHostPort(const std::string& text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
          c == '[' || c == ']')) {
      return false;
    }
  }
  return true;
}

// An IPv4/IPv6 network "address/prefix", or one address (TrueNAS makes it a /32 or /128): what
// TrueNAS parses with Python's ipaddress.ip_network(strict=False)
// (ref:TS-25.04.2.6:src/middlewared/middlewared/plugins/nfs.py:675 sanitize_networks;
// TN-13.0-U6.8:src/middlewared/middlewared/plugins/nfs.py:273 IPAddr(network=True)).
bool isNetwork(const std::string& text) {
  size_t slash = text.find('/');
  std::string address = text.substr(0, slash);
  unsigned char buf[sizeof(struct in6_addr)];
  int maxPrefix = 0;
  if (inet_pton(AF_INET, address.c_str(), buf) == 1) {
    maxPrefix = 32;
  } else if (inet_pton(AF_INET6, address.c_str(), buf) == 1) {
    maxPrefix = 128;
  } else {
    return false;
  }
  if (slash == std::string::npos) return true;
  std::string prefix = text.substr(slash + 1);
  if (prefix.empty() || prefix.size() > 3 || !std::all_of(prefix.begin(), prefix.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) != 0;
      })) {
    return false;
  }
  return std::stoi(prefix) <= maxPrefix;
}

bool isTrueNasName(const std::string& text) {
  if (text.empty() || text.size() > 64) return false;
  for (char c : text) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
          c == '$')) {
      return false;
    }
  }
  return true;
}

const std::set<std::string>& compressionChoices() {
  static const std::set<std::string> kChoices = [] {
    std::set<std::string> c = {"ON",   "OFF",       "LZ4", "GZIP", "GZIP-1", "GZIP-9",
                               "ZSTD", "ZSTD-FAST", "ZLE", "LZJB", "INHERIT"};
    for (int i = 1; i < 20; ++i) c.insert("ZSTD-" + std::to_string(i));
    for (int i = 1; i < 11; ++i) c.insert("ZSTD-FAST-" + std::to_string(i));
    for (int i = 20; i < 110; i += 10) c.insert("ZSTD-FAST-" + std::to_string(i));
    for (int i = 500; i < 1500; i += 500) c.insert("ZSTD-FAST-" + std::to_string(i));
    return c;
  }();
  return kChoices;
}

Status parseIscsi(const StringMap& p, IscsiParameters* out) {
  for (const auto& [key, value] : p) {
    if (key == "volblocksize") {
      auto size = parseBlockSize(value);
      if (!size) return invalid(key, value, "512, 1K, 2K, 4K, 8K, 16K, 32K, 64K, 128K");
      out->volblocksize = *size;
    } else if (key == "sparse") {
      TNAS_ASSIGN_OR_RETURN(out->sparse, parseBool(key, value));
    } else if (key == "compression") {
      // TrueNAS's ZFS_COMPRESSION_ALGORITHM_CHOICES (TS-24.10.2.4:src/middlewared/middlewared/
      // plugins/pool_/utils.py:20-24, the same through 25.10) plus INHERIT; what a given version
      // refuses (CORE 13.0: ON, and INHERIT on create) is checked by the TrueNAS client.
      std::string v = absl::AsciiStrToUpper(value);
      if (compressionChoices().count(v) == 0) {
        return invalid(key, value,
                       "LZ4, ZSTD, ZSTD-1..19, ZSTD-FAST, ZSTD-FAST-1..10/20..100 by 10/500/1000, "
                       "GZIP, GZIP-1, GZIP-9, ZLE, LZJB, ON, OFF, INHERIT");
      }
      out->compression = v;
    } else if (key == "deduplication") {
      TNAS_ASSIGN_OR_RETURN(out->dedup, oneOf(key, value, {"ON", "VERIFY", "OFF"}, true));
    } else if (key == "sync") {
      TNAS_ASSIGN_OR_RETURN(out->sync, oneOf(key, value, {"STANDARD", "ALWAYS", "DISABLED"}, true));
    } else if (key == "extentBlocksize") {
      TNAS_ASSIGN_OR_RETURN(std::string v,
                            oneOf(key, value, {"512", "1024", "2048", "4096"}, false));
      out->extentBlocksize = std::stoi(v);
    } else if (key == "extentInsecureTpc") {
      TNAS_ASSIGN_OR_RETURN(out->extentInsecureTpc, parseBool(key, value));
    } else if (key == "extentXen") {
      TNAS_ASSIGN_OR_RETURN(out->extentXen, parseBool(key, value));
    } else if (key == "extentRpm") {
      TNAS_ASSIGN_OR_RETURN(
          out->extentRpm,
          oneOf(key, value, {"UNKNOWN", "SSD", "5400", "7200", "10000", "15000"}, true));
    } else if (key == "mkfsOptions") {
      for (absl::string_view word : absl::StrSplit(value, ' ', absl::SkipWhitespace())) {
        std::string w(word);
        if (w[0] == '-' && kMkfsAllowed.count(w) == 0) {
          return invalid(key, w, absl::StrJoin(kMkfsAllowed, " ") + " (with their values)");
        }
        for (char c : w) {
          if (!(std::isalnum(static_cast<unsigned char>(c)) ||
                std::string("-_=,.^").find(c) != std::string::npos)) {
            return invalid(key, w, "options and values of [A-Za-z0-9_=,.^-]");
          }
        }
      }
      out->mkfsOptions = value;
    } else if (key == "multipath") {  // the node stages the dm-multipath map (docs/multipath.md)
      TNAS_ASSIGN_OR_RETURN(out->multipath, parseBool(key, value));
    } else if (key == "portals") {
      out->portals = splitList(value);
      if (out->portals.empty()) return invalid(key, value, "comma-separated host:port");
      for (const auto& portal : out->portals) {
        if (!isHostPort(portal)) return invalid(key, portal, "comma-separated host:port");
      }
    }
  }
  return absl::OkStatus();
}

Status parseNfs(const StringMap& p, NfsParameters* out) {
  for (const auto& [key, value] : p) {
    if (key == "nfsReservation") {
      TNAS_ASSIGN_OR_RETURN(out->reservation, parseBool(key, value));
    } else if (key == "nfsExportPerNode") {
      TNAS_ASSIGN_OR_RETURN(out->exportPerNode, parseBool(key, value));
    } else if (key == "nfsNetworks" || key == "nfsHosts") {
      auto list = splitList(value);  // the 42-entry cap of 25.04+ is checked per version
      for (const auto& entry : list) {
        bool ok = key == "nfsNetworks" ? isNetwork(entry) : isHostPort(entry);
        if (!ok) {
          return invalid(key, entry,
                         key == "nfsNetworks" ? "comma-separated CIDRs (address/prefix)"
                                              : "comma-separated host names or addresses");
        }
      }
      (key == "nfsNetworks" ? out->networks : out->hosts) = list;
    } else if (key == "nfsMaprootUser" || key == "nfsMaprootGroup" || key == "nfsMapallUser" ||
               key == "nfsMapallGroup") {
      if (!value.empty() && !isTrueNasName(value))
        return invalid(key, value, "a TrueNAS user or group name");
      std::optional<std::string> v =
          value.empty() ? std::nullopt : std::optional<std::string>(value);
      if (key == "nfsMaprootUser") out->maprootUser = v;
      if (key == "nfsMaprootGroup") out->maprootGroup = v;
      if (key == "nfsMapallUser") out->mapallUser = v;
      if (key == "nfsMapallGroup") out->mapallGroup = v;
    } else if (key == "nfsSecurity") {
      TNAS_ASSIGN_OR_RETURN(out->security,
                            oneOf(key, value, {"SYS", "KRB5", "KRB5I", "KRB5P"}, true));
    } else if (key == "nfsVersion") {
      TNAS_ASSIGN_OR_RETURN(out->version,
                            oneOf(key, value, {"3", "4", "4.0", "4.1", "4.2"}, false));
    }
  }
  if (out->mapallUser || out->mapallGroup) {
    bool explicitMaproot = p.count("nfsMaprootUser") > 0 || p.count("nfsMaprootGroup") > 0;
    if (explicitMaproot && (out->maprootUser || out->maprootGroup)) {
      return absl::InvalidArgumentError(
          "StorageClass parameters 'nfsMapallUser'/'nfsMapallGroup' exclude "
          "'nfsMaprootUser'/'nfsMaprootGroup' (TrueNAS: maproot disqualifies mapall)");
    }
    out->maprootUser.reset();
    out->maprootGroup.reset();
  }
  if (out->exportPerNode && (!out->networks.empty() || !out->hosts.empty())) {
    // An export admits a client that matches any of its hosts or networks, so a static entry
    // would admit clients no publish asked for.
    return absl::InvalidArgumentError(
        "StorageClass parameter 'nfsExportPerNode' excludes 'nfsNetworks' and 'nfsHosts' (the "
        "share admits exactly the nodes the volume is published to)");
  }
  TNAS_ASSIGN_OR_RETURN(out->root, parseNfsRootPermissions(p));
  if (out->mapallGroup && !out->mapallUser) {
    return absl::InvalidArgumentError(
        "StorageClass parameter 'nfsMapallGroup' needs 'nfsMapallUser'");
  }
  if (out->maprootGroup && !out->maprootUser) {
    return absl::InvalidArgumentError(
        "StorageClass parameter 'nfsMaprootGroup' needs 'nfsMaprootUser'");
  }
  return absl::OkStatus();
}

Status checkSecret(const std::string& key, const std::string& value) {
  if (value.size() < 12 || value.size() > 16) {
    return absl::InvalidArgumentError("provisioner secret key '" + key +
                                      "' must be 12 to 16 characters long");
  }
  if (value.find('#') != std::string::npos) {
    return absl::InvalidArgumentError("provisioner secret key '" + key + "' must not contain '#'");
  }
  if (std::any_of(value.begin(), value.end(),
                  [](char c) { return std::iscntrl(static_cast<unsigned char>(c)) != 0; })) {
    // A control character would end or corrupt the line of the target's auth configuration.
    return absl::InvalidArgumentError("provisioner secret key '" + key +
                                      "' must not contain control characters");
  }
  if (std::isspace(static_cast<unsigned char>(value.front())) ||
      std::isspace(static_cast<unsigned char>(value.back()))) {
    return absl::InvalidArgumentError("provisioner secret key '" + key +
                                      "' must not begin or end with whitespace");
  }
  return absl::OkStatus();
}

}  // namespace

std::optional<uint64_t> parseBlockSize(const std::string& text) {
  static const std::map<std::string, uint64_t> kSizes = {
      {"512", 512},     {"512B", 512},    {"1K", 1024},      {"2K", 2048},   {"4K", 4096},
      {"8K", 8192},     {"16K", 16384},   {"32K", 32768},    {"64K", 65536}, {"128K", 131072},
      {"1024", 1024},   {"2048", 2048},   {"4096", 4096},    {"8192", 8192}, {"16384", 16384},
      {"32768", 32768}, {"65536", 65536}, {"131072", 131072}};
  auto it = kSizes.find(absl::AsciiStrToUpper(text));
  if (it == kSizes.end()) return std::nullopt;
  return it->second;
}

StatusOr<VolumeParameters> parseVolumeParameters(const StringMap& parameters) {
  VolumeParameters out;
  auto protocolIt = parameters.find("protocol");
  if (protocolIt == parameters.end()) {
    return absl::InvalidArgumentError(
        "StorageClass parameter 'protocol' is required; allowed: iscsi, nfs");
  }
  auto protocol = parseProtocolName(protocolIt->second);
  if (!protocol) return invalid("protocol", protocolIt->second, "iscsi, nfs");
  out.protocol = *protocol;
  const auto& own = out.protocol == Protocol::kIscsi ? kIscsiKeys : kNfsKeys;
  const auto& other = out.protocol == Protocol::kIscsi ? kNfsKeys : kIscsiKeys;
  std::string fingerprintText;
  for (const auto& [key, value] : parameters) {
    if (kMetadataKeys.count(key) > 0) continue;
    if (other.count(key) > 0) {
      return absl::InvalidArgumentError("StorageClass parameter '" + key +
                                        "' is not valid with protocol '" + protocolIt->second +
                                        "'");
    }
    if (kCommonKeys.count(key) == 0 && own.count(key) == 0) {
      return absl::InvalidArgumentError(
          "unknown StorageClass parameter '" + key +
          "' (docs/storageclass-parameters.md lists the allowed ones)");
    }
    fingerprintText += key + "=" + value + "\n";
  }
  for (const auto& [key, value] : parameters) {
    if (key == "backend") {
      if (!isValidBackendName(value))
        return invalid(key, value, "a backend name from the controller config");
      out.backend = value;
    } else if (key == "csi.storage.k8s.io/fstype" || key == "fsType") {
      TNAS_ASSIGN_OR_RETURN(out.fsType, oneOf(key, value, {"ext4", "xfs"}, false));
    } else if (key == "detachedVolumesFromSnapshots") {
      TNAS_ASSIGN_OR_RETURN(out.detachedFromSnapshots, parseBool(key, value));
    } else if (key == "detachedVolumesFromVolumes") {
      TNAS_ASSIGN_OR_RETURN(out.detachedFromVolumes, parseBool(key, value));
    } else if (key == "csi.storage.k8s.io/pvc/name") {
      out.pvcName = value;
    } else if (key == "csi.storage.k8s.io/pvc/namespace") {
      out.pvcNamespace = value;
    } else if (key == "csi.storage.k8s.io/pv/name") {
      out.pvName = value;
    }
  }
  if (out.protocol == Protocol::kIscsi) {
    TNAS_RETURN_IF_ERROR(parseIscsi(parameters, &out.iscsi));
  } else {
    TNAS_RETURN_IF_ERROR(parseNfs(parameters, &out.nfs));
  }
  out.fingerprint = shortHash(fingerprintText);
  return out;
}

StatusOr<ChapCredentials> parseChapSecrets(const StringMap& secrets) {
  ChapCredentials out;
  auto get = [&](const char* key) {
    auto it = secrets.find(key);
    return it == secrets.end() ? std::string() : it->second;
  };
  out.user = get("chapUser");
  out.secret = get("chapSecret");
  out.mutualUser = get("chapMutualUser");
  out.mutualSecret = get("chapMutualSecret");
  if (out.user.empty() != out.secret.empty()) {
    return absl::InvalidArgumentError(
        "provisioner secret: 'chapUser' and 'chapSecret' must be given together");
  }
  if (out.mutualUser.empty() != out.mutualSecret.empty()) {
    return absl::InvalidArgumentError(
        "provisioner secret: 'chapMutualUser' and 'chapMutualSecret' must be given together");
  }
  if (out.mutual() && !out.enabled()) {
    return absl::InvalidArgumentError(
        "provisioner secret: mutual CHAP ('chapMutualUser') needs one-way CHAP ('chapUser') too");
  }
  if (!out.enabled()) return out;
  for (const auto* user : {&out.user, &out.mutualUser}) {
    if (user->size() > 64 || user->find_first_of(" \t\"#") != std::string::npos ||
        std::any_of(user->begin(), user->end(),
                    [](char c) { return std::iscntrl(static_cast<unsigned char>(c)) != 0; })) {
      return absl::InvalidArgumentError(
          std::string("provisioner secret key '") +
          (user == &out.user ? "chapUser" : "chapMutualUser") +
          "' must be at most 64 characters without spaces, quotes, '#' or control characters");
    }
  }
  TNAS_RETURN_IF_ERROR(checkSecret("chapSecret", out.secret));
  if (out.mutual()) {
    TNAS_RETURN_IF_ERROR(checkSecret("chapMutualSecret", out.mutualSecret));
    if (out.mutualSecret == out.secret) {
      return absl::InvalidArgumentError(
          "provisioner secret: 'chapMutualSecret' must differ from 'chapSecret'");
    }
  }
  return out;
}

}  // namespace tnascsi::controller::provision

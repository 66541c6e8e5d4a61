// Mount-option allow-lists (see mount_options.h).
#include "agent/mount/mount_options.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace tnascsi::agent {
namespace {

// Flag options valid for any filesystem mount (VFS flags).
const std::set<std::string>& vfsFlags() {
  static const std::set<std::string> kFlags = {
      "ro",         "rw",       "noatime",     "atime",    "relatime",   "norelatime",
      "nodiratime", "diratime", "strictatime", "lazytime", "nolazytime", "nodev",
      "nosuid",     "noexec",   "sync",        "async",    "dirsync",    "defaults"};
  return kFlags;
}

// Flag options for ext4/xfs.
const std::set<std::string>& fsFlags() {
  static const std::set<std::string> kFlags = {"discard",
                                               "nodiscard",
                                               "barrier",
                                               "nobarrier",
                                               "user_xattr",
                                               "acl",
                                               "noacl",
                                               "inode64",
                                               "inode32",
                                               "noquota",
                                               "usrquota",
                                               "grpquota",
                                               "prjquota",
                                               "quota",
                                               "uquota",
                                               "gquota",
                                               "pquota",
                                               "nouuid",
                                               "largeio",
                                               "nolargeio",
                                               "norecovery",
                                               "dax",
                                               "nodelalloc",
                                               "delalloc",
                                               "auto_da_alloc",
                                               "noauto_da_alloc",
                                               "journal_checksum",
                                               "nojournal_checksum",
                                               "wsync",
                                               "swalloc",
                                               "noalign"};
  return kFlags;
}

// key=value options for ext4/xfs with the allowed value shape.
enum class ValueKind { kNumber, kWord };
const std::set<std::pair<std::string, ValueKind>>& fsKeys() {
  static const std::set<std::pair<std::string, ValueKind>> kKeys = {
      {"data", ValueKind::kWord},
      {"errors", ValueKind::kWord},
      {"commit", ValueKind::kNumber},
      {"stripe", ValueKind::kNumber},
      {"logbufs", ValueKind::kNumber},
      {"logbsize", ValueKind::kWord},
      {"allocsize", ValueKind::kWord},
      {"sunit", ValueKind::kNumber},
      {"swidth", ValueKind::kNumber},
      {"max_batch_time", ValueKind::kNumber},
      {"min_batch_time", ValueKind::kNumber},
      {"inode_readahead_blks", ValueKind::kNumber},
      {"dax", ValueKind::kWord},
      {"barrier", ValueKind::kNumber}};
  return kKeys;
}

const std::set<std::string>& nfsFlags() {
  static const std::set<std::string> kFlags = {
      "hard",         "soft",    "softerr", "intr",     "nointr",     "ac",         "noac",
      "cto",          "nocto",   "lock",    "nolock",   "resvport",   "noresvport", "sharecache",
      "nosharecache", "fsc",     "nofsc",   "rdirplus", "nordirplus", "acl",        "noacl",
      "posix",        "noposix", "tcp",     "rdma"};
  return kFlags;
}

const std::set<std::pair<std::string, ValueKind>>& nfsKeys() {
  static const std::set<std::pair<std::string, ValueKind>> kKeys = {
      {"timeo", ValueKind::kNumber},     {"retrans", ValueKind::kNumber},
      {"nconnect", ValueKind::kNumber},  {"max_connect", ValueKind::kNumber},
      {"rsize", ValueKind::kNumber},     {"wsize", ValueKind::kNumber},
      {"bsize", ValueKind::kNumber},     {"acregmin", ValueKind::kNumber},
      {"acregmax", ValueKind::kNumber},  {"acdirmin", ValueKind::kNumber},
      {"acdirmax", ValueKind::kNumber},  {"actimeo", ValueKind::kNumber},
      {"retry", ValueKind::kNumber},     {"port", ValueKind::kNumber},
      {"mountport", ValueKind::kNumber}, {"mountvers", ValueKind::kNumber},
      {"proto", ValueKind::kWord},       {"mountproto", ValueKind::kWord},
      {"sec", ValueKind::kWord},         {"lookupcache", ValueKind::kWord},
      {"local_lock", ValueKind::kWord},  {"xprtsec", ValueKind::kWord},
      {"write", ValueKind::kWord}};
  return kKeys;
}

bool isNumber(const std::string& s) {
  return !s.empty() && s.size() <= 12 &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

// A "word": lowercase letters, digits and a few separators (krb5p, tcp6, remount-ro, 64k).
bool isWord(const std::string& s) {
  return !s.empty() && s.size() <= 32 && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '-' || c == '_' || c == ':';
  });
}

Status refuse(const std::string& option, const std::string& why) {
  return absl::InvalidArgumentError("mount option \"" + option + "\" is not allowed (" + why + ")");
}

Status validate(const std::vector<std::string>& options, const std::set<std::string>& flags,
                const std::set<std::pair<std::string, ValueKind>>& keys,
                const std::set<std::string>& refusedKeys) {
  for (const auto& item : options) {
    for (const auto& option : splitOptions(item)) {
      for (unsigned char c : option) {
        if (std::iscntrl(c) != 0 || std::isspace(c) != 0) {
          return refuse(option, "contains whitespace or control characters");
        }
      }
      if (vfsFlags().count(option) != 0 || flags.count(option) != 0) continue;
      auto eq = option.find('=');
      if (eq == std::string::npos) return refuse(option, "not on the allow-list");
      std::string key = option.substr(0, eq);
      std::string value = option.substr(eq + 1);
      if (refusedKeys.count(key) != 0) return refuse(option, "set by the driver, not by users");
      if (keys.count({key, ValueKind::kNumber}) != 0) {
        if (!isNumber(value)) return refuse(option, "value must be a number");
        continue;
      }
      if (keys.count({key, ValueKind::kWord}) != 0) {
        if (!isWord(value)) return refuse(option, "malformed value");
        continue;
      }
      return refuse(option, "not on the allow-list");
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> splitOptions(const std::string& options) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= options.size()) {
    size_t comma = options.find(',', start);
    if (comma == std::string::npos) comma = options.size();
    if (comma > start) out.push_back(options.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

std::string joinOptions(const std::vector<std::string>& options) {
  std::string out;
  for (const auto& o : options) {
    if (o.empty()) continue;
    if (!out.empty()) out += ',';
    out += o;
  }
  return out;
}

Status validateFsMountOptions(const std::vector<std::string>& options) {
  return validate(options, fsFlags(), fsKeys(), {});
}

Status validateNfsMountOptions(const std::vector<std::string>& options) {
  return validate(options, nfsFlags(), nfsKeys(),
                  {"vers", "nfsvers", "addr", "clientaddr", "mountaddr", "minorversion"});
}

}  // namespace tnascsi::agent

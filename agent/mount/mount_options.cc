// Mount-option allow-lists (see mount_options.h).
#include "agent/mount/mount_options.h"

#include <sys/mount.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "agent/mount/beneath.h"

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
  return absl::InvalidArgumentError("mount option \"" + bounded(option, 64) +
                                    "\" is not allowed (" + why + ")");
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

bool BindFlags::onlyReadOnly() const {
  return (msFlags & ~static_cast<unsigned long>(MS_RDONLY)) == 0;
}

namespace {

constexpr unsigned long kAtimeBits = MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME;

// The per-mount flags the kernel leaves on a mount after MS_REMOUNT|MS_BIND|flags, in the words
// /proc/self/mountinfo prints; `atime` is false when the flags name no atime mode (kept as is).
struct ExpectedFlags {
  bool ro, nosuid, nodev, noexec, atime, noatime, nodiratime, relatime;
};

ExpectedFlags expectedFor(const BindFlags& f) {
  ExpectedFlags e{};
  e.ro = f.readOnly;
  e.nosuid = (f.msFlags & MS_NOSUID) != 0;
  e.nodev = (f.msFlags & MS_NODEV) != 0;
  e.noexec = (f.msFlags & MS_NOEXEC) != 0;
  e.atime = (f.msFlags & kAtimeBits) != 0;
  bool strict = (f.msFlags & MS_STRICTATIME) != 0;
  e.noatime = (f.msFlags & MS_NOATIME) != 0 && !strict;
  e.relatime = (f.msFlags & MS_NOATIME) == 0 && !strict;  // the kernel's default atime mode
  e.nodiratime = (f.msFlags & MS_NODIRATIME) != 0;
  return e;
}

}  // namespace

std::string BindFlags::describe() const {
  ExpectedFlags e = expectedFor(*this);
  std::vector<std::string> out = {e.ro ? "ro" : "rw"};
  if (e.nosuid) out.push_back("nosuid");
  if (e.nodev) out.push_back("nodev");
  if (e.noexec) out.push_back("noexec");
  if (e.atime) {
    if (e.noatime) out.push_back("noatime");
    if (e.nodiratime) out.push_back("nodiratime");
    if (e.relatime) out.push_back("relatime");
    if (!e.noatime && !e.relatime) out.push_back("strictatime");
  }
  return joinOptions(out);
}

BindFlags bindFlagsFor(const std::vector<std::string>& options, bool readOnly) {
  // Per-mount flags and their inverses; the last mention of a flag wins, as with mount(8).
  static const std::vector<std::pair<std::string, unsigned long>> kSet = {
      {"ro", MS_RDONLY},         {"nosuid", MS_NOSUID},          {"nodev", MS_NODEV},
      {"noexec", MS_NOEXEC},     {"noatime", MS_NOATIME},        {"nodiratime", MS_NODIRATIME},
      {"relatime", MS_RELATIME}, {"strictatime", MS_STRICTATIME}};
  static const std::vector<std::pair<std::string, unsigned long>> kClear = {
      {"rw", MS_RDONLY},           {"suid", MS_NOSUID},
      {"dev", MS_NODEV},           {"exec", MS_NOEXEC},
      {"atime", MS_NOATIME},       {"diratime", MS_NODIRATIME},
      {"norelatime", MS_RELATIME}, {"nostrictatime", MS_STRICTATIME}};
  auto lookup = [](const auto& table, const std::string& name) -> unsigned long {
    for (const auto& [n, bit] : table) {
      if (n == name) return bit;
    }
    return 0;
  };
  BindFlags f;
  for (const auto& item : options) {
    for (const auto& option : splitOptions(item)) {
      if (unsigned long bit = lookup(kSet, option); bit != 0) {
        f.msFlags |= bit;
      } else if (unsigned long clear = lookup(kClear, option); clear != 0) {
        f.msFlags &= ~clear;
      } else if (option != "defaults") {
        f.ignored.push_back(option);
      }
    }
  }
  f.readOnly = readOnly || (f.msFlags & MS_RDONLY) != 0;
  if (f.readOnly) f.msFlags |= MS_RDONLY;
  return f;
}

bool bindFlagsMatch(const BindFlags& flags, const std::string& mountOptions) {
  std::set<std::string> have;
  for (auto& o : splitOptions(mountOptions)) have.insert(std::move(o));
  auto is = [&](const char* name) { return have.count(name) != 0; };
  ExpectedFlags e = expectedFor(flags);
  if (is("ro") != e.ro || is("nosuid") != e.nosuid || is("nodev") != e.nodev ||
      is("noexec") != e.noexec) {
    return false;
  }
  if (!e.atime) return true;
  return is("noatime") == e.noatime && is("nodiratime") == e.nodiratime &&
         is("relatime") == e.relatime;
}

Status validateFsMountOptions(const std::vector<std::string>& options) {
  return validate(options, fsFlags(), fsKeys(), {});
}

Status validateNfsMountOptions(const std::vector<std::string>& options) {
  return validate(options, nfsFlags(), nfsKeys(),
                  {"vers", "nfsvers", "addr", "clientaddr", "mountaddr", "minorversion"});
}

}  // namespace tnascsi::agent

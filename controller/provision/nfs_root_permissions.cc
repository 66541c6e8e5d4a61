// Parsing of the NFS root-directory permission parameters (see nfs_root_permissions.h).
#include "controller/provision/nfs_root_permissions.h"

#include <algorithm>
#include <cctype>

namespace tnascsi::controller::provision {
namespace {

// The largest uid/gid TrueNAS accepts (ACL_MAX_ID, TS-25.10.2.1:src/middlewared/middlewared/api/
// v25_10_0/acl.py:37; Range(max_=2147483647) in TS-24.10.2.4:src/middlewared/middlewared/plugins/
// filesystem_/acl.py:127-128).
constexpr int64_t kMaxId = 2147483647;

Status invalid(const std::string& key, const std::string& value, const std::string& allowed) {
  return absl::InvalidArgumentError("StorageClass parameter '" + key + "': '" + value +
                                    "' is not allowed; allowed: " + allowed);
}

bool allOf(const std::string& s, const char* chars) {
  return !s.empty() && s.find_first_not_of(chars) == std::string::npos;
}

}  // namespace

StatusOr<NfsRootPermissions> parseNfsRootPermissions(
    const std::map<std::string, std::string>& parameters) {
  NfsRootPermissions out;
  for (const auto& [key, value] : parameters) {
    if (key == "nfsRootMode") {
      // TrueNAS's UnixPerm takes permission bits only (000-777: no setuid, setgid or sticky bit,
      // TS-25.10.2.1:src/middlewared/middlewared/api/base/types/filesystem.py:11-20) and SCALE
      // refuses 000 ("Empty permissions are not permitted.", acl.py:281-285); CORE silently
      // ignores it. Octal digits only, so "775", "0775" and nothing that could be misread.
      const bool shape =
          allOf(value, "01234567") && (value.size() == 3 || (value.size() == 4 && value[0] == '0'));
      const uint32_t mode = shape ? static_cast<uint32_t>(std::stoul(value, nullptr, 8)) : 0;
      if (!shape || mode == 0) {
        return invalid(key, value,
                       "an octal mode of 3 digits with an optional leading 0, from 001 to 777, "
                       "e.g. \"0775\" (TrueNAS refuses setuid, setgid and sticky bits, and 000)");
      }
      out.mode = mode;
    } else if (key == "nfsRootUid" || key == "nfsRootGid") {
      const bool digits = allOf(value, "0123456789") && value.size() <= 10;
      const int64_t id = digits ? std::stoll(value) : -1;
      if (!digits || id > kMaxId) {
        return invalid(key, value, "a numeric id from 0 to 2147483647 (names are not accepted)");
      }
      (key == "nfsRootUid" ? out.uid : out.gid) = id;
    } else if (key == "nfsRootStripAcl") {
      if (value != "true" && value != "false") return invalid(key, value, "true, false");
      out.stripAcl = value == "true";
    }
  }
  if (out.stripAcl && !out.mode) {
    return absl::InvalidArgumentError(
        "StorageClass parameter 'nfsRootStripAcl' needs 'nfsRootMode' (the ACL is removed by "
        "setting the mode)");
  }
  return out;
}

}  // namespace tnascsi::controller::provision

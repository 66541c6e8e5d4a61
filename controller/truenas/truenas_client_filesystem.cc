// TrueNasClient::setPathPermissions / setPathOwner: filesystem.setperm and filesystem.chown, both
// jobs on every version, awaited like the other jobs. The argument is one object with `path`,
// `mode` (an octal string, setperm only), `uid`, `gid` and `options` on every version
// (TN-13.0-U6.8:src/middlewared/middlewared/plugins/filesystem.py:468-528; TS-24.10.2.4:
// src/middlewared/middlewared/plugins/filesystem_/acl.py:123-218; TS-25.10.2.1:src/middlewared/
// middlewared/api/v25_10_0/filesystem.py:38-103); uid/gid are only sent when set, because
// a missing or null id means "unchanged" everywhere.
#include <Poco/JSON/Object.h>

#include <cstdio>

#include "common/log/log.h"
#include "controller/truenas/json_util.h"
#include "controller/truenas/truenas_client.h"

namespace tnascsi::controller::truenas {
namespace {

// A refusal inside the job is about the path or the values, never the API key: CORE reports its
// path rules as CallError EPERM (filesystem.py:437-444), which would otherwise read as a rejected
// key.
Status pathRefusal(Status status) {
  if (status.code() != StatusCode::kPermissionDenied) return status;
  return absl::InvalidArgumentError(std::string(status.message()));
}

// The fields both methods share: path, the ids that change (a missing id means "unchanged") and
// options with recursive off; `what` is logged with them.
json::ObjectPtr ownerBody(const std::string& path, const std::optional<int64_t>& uid,
                          const std::optional<int64_t>& gid, json::ObjectPtr options,
                          const std::string& what) {
  json::ObjectPtr body = new Poco::JSON::Object();
  body->set("path", path);
  if (uid) body->set("uid", *uid);
  if (gid) body->set("gid", *gid);
  options->set("recursive", false);
  body->set("options", options);
  TNAS_LOG(Info)
          .kv("path", path)
          .kv("uid", uid ? std::to_string(*uid) : "-")
          .kv("gid", gid ? std::to_string(*gid) : "-")
      << what;
  return body;
}

}  // namespace

Status TrueNasClient::setPathPermissions(const PathPermissionsSpec& spec) {
  if (spec.path.empty() || spec.mode == 0 || spec.mode > 0777) {
    return absl::InvalidArgumentError("setPathPermissions needs a path and a mode in 0001-0777");
  }
  char mode[8];
  std::snprintf(mode, sizeof(mode), "%03o", spec.mode);
  json::ObjectPtr options = new Poco::JSON::Object();
  options->set("stripacl", spec.stripAcl);
  json::ObjectPtr body =
      ownerBody(spec.path, spec.uid, spec.gid, options,
                "setting mode " + std::string(mode) + " with filesystem.setperm");
  body->set("mode", std::string(mode));
  auto job = write("filesystem.setperm", json::makeArray({body}));
  if (!job.ok()) return job.status();
  return pathRefusal(waitJob(*job).status());
}

Status TrueNasClient::setPathOwner(const PathOwnerSpec& spec) {
  if (spec.path.empty() || (!spec.uid && !spec.gid)) {
    return absl::InvalidArgumentError("setPathOwner needs a path and a uid or gid");
  }
  json::ObjectPtr body = ownerBody(spec.path, spec.uid, spec.gid, new Poco::JSON::Object(),
                                   "setting the owner with filesystem.chown");
  auto job = write("filesystem.chown", json::makeArray({body}));
  if (!job.ok()) return job.status();
  return pathRefusal(waitJob(*job).status());
}

}  // namespace tnascsi::controller::truenas

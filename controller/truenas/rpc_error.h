// Decoding of TrueNAS error replies into Status: the one place where TrueNAS errnos, JSON-RPC
// error codes and legacy error objects become canonical codes (reference §1.2, §1.3, §1.6).
//
// Mapping (first match wins):
//  - JSON-RPC -32601 / errno 201 ENOMETHOD           -> Unimplemented
//  - JSON-RPC -32000 / errno ETOOMANYREFS (109)      -> ResourceExhausted (server concurrency cap)
//  - errno EBUSY (16) incl. "Rate Limit Exceeded"    -> Unavailable (transient; retry later)
//  - errno ENOENT (2), InstanceNotFound              -> NotFound
//  - errno EEXIST (17); text "already exists", "must be unique", "already in use",
//    "already being used"                            -> AlreadyExists
//  - ENOTAUTHENTICATED (207)                         -> Unauthenticated
//  - EACCES (13) / EPERM (1)                         -> PermissionDenied
//  - ETIMEDOUT (110)                                 -> DeadlineExceeded
//  - ENOTEMPTY (39), EBADMSG (74), EDATASETISLOCKED (205), EREBOOTREQUIRED (209), text "in use",
//    "dependent clones", "has children"             -> FailedPrecondition
//  - EHAUNAVAILABLE (210)                            -> Unavailable
//  - validation (-32602, legacy type VALIDATION) and EINVAL -> InvalidArgument
//  - anything else                                   -> Internal
// For validation errors the errno of the first `extra` triple decides (TrueNAS puts the real errno
// there; data.error is always EINVAL). Messages keep TrueNAS's attribute and text:
// "pool_dataset_create.volsize: Volume size should be a multiple of volume block size".
// Thread-safe (pure functions).
#pragma once

#include <string>

#include "common/base/status.h"
#include "controller/truenas/json_util.h"

namespace tnascsi::controller::truenas {

// JSON-RPC 2.0 `error` member: {code, message, data:{error, errname, reason, extra, ...}}.
Status decodeJsonRpcError(const json::Var& error);

// Legacy /websocket `error` member: {error:<errno>, errname, type:null|"VALIDATION", reason,
// extra}.
Status decodeLegacyError(const json::Var& error);

// A failed job (core.get_jobs entry with state FAILED/ABORTED): error, exc_info{type, errno,
// extra}.
Status decodeJobError(const json::ObjectPtr& job);

// The canonical code for a TrueNAS errno and message (no validation context).
StatusCode codeForErrno(int err, const std::string& message);

}  // namespace tnascsi::controller::truenas

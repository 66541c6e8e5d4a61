// Maps iscsid's ISCSI_ERR_* numbers (reference §1.6) to Status codes, once, at the IPC edge.
// Messages name the iscsid error and say what to do; they never contain request contents.
// Pure functions; thread-safe.
#pragma once

#include <string>

#include "common/base/status.h"

namespace tnascsi::agent {

// "ISCSI_ERR_LOGIN_AUTH_FAILED" for 24; "ISCSI_ERR_<n>" for numbers we do not know.
std::string iscsidErrorName(int err);

// OK for 0. Otherwise, by code:
//   2 SESS_NOT_FOUND -> NotFound; 3 NOMEM -> ResourceExhausted; 7 INVAL -> InvalidArgument;
//   13 ACCESS -> PermissionDenied; 15 SESS_EXISTS -> AlreadyExists; 24 LOGIN_AUTH_FAILED ->
//   Unauthenticated; 12 TRANS_NOT_FOUND, 19 FATAL_LOGIN, 14 TRANS_CAPS, 16 INVALID_MGMT_REQ,
//   27 OP_NOT_SUPP, 30 -> FailedPrecondition; 4, 5, 8, 9, 10, 11, 17, 18, 20, 23, 28, 29, 32, 33
//   -> Unavailable; anything else -> Internal. `context` ("login to iqn… at 10.0.0.5:3260")
//   prefixes the message.
Status iscsidErrorStatus(int err, const std::string& context);

}  // namespace tnascsi::agent

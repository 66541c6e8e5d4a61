// iscsid error-number mapping (see iscsid_errors.h).
#include "agent/iscsi/iscsid_errors.h"

#include <array>

#include "agent/iscsi/iscsid_wire.h"

namespace tnascsi::agent {
namespace {

constexpr std::array<const char*, 34> kNames = {
    "SUCCESS",
    "ERR",
    "SESS_NOT_FOUND",
    "NOMEM",
    "TRANS",
    "LOGIN",
    "IDBM",
    "INVAL",
    "TRANS_TIMEOUT",
    "INTERNAL",
    "LOGOUT",
    "PDU_TIMEOUT",
    "TRANS_NOT_FOUND",
    "ACCESS",
    "TRANS_CAPS",
    "SESS_EXISTS",
    "INVALID_MGMT_REQ",
    "ISNS_UNAVAILABLE",
    "ISCSID_COMM_ERR",
    "FATAL_LOGIN",
    "ISCSID_NOTCONN",
    "NO_OBJS_FOUND",
    "SYSFS_LOOKUP",
    "HOST_NOT_FOUND",
    "LOGIN_AUTH_FAILED",
    "ISNS_QUERY",
    "ISNS_REG_FAILED",
    "OP_NOT_SUPP",
    "BUSY",
    "AGAIN",
    "UNKNOWN_DISCOVERY_TYPE",
    "CHILD_TERMINATED",
    "SESSION_NOT_CONNECTED",
    "REQ_TIMEDOUT",
};

}  // namespace

std::string iscsidErrorName(int err) {
  if (err >= 0 && static_cast<size_t>(err) < kNames.size()) {
    return std::string("ISCSI_ERR_") + kNames[static_cast<size_t>(err)];
  }
  return "ISCSI_ERR_" + std::to_string(err);
}

Status iscsidErrorStatus(int err, const std::string& context) {
  using namespace wire;  // NOLINT: error enumerators
  if (err == kErrSuccess) {
    return absl::OkStatus();
  }
  const std::string what =
      context + ": iscsid answered " + iscsidErrorName(err) + " (" + std::to_string(err) + ")";
  switch (err) {
    case kErrSessNotFound:
      return absl::NotFoundError(what + "; no such session");
    case kErrNoMem:
      return absl::ResourceExhaustedError(what + "; iscsid is out of memory");
    case kErrInval:
      return absl::InvalidArgumentError(
          what + "; iscsid rejected the record (is an InitiatorName configured?)");
    case kErrAccess:
      return absl::PermissionDeniedError(
          what +
          "; iscsid refused this caller: run the agent as uid 0 in the host user namespace "
          "(iscsid <= 2.1.8 also needs a root entry in /etc/passwd inside iscsid's mount "
          "namespace, or iscsid.ipc_auth_uid = Yes)");
    case kErrSessExists:
      return absl::AlreadyExistsError(what + "; the session already exists");
    case kErrLoginAuthFailed:
      return absl::UnauthenticatedError(
          what +
          "; login authentication failed: the target refused this initiator: either it is not in "
          "the volume's initiator group "
          "(is the volume ControllerPublished to this node?) or the CHAP user/secret is wrong");
    case kErrTransNotFound:
      return absl::FailedPreconditionError(
          what + "; the iSCSI transport is missing: load the iscsi_tcp kernel module");
    case kErrFatalLogin:
      return absl::FailedPreconditionError(
          what +
          "; the target rejected the login permanently (wrong IQN, or this initiator is "
          "not allowed)");
    case kErrTransCaps:
    case kErrInvalidMgmtReq:
    case kErrOpNotSupp:
    case kErrUnknownDiscoveryType:
      return absl::FailedPreconditionError(what + "; this iscsid does not support the request");
    case kErrTrans:
    case kErrLogin:
    case kErrTransTimeout:
    case kErrInternal:
    case kErrLogout:
    case kErrPduTimeout:
    case kErrIsnsUnavailable:
    case kErrIscsidCommErr:
    case kErrIscsidNotConn:
    case kErrHostNotFound:
    case kErrBusy:
    case kErrAgain:
    case kErrReqTimedOut:
      return absl::UnavailableError(what + "; retry later");
    case kErrSessionNotConnected:
      return absl::UnavailableError(what + "; the session is reconnecting, retry later");
    default:
      return absl::InternalError(what);
  }
}

}  // namespace tnascsi::agent

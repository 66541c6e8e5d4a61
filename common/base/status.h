// The project's one result type: absl::Status / absl::StatusOr<T>, plus the few helpers every
// layer uses to build errors. Codes share gRPC's numbering, so the RPC edge converts with
// toGrpcStatus() (common/rpc/grpc_status.h) and nothing else.
//
// Conventions (see docs/style.md):
//  - Return Status/StatusOr from everything that can fail; never throw across a module boundary.
//  - Messages say what failed and what to do about it; they never contain secrets.
//  - Each layer maps foreign errors (errno, TrueNAS errors, iscsid codes) once, at its boundary.
#pragma once

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include <string>

namespace tnascsi {

using Status = absl::Status;
template <typename T>
using StatusOr = absl::StatusOr<T>;
using StatusCode = absl::StatusCode;

namespace common {

// Builds a Status from an errno value with a context ("open /dev/sda"): ENOENT -> NotFound,
// EEXIST -> AlreadyExists, EACCES/EPERM -> PermissionDenied, EINVAL -> InvalidArgument,
// ETIMEDOUT -> DeadlineExceeded, EAGAIN/EBUSY/ECONNREFUSED -> Unavailable, others -> Internal.
Status errnoStatus(const std::string& context, int err);

// Prepends "context: " to a non-OK status' message, keeping its code. OK stays OK.
Status annotate(const Status& status, const std::string& context);

}  // namespace common
}  // namespace tnascsi

// Returns from the enclosing function if `expr` (a Status) is not OK.
#define TNAS_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::tnascsi::Status tnas_status_ = (expr);     \
    if (!tnas_status_.ok()) return tnas_status_; \
  } while (false)

#define TNAS_CONCAT_INNER_(a, b) a##b
#define TNAS_CONCAT_(a, b) TNAS_CONCAT_INNER_(a, b)

// TNAS_ASSIGN_OR_RETURN(auto x, statusOrExpr): declares x from the value, or returns the error.
#define TNAS_ASSIGN_OR_RETURN(lhs, expr) \
  TNAS_ASSIGN_OR_RETURN_IMPL_(TNAS_CONCAT_(tnas_statusor_, __LINE__), lhs, expr)
#define TNAS_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()

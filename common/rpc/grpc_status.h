// The one place a tnascsi::Status becomes a grpc::Status. absl and gRPC share the canonical code
// numbering, so the conversion is a cast; UNKNOWN never leaves a binary (it becomes INTERNAL).
#pragma once

#include <grpcpp/support/status.h>

#include "common/base/status.h"

namespace tnascsi::common {

inline grpc::Status toGrpcStatus(const Status& status) {
  if (status.ok()) return grpc::Status::OK;
  auto code = static_cast<grpc::StatusCode>(static_cast<int>(status.code()));
  if (code == grpc::StatusCode::UNKNOWN) code = grpc::StatusCode::INTERNAL;
  return grpc::Status(code, std::string(status.message()));
}

inline Status fromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return Status(static_cast<StatusCode>(static_cast<int>(status.error_code())),
                status.error_message());
}

}  // namespace tnascsi::common

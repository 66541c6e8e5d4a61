// handleRpc: the wrapper every CSI RPC in both binaries goes through. It gives the call a request
// id (LogScope "req"), logs the method, the request with secrets stripped (debug level), the
// duration and the result code; turns a stray exception into INTERNAL; and converts the returned
// Status to grpc::Status in the one place that does so. Probe and other chatty methods log at
// debug level.
//
//   grpc::Status NodeStageVolume(grpc::ServerContext*, const Req* req, Resp* resp) override {
//     return common::handleRpc("NodeStageVolume", *req, [&] { return stage_.stage(*req, resp); });
//   }
#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/support/status.h>

#include <functional>
#include <string>

#include "common/base/status.h"
#include "common/log/log.h"

namespace tnascsi::common {

struct RpcOptions {
  LogLevel level = LogLevel::kInfo;  // level of the completion line (Probe: debug)
};

grpc::Status handleRpc(const char* method, const google::protobuf::Message& request,
                       const std::function<Status()>& body, RpcOptions options = {});

// Number of handleRpc bodies running right now in this process (servers drain them at shutdown).
int runningRpcs();

}  // namespace tnascsi::common

// handleRpc implementation (see rpc_handler.h).
#include "common/rpc/rpc_handler.h"

#include <atomic>
#include <chrono>
#include <exception>

#include "common/metrics/rpc_metrics.h"
#include "common/rpc/grpc_status.h"
#include "common/rpc/secret_stripper.h"

namespace tnascsi::common {
namespace {
std::atomic<int> g_running{0};
}  // namespace

int runningRpcs() {
  return g_running.load();
}

grpc::Status handleRpc(const char* method, const google::protobuf::Message& request,
                       const std::function<Status()>& body, RpcOptions options) {
  LogScope reqScope("req", newRequestId());
  LogScope methodScope("method", method);
  if (logEnabled(LogLevel::kDebug)) {
    TNAS_LOG(Debug).kv("request", sanitizedText(request)) << "rpc start";
  }
  auto started = std::chrono::steady_clock::now();
  metrics::RpcObservation observed(method);
  Status status;
  g_running.fetch_add(1);
  try {
    status = body();
  } catch (const std::exception& e) {
    status = absl::InternalError(std::string("internal error: ") + e.what());
  } catch (...) {
    status = absl::InternalError("internal error: unknown exception");
  }
  g_running.fetch_sub(1);
  observed.finish(status.code());
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  grpc::Status out = toGrpcStatus(status);
  LogLevel level = options.level;
  if (!status.ok()) {
    bool serverSide = out.error_code() == grpc::StatusCode::INTERNAL ||
                      out.error_code() == grpc::StatusCode::DATA_LOSS;
    level = serverSide ? LogLevel::kError : LogLevel::kWarn;
    if (level < options.level) level = options.level;
  }
  if (logEnabled(level)) {
    LogLine line(level, __FILE__, __LINE__);
    line.kv("code", absl::StatusCodeToString(status.code())).kv("duration_ms", ms);
    if (!status.ok()) line.kv("error", std::string(status.message()));
    line << "rpc done";
  }
  return out;
}

}  // namespace tnascsi::common

// MeteredTransport: an RpcTransport that forwards every call to another one and records it in the
// TrueNAS call metrics (common/metrics/controller_metrics.h: count by method and result code,
// latency, in flight). main() puts it between each backend's ConnectionPool and TrueNasClient, so
// every call the client makes is counted exactly once (a retried read counts twice: two calls
// reached TrueNAS). The connection's own login and keepalive pings do not pass through here.
// Thread-safe as the wrapped transport.
#pragma once

#include <string>

#include "controller/truenas/rpc_transport.h"

namespace tnascsi::controller {

class MeteredTransport final : public truenas::RpcTransport {
 public:
  // `inner` is not owned and must outlive this. `backend` is the metrics' backend label.
  MeteredTransport(truenas::RpcTransport& inner, std::string backend);

  StatusOr<truenas::json::Var> call(const std::string& method,
                                    const truenas::json::ArrayPtr& params,
                                    Deadline deadline) override;
  StatusOr<truenas::WireProtocol> protocol(Deadline deadline) override;
  uint64_t connectionGeneration() const override;
  bool connected() const override { return inner_.connected(); }

 private:
  truenas::RpcTransport& inner_;
  const std::string backend_;
};

}  // namespace tnascsi::controller

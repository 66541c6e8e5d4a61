// MeteredTransport (see metered_transport.h).
#include "controller/metrics/metered_transport.h"

#include "common/metrics/controller_metrics.h"

namespace tnascsi::controller {

MeteredTransport::MeteredTransport(truenas::RpcTransport& inner, std::string backend)
    : inner_(inner), backend_(std::move(backend)) {}

StatusOr<truenas::json::Var> MeteredTransport::call(const std::string& method,
                                                    const truenas::json::ArrayPtr& params,
                                                    Deadline deadline) {
  common::metrics::TrueNasCallObservation observed(backend_, method);
  StatusOr<truenas::json::Var> result = inner_.call(method, params, deadline);
  observed.finish(result.status().code());
  return result;
}

StatusOr<truenas::WireProtocol> MeteredTransport::protocol(Deadline deadline) {
  return inner_.protocol(deadline);
}

uint64_t MeteredTransport::connectionGeneration() const {
  return inner_.connectionGeneration();
}

}  // namespace tnascsi::controller

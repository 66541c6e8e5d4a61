// RpcTransport: the lower of the two TrueNAS layers. It only carries `method(params)` calls to one
// authenticated TrueNAS connection and returns the decoded result; it knows nothing about
// datasets or versions' method names. TrueNasClient (the domain layer) sits on top of it.
//
// Thread-safe: call() may be invoked concurrently; implementations multiplex calls.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "common/base/status.h"
#include "controller/truenas/json_util.h"
#include "controller/truenas/system_types.h"

namespace tnascsi::controller::truenas {

class RpcTransport {
 public:
  using Deadline = std::chrono::steady_clock::time_point;

  virtual ~RpcTransport() = default;

  // Calls `method` with positional `params` and waits for the result until `deadline`.
  // Returns the TrueNAS result, or: the decoded TrueNAS error (rpc_error.h); Unavailable when not
  // connected / the connection drops while the call is in flight (never retried here: the call may
  // or may not have run); DeadlineExceeded at the deadline; ResourceExhausted when the bounded wait
  // queue is full; PermissionDenied when authentication failed permanently; FailedPrecondition for
  // an insecure configuration. Never throws.
  virtual StatusOr<json::Var> call(const std::string& method, const json::ArrayPtr& params,
                                   Deadline deadline) = 0;

  // The protocol of the current (or next) connection. Connects if needed to find out.
  virtual StatusOr<WireProtocol> protocol(Deadline deadline) = 0;

  // Increases each time a new authenticated connection is established, so that callers can drop
  // per-connection caches (the backend may have been upgraded in between). 0 before the first.
  virtual uint64_t connectionGeneration() const = 0;

  // True while an authenticated connection is up (metrics; a snapshot, not a promise).
  virtual bool connected() const = 0;
};

}  // namespace tnascsi::controller::truenas

// ConnectionPool: the RpcTransport over a few authenticated connections to one TrueNAS backend.
// TrueNAS runs at most 10 calls at once per connection (ref: truenas/middleware
// TS-25.04.2.6:src/middlewared/middlewared/utils/limits.py), so one connection caps a busy
// controller; the pool spreads calls over up to `size` connections.
//  - Connections open lazily: the next one only when every open, healthy one has `spillAt` or more
//    calls in flight. An idle controller keeps one connection (one login).
//  - Each call goes to the open, healthy connection with the fewest calls in flight. A connection
//    whose last call failed with Unavailable is skipped for a second (its reconnect backs off)
//    unless no other is open.
//  - Ordering: a caller's calls are sequential (each waits for its result), so spreading calls
//    over connections never reorders one operation's steps; jobs are global on the middleware,
//    so a job started on one connection can be polled on another.
//  - One AuthGuard for all connections: the login budget (TrueNAS locks an address out after 20
//    failed logins a minute) is shared, not multiplied by the pool size.
// Thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>

#include "common/base/clock.h"
#include "controller/truenas/auth_guard.h"
#include "controller/truenas/connection_options.h"
#include "controller/truenas/rpc_transport.h"

namespace tnascsi::controller::truenas {

class ConnectionPool final : public RpcTransport {
 public:
  // Makes one connection that authenticates through `guard` (shared by the pool).
  using Factory = std::function<std::unique_ptr<RpcTransport>(AuthGuard& guard)>;

  // Size, spill threshold and login budget from `options` (poolSize, poolSpillAt,
  // loginBudget(options)).
  ConnectionPool(const ConnectionOptions& options, common::Clock& clock, Factory factory);
  ConnectionPool(int size, int spillAt, int maxAuthAttemptsPerMinute, common::Clock& clock,
                 Factory factory);

  // Logins a minute for the whole pool: the configured budget, raised to twice the pool size so
  // that every connection can log in and once more after a TrueNAS restart, and never above 16
  // (TrueNAS's limit of 20 unauthenticated calls per method and address a minute,
  // ref: TS-25.04.2.6:src/middlewared/middlewared/utils/rate_limit/cache.py:15-18).
  static int loginBudget(const ConnectionOptions& options);
  ~ConnectionPool() override;
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  StatusOr<json::Var> call(const std::string& method, const json::ArrayPtr& params,
                           Deadline deadline) override;
  // The first connection's protocol (all connections reach the same backend).
  StatusOr<WireProtocol> protocol(Deadline deadline) override;
  // 0 before any connection, then 1, plus one for every reconnection of any connection (a new
  // connection's first login does not count: the backend is the same, the pool only grew), so
  // TrueNasClient re-reads the version after a reconnect but not when the pool grows.
  uint64_t connectionGeneration() const override;

  // True while any of the open connections is up.
  bool connected() const override;

  // Connections opened so far (for tests, metrics and the benchmark).
  int openConnections() const;
  // Login attempts made by all connections.
  int authAttempts() const { return guard_.attemptsMade(); }

 private:
  struct Slot {
    std::unique_ptr<RpcTransport> transport;
    std::atomic<int> inFlight{0};
    std::atomic<int64_t> unhealthyUntilMs{0};  // clock ms; 0 = healthy
  };
  // Chooses a slot (opening one if the policy says so) and counts the call in it.
  Slot& acquire();
  int64_t nowMs() const;

  const int size_;
  const int spillAt_;
  common::Clock& clock_;
  const Factory factory_;
  AuthGuard guard_;
  std::unique_ptr<Slot[]> slots_;
  mutable std::mutex mu_;  // guards opening slots (opened_ and slots_[i].transport)
  std::atomic<int> opened_{0};
};

}  // namespace tnascsi::controller::truenas

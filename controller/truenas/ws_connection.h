// WsConnection: the RpcTransport over one persistent, authenticated WebSocket to TrueNAS, shared by
// all calls of the controller.
//  - Protocol by probing GET /api/versions: JSON-RPC 2.0 on /api/current (25.04+) or the legacy
//    /websocket protocol (CORE, 24.10). Codecs in wire_codec.h.
//  - Calls are multiplexed by id; a reader thread dispatches responses. At most
//    options.maxRunningCalls are on the wire at once (TrueNAS runs 10 per connection and fails the
//    21st); up to options.maxQueuedCalls more wait for a slot, beyond that ResourceExhausted.
//  - Keepalive ping (core.ping / legacy ping) every options.pingInterval; a failed ping drops the
//    connection.
//  - On disconnect every in-flight call fails with Unavailable and is never retried here. The next
//    call (or the keepalive thread) reconnects: probe, open, handshake, re-authenticate with the
//    key file re-read. Failed attempts back off exponentially (with jitter).
//  - Authentication is guarded by AuthGuard: <= options.maxAuthAttemptsPerMinute attempts, and a
//    rejected key (AUTH_ERR/EXPIRED/false) is a permanent PermissionDenied until the file changes.
//  - The API key never reaches logs or error messages, and is never sent over plain ws:// to a
//    non-loopback host (FailedPrecondition).
// Thread-safe. Poco exceptions never escape.
#pragma once

#include <Poco/Net/Context.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/base/clock.h"
#include "controller/truenas/auth_guard.h"
#include "controller/truenas/connection_options.h"
#include "controller/truenas/endpoint.h"
#include "controller/truenas/rpc_transport.h"
#include "controller/truenas/wire_codec.h"

namespace tnascsi::controller::truenas {

class WsConnection final : public RpcTransport {
 public:
  // Does not connect; the first call (or protocol()) does. `sharedGuard` (optional) replaces the
  // connection's own AuthGuard, so that the connections of one pool share one login budget; it
  // must outlive this object.
  WsConnection(ConnectionOptions options, common::Clock& clock, AuthGuard* sharedGuard = nullptr);
  ~WsConnection() override;
  WsConnection(const WsConnection&) = delete;
  WsConnection& operator=(const WsConnection&) = delete;

  StatusOr<json::Var> call(const std::string& method, const json::ArrayPtr& params,
                           Deadline deadline) override;
  StatusOr<WireProtocol> protocol(Deadline deadline) override;
  uint64_t connectionGeneration() const override;

  // Authentication attempts made (sent to TrueNAS) so far.
  int authAttempts() const { return authGuard_->attemptsMade(); }
  // True while an authenticated connection is up.
  bool connected() const override;

 private:
  // One call on the wire. Its own condition variable (waited with mu_): an answer wakes only its
  // caller, not every caller in flight (at 50 concurrent creates, a shared one woke ~10 threads
  // per answer).
  struct Pending {
    bool done = false;
    StatusOr<json::Var> result = absl::UnknownError("pending");
    std::condition_variable cv;
  };
  struct Conn;

  Status ensureConnected(Deadline deadline);
  Status connectAttempt(Deadline deadline);
  Status authenticate(const std::shared_ptr<Conn>& conn, const std::string& key, Deadline deadline);
  StatusOr<json::Var> exchange(const std::shared_ptr<Conn>& conn, const std::string& id,
                               const std::string& frame, const std::string& what,
                               Deadline deadline);
  StatusOr<json::Var> rawCall(const std::shared_ptr<Conn>& conn, const std::string& method,
                              const json::ArrayPtr& params, Deadline deadline);
  Status ping(const std::shared_ptr<Conn>& conn);
  void readerLoop(Conn* conn);
  void dispatch(Conn* conn, const std::string& text);
  void markDead(Conn* conn, const Status& reason);
  void retireConnections();
  void keepaliveLoop();
  std::string nextId();

  const ConnectionOptions options_;
  common::Clock& clock_;
  StatusOr<Endpoint> endpoint_;
  std::unique_ptr<AuthGuard> ownGuard_;  // null when a shared guard was given
  AuthGuard* authGuard_;                 // ownGuard_ or the shared one
  std::atomic<uint64_t> idCounter_{0};

  std::mutex connectMu_;  // serializes connection attempts; taken before mu_
  std::optional<Poco::Net::Context::Ptr> tls_;
  std::chrono::milliseconds backoff_{0};
  common::Clock::TimePoint nextAttempt_{};
  std::string lastError_;
  StatusCode lastCode_ = StatusCode::kOk;
  std::mt19937 rng_;

  mutable std::mutex mu_;
  std::condition_variable cv_;  // handshake, admission, stop (completions: Pending::cv)
  std::shared_ptr<Conn> current_;
  std::vector<std::shared_ptr<Conn>> retired_;
  bool everConnected_ = false;
  bool stopping_ = false;
  uint64_t generation_ = 0;
  int running_ = 0;
  int waiting_ = 0;

  std::thread keepalive_;
};

}  // namespace tnascsi::controller::truenas

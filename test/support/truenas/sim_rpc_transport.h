// SimRpcTransport: an RpcTransport that carries TrueNasClient's calls straight into the TrueNAS
// simulator's dispatcher in the same process, without a socket. Every answer is encoded by the
// simulator's wire encoder (JSON-RPC 2.0 on 25.04+, the legacy /websocket protocol on 24.10 and
// 13.0, as WsConnection would choose) and decoded by the controller's own WireCodec, so results,
// TrueNAS errors and jobs reach the client exactly as over WebSocket; only framing and the socket
// are skipped. Controller tests use it so that there is one model of TrueNAS (the simulator)
// instead of a separate fake.
//
// One object is one connection, as WsConnection is:
//  - It logs in with the API key on first use (auth.login_ex when a username is given and the
//    version has JSON-RPC, else auth.login_with_api_key), through the dispatcher, so the
//    simulator's authentication, rate limit and call log see it.
//  - At most 10 calls run at once (TrueNAS's per-connection limit); more wait.
//  - The simulator's drop faults (drop_after_calls, drop_reply) end the connection: that call and
//    every other call in flight on it fail Unavailable, and the next call reconnects (a new
//    session, connectionGeneration() + 1). So does cutting the Link (a network partition): while
//    it is down, connecting fails Unavailable.
//  - A call is not interrupted at its deadline (the simulator runs it to the end); one that
//    returns after its deadline is DeadlineExceeded.
// Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "controller/truenas/rpc_transport.h"
#include "controller/truenas/wire_codec.h"
#include "test/truenas-sim/server/sim_server.h"

namespace tnascsi::testing {

namespace json = controller::truenas::json;

class SimRpcTransport final : public controller::truenas::RpcTransport {
 public:
  // The simulated network between the controller and the simulator, shared by the transports of
  // one backend. Cutting it ends every connection; connecting fails until it is restored.
  class Link {
   public:
    void setUp(bool up) {
      up_ = up;
      ++epoch_;
    }
    bool up() const { return up_; }
    // Changes whenever the link is cut or restored (connections made before a cut are dead).
    uint64_t epoch() const { return epoch_; }

   private:
    std::atomic<bool> up_{true};
    std::atomic<uint64_t> epoch_{0};
  };

  // `server` and `link` must outlive the transport. `username` empty: the legacy key login.
  SimRpcTransport(sim::SimServer& server, std::string apiKey, std::string username,
                  const Link& link);
  ~SimRpcTransport() override;
  SimRpcTransport(const SimRpcTransport&) = delete;
  SimRpcTransport& operator=(const SimRpcTransport&) = delete;

  StatusOr<json::Var> call(const std::string& method, const json::ArrayPtr& params,
                           Deadline deadline) override;
  StatusOr<controller::truenas::WireProtocol> protocol(Deadline deadline) override;
  uint64_t connectionGeneration() const override;
  bool connected() const override;

 private:
  struct Conn;

  // The live connection, made (and logged in) if there is none.
  StatusOr<std::shared_ptr<Conn>> connection();
  // One call on `conn`, answered through the wire encoder and decoder. Marks the connection dead
  // when the simulator drops it.
  StatusOr<json::Var> exchange(const std::shared_ptr<Conn>& conn, const std::string& method,
                               const sim::Json& params);
  StatusOr<json::Var> exchangeUnannotated(const std::shared_ptr<Conn>& conn,
                                          const std::string& method, const sim::Json& params);
  bool alive(const Conn& conn) const;

  sim::SimServer& server_;
  const std::string apiKey_;
  const std::string username_;
  const Link& link_;
  const controller::truenas::WireProtocol protocol_;
  const std::unique_ptr<controller::truenas::WireCodec> codec_;
  std::atomic<int64_t> nextId_{1};

  std::mutex connectMu_;  // one connection attempt at a time; taken before mu_
  mutable std::mutex mu_;
  std::condition_variable slotFree_;
  std::shared_ptr<Conn> current_;  // guarded by mu_
  uint64_t generation_ = 0;        // guarded by mu_
};

}  // namespace tnascsi::testing

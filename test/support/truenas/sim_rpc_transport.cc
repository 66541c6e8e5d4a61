// SimRpcTransport implementation (see sim_rpc_transport.h).
#include "test/support/truenas/sim_rpc_transport.h"

#include <utility>

#include "test/truenas-sim/protocol/wire.h"

namespace tnascsi::testing {
namespace {

using controller::truenas::WireProtocol;
constexpr int kRunningPerConnection = 10;

}  // namespace

struct SimRpcTransport::Conn {
  std::shared_ptr<sim::Session> session;
  uint64_t linkEpoch = 0;
  bool dead = false;  // guarded by SimRpcTransport::mu_
  int running = 0;    // guarded by SimRpcTransport::mu_
};

SimRpcTransport::SimRpcTransport(sim::SimServer& server, std::string apiKey, std::string username,
                                 const Link& link)
    : server_(server),
      apiKey_(std::move(apiKey)),
      username_(std::move(username)),
      link_(link),
      protocol_(server.model().personality().jsonRpc ? WireProtocol::kJsonRpc
                                                     : WireProtocol::kLegacyDdp),
      codec_(controller::truenas::makeCodec(protocol_)) {}

SimRpcTransport::~SimRpcTransport() = default;

bool SimRpcTransport::alive(const Conn& conn) const {
  return !conn.dead && link_.up() && conn.linkEpoch == link_.epoch();
}

StatusOr<std::shared_ptr<SimRpcTransport::Conn>> SimRpcTransport::connection() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (current_ && alive(*current_)) return current_;
  }
  std::lock_guard<std::mutex> connecting(connectMu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (current_ && alive(*current_)) return current_;  // another caller connected meanwhile
  }
  if (!link_.up()) return absl::UnavailableError("TrueNAS simulator unreachable (link cut)");
  auto conn = std::make_shared<Conn>();
  conn->linkEpoch = link_.epoch();
  const sim::Wire wire =
      protocol_ == WireProtocol::kJsonRpc ? sim::Wire::kJsonRpc : sim::Wire::kLegacy;
  // Loopback counts as a secure transport (the simulator's default, like TrueNAS).
  conn->session = std::make_shared<sim::Session>(
      wire, "127.0.0.1", true,
      [](const std::string&, const std::string&, const sim::Json&, const sim::Json&) {});
  server_.dispatcher().addSession(conn->session);
  // The key only ever goes into these params; it is never logged.
  const bool loginEx = protocol_ == WireProtocol::kJsonRpc && !username_.empty();
  sim::Json params = sim::Json::array();
  if (loginEx) {
    sim::Json req = sim::Json::object();
    req.set("mechanism", "API_KEY_PLAIN");
    req.set("username", username_);
    req.set("api_key", apiKey_);
    params.push(std::move(req));
  } else {
    params.push(apiKey_);
  }
  TNAS_ASSIGN_OR_RETURN(
      json::Var answer,
      exchange(conn, loginEx ? "auth.login_ex" : "auth.login_with_api_key", params));
  const bool ok = loginEx ? json::getString(json::asObject(answer), "response_type") == "SUCCESS"
                          : answer.isBoolean() && answer.extract<bool>();
  if (!ok) return absl::PermissionDeniedError("the TrueNAS simulator rejected the API key");
  std::lock_guard<std::mutex> lock(mu_);
  current_ = conn;
  ++generation_;
  return conn;
}

StatusOr<json::Var> SimRpcTransport::exchange(const std::shared_ptr<Conn>& conn,
                                              const std::string& method, const sim::Json& params) {
  // Errors name the method, as WsConnection's do.
  StatusOr<json::Var> result = exchangeUnannotated(conn, method, params);
  if (!result.ok()) return common::annotate(result.status(), "TrueNAS " + method);
  return result;
}

StatusOr<json::Var> SimRpcTransport::exchangeUnannotated(const std::shared_ptr<Conn>& conn,
                                                         const std::string& method,
                                                         const sim::Json& params) {
  {
    std::unique_lock<std::mutex> lock(mu_);
    slotFree_.wait(lock, [&] { return conn->running < kRunningPerConnection; });
    ++conn->running;
  }
  const sim::Json id(nextId_++);
  bool drop = false;
  StatusOr<sim::Json> result = server_.dispatcher().call(conn->session, method, params, id, &drop);
  {
    std::lock_guard<std::mutex> lock(mu_);
    --conn->running;
    slotFree_.notify_all();
    if (drop) conn->dead = true;
    if (!alive(*conn)) {
      return absl::UnavailableError("TrueNAS connection lost during " + method);
    }
  }
  const sim::Json frame =
      protocol_ == WireProtocol::kJsonRpc
          ? (result.ok() ? sim::jsonRpcResult(id, *result) : sim::jsonRpcError(id, result.status()))
          : (result.ok() ? sim::legacyResult(id, *result) : sim::legacyError(id, result.status()));
  auto message = codec_->decode(frame.dump());
  if (!message.ok()) return absl::InternalError("undecodable answer to " + method);
  if (message->isError) return message->error;
  return message->result;
}

StatusOr<json::Var> SimRpcTransport::call(const std::string& method, const json::ArrayPtr& params,
                                          Deadline deadline) {
  // The client's params (Poco) become the simulator's JSON as on the wire: through their text.
  auto simParams = sim::Json::parse(json::stringify(params));
  if (!simParams.ok()) return absl::InvalidArgumentError("TrueNAS " + method + ": params not JSON");
  TNAS_ASSIGN_OR_RETURN(std::shared_ptr<Conn> conn, connection());
  StatusOr<json::Var> result = exchange(conn, method, *simParams);
  if (std::chrono::steady_clock::now() > deadline) {
    return absl::DeadlineExceededError("TrueNAS call " + method + " timed out");
  }
  return result;
}

StatusOr<WireProtocol> SimRpcTransport::protocol(Deadline /*deadline*/) {
  return protocol_;
}

uint64_t SimRpcTransport::connectionGeneration() const {
  std::lock_guard<std::mutex> lock(mu_);
  return generation_;
}

bool SimRpcTransport::connected() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_ != nullptr && alive(*current_);
}

}  // namespace tnascsi::testing

// The persistent multiplexed TrueNAS connection (see ws_connection.h).
#include "controller/truenas/ws_connection.h"

#include <Poco/Buffer.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/WebSocket.h>

#include <algorithm>
#include <cctype>

#include "common/base/c_handle.h"
#include "common/base/files.h"
#include "common/log/log.h"
#include "controller/truenas/ws_connection_internal.h"

namespace tnascsi::controller::truenas {

using Poco::Net::WebSocket;

namespace {

Poco::Timespan toTimespan(std::chrono::milliseconds ms) {
  return Poco::Timespan(static_cast<long>(ms.count() / 1000),
                        static_cast<long>((ms.count() % 1000) * 1000));
}

bool validKeyFormat(const std::string& key) {
  const size_t dash = key.find('-');
  if (dash == 0 || dash == std::string::npos || dash + 1 >= key.size()) return false;
  for (size_t i = 0; i < dash; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(key[i]))) return false;
  }
  for (size_t i = dash + 1; i < key.size(); ++i) {
    if (!std::isalnum(static_cast<unsigned char>(key[i]))) return false;
  }
  return true;
}

}  // namespace

WsConnection::WsConnection(ConnectionOptions options, common::Clock& clock, AuthGuard* sharedGuard)
    : options_(std::move(options)),
      clock_(clock),
      endpoint_(parseEndpoint(options_.url)),
      ownGuard_(sharedGuard != nullptr
                    ? nullptr
                    : std::make_unique<AuthGuard>(clock, options_.maxAuthAttemptsPerMinute)),
      authGuard_(sharedGuard != nullptr ? sharedGuard : ownGuard_.get()),
      rng_(std::random_device{}()) {
  keepalive_ = std::thread([this] { keepaliveLoop(); });
}

WsConnection::~WsConnection() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (keepalive_.joinable()) keepalive_.join();
  std::lock_guard<std::mutex> connectLock(connectMu_);
  std::shared_ptr<Conn> conn;
  {
    std::lock_guard<std::mutex> lock(mu_);
    conn = current_;
  }
  if (conn) markDead(conn.get(), absl::UnavailableError("TrueNAS client is shutting down"));
  retireConnections();
}

uint64_t WsConnection::connectionGeneration() const {
  std::lock_guard<std::mutex> lock(mu_);
  return generation_;
}

bool WsConnection::connected() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_ && !current_->dead;
}

std::string WsConnection::nextId() {
  return std::to_string(++idCounter_);
}

StatusOr<WireProtocol> WsConnection::protocol(Deadline deadline) {
  TNAS_RETURN_IF_ERROR(ensureConnected(deadline));
  std::lock_guard<std::mutex> lock(mu_);
  if (!current_) return absl::UnavailableError("TrueNAS connection lost");
  return current_->protocol;
}

StatusOr<json::Var> WsConnection::call(const std::string& method, const json::ArrayPtr& params,
                                       Deadline deadline) {
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (stopping_) return absl::UnavailableError("TrueNAS client is shutting down");
    if (running_ >= options_.maxRunningCalls) {
      if (waiting_ >= options_.maxQueuedCalls) {
        return absl::ResourceExhaustedError("too many TrueNAS calls waiting (" +
                                            std::to_string(waiting_) + "); try again later");
      }
      ++waiting_;
      const bool admitted = cv_.wait_until(
          lock, deadline, [&] { return running_ < options_.maxRunningCalls || stopping_; });
      --waiting_;
      if (!admitted) {
        return absl::DeadlineExceededError("TrueNAS " + method +
                                           ": deadline passed while waiting for a call slot");
      }
      if (stopping_) return absl::UnavailableError("TrueNAS client is shutting down");
    }
    ++running_;
  }
  common::Cleanup release([this] {
    bool someoneWaits = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      --running_;
      someoneWaits = waiting_ > 0;
    }
    if (someoneWaits) cv_.notify_all();  // only admission waits on a freed slot
  });
  TNAS_RETURN_IF_ERROR(ensureConnected(deadline));
  std::shared_ptr<Conn> conn;
  {
    std::lock_guard<std::mutex> lock(mu_);
    conn = current_;
  }
  if (!conn) return absl::UnavailableError("TrueNAS connection lost");
  return rawCall(conn, method, params, deadline);
}

Status WsConnection::ensureConnected(Deadline deadline) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (current_ && !current_->dead) return absl::OkStatus();
  }
  std::lock_guard<std::mutex> connectLock(connectMu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return absl::UnavailableError("TrueNAS client is shutting down");
    if (current_ && !current_->dead) return absl::OkStatus();
  }
  const auto now = clock_.now();
  if (now < nextAttempt_) {
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(nextAttempt_ - now);
    // Configuration and credential problems keep their code; everything else is transient.
    const StatusCode code = lastCode_ == StatusCode::kPermissionDenied ||
                                    lastCode_ == StatusCode::kFailedPrecondition ||
                                    lastCode_ == StatusCode::kInvalidArgument
                                ? lastCode_
                                : StatusCode::kUnavailable;
    return Status(code, "TrueNAS unavailable (" + lastError_ + "); next reconnect in " +
                            std::to_string(wait.count()) + " ms");
  }
  retireConnections();
  Status st = connectAttempt(deadline);
  if (st.ok()) {
    backoff_ = std::chrono::milliseconds(0);
    nextAttempt_ = {};
    lastError_.clear();
    return st;
  }
  backoff_ =
      backoff_.count() == 0 ? options_.backoffInitial : std::min(backoff_ * 2, options_.backoffMax);
  std::uniform_real_distribution<double> jitter(0.75, 1.25);
  const auto delay = std::chrono::milliseconds(
      static_cast<int64_t>(static_cast<double>(backoff_.count()) * jitter(rng_)));
  nextAttempt_ = clock_.now() + delay;
  const bool repeated = lastError_ == st.message();
  lastError_ = std::string(st.message());
  lastCode_ = st.code();
  if (repeated) return st;  // logged already; avoid one line per call while the cause persists
  TNAS_LOG(Warn)
          .kv("endpoint", endpoint_.ok() ? endpoint_->display() : options_.url)
          .kv("retry_ms", static_cast<int64_t>(delay.count()))
      << "TrueNAS connection failed: " << st.message();
  return st;
}

Status WsConnection::connectAttempt(Deadline deadline) {
  if (!endpoint_.ok()) return endpoint_.status();
  const Endpoint& ep = *endpoint_;
  TNAS_RETURN_IF_ERROR(checkTransportSecurity(ep));
  StatusOr<std::string> key = common::readSecretFile(options_.apiKeyFile);
  if (!key.ok()) {
    return absl::FailedPreconditionError("cannot read the TrueNAS API key: " +
                                         std::string(key.status().message()));
  }
  if (!validKeyFormat(*key)) {
    return absl::FailedPreconditionError("the API key in " + options_.apiKeyFile +
                                         " is not in TrueNAS format <id>-<key>");
  }
  if (ep.tls && !tls_) {
    TNAS_ASSIGN_OR_RETURN(Poco::Net::Context::Ptr ctx, makeTlsContext(options_));
    tls_ = ctx;
  }
  const Poco::Net::Context::Ptr tls = tls_ ? *tls_ : Poco::Net::Context::Ptr();
  TNAS_RETURN_IF_ERROR(authGuard_->beginAttempt(*key));
  const auto connectDeadline = std::min(deadline, Deadline(clock_.now() + options_.connectTimeout));
  TNAS_ASSIGN_OR_RETURN(WireProtocol proto, probeProtocol(ep, tls, options_.connectTimeout));

  auto conn = std::make_shared<Conn>();
  conn->protocol = proto;
  conn->codec = makeCodec(proto);
  try {
    conn->session = makeSession(ep, tls, options_.connectTimeout);
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, conn->codec->path(),
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    Poco::Net::HTTPResponse response;
    conn->ws = std::make_unique<WebSocket>(*conn->session, request, response);
    conn->ws->setMaxPayloadSize(
        static_cast<int>(std::min<size_t>(options_.maxMessageBytes, 0x7fffffff)));
    conn->ws->setReceiveTimeout(Poco::Timespan(1, 0));
    conn->ws->setSendTimeout(toTimespan(options_.connectTimeout));
  } catch (const Poco::Exception& e) {
    return networkErrorStatus(e, ep, "opening WebSocket to");
  } catch (const std::exception& e) {
    return absl::UnavailableError("opening WebSocket to " + ep.display() + ": " + e.what());
  }
  conn->reader = std::thread([this, c = conn.get()] { readerLoop(c); });
  {
    std::lock_guard<std::mutex> lock(mu_);
    retired_.push_back(conn);  // owned here until retired; becomes current_ once authenticated
  }
  if (auto hello = conn->codec->handshake()) {
    try {
      std::lock_guard<std::mutex> io(conn->ioMu);
      conn->ws->sendFrame(hello->data(), static_cast<int>(hello->size()), WebSocket::FRAME_TEXT);
    } catch (const Poco::Exception& e) {
      markDead(conn.get(), networkErrorStatus(e, ep, "handshake with"));
      return networkErrorStatus(e, ep, "handshake with");
    }
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_until(lock, connectDeadline,
                   [&] { return conn->handshakeDone || conn->handshakeFailed || conn->dead; });
    if (!conn->handshakeDone) {
      lock.unlock();
      Status st = absl::UnavailableError("TrueNAS " + ep.display() +
                                         " did not accept the legacy protocol handshake");
      markDead(conn.get(), st);
      return st;
    }
  }
  Status auth = authenticate(conn, *key, connectDeadline);
  if (!auth.ok()) {
    markDead(conn.get(), auth);
    return auth;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    current_ = conn;
    ++generation_;
    everConnected_ = true;
  }
  TNAS_LOG(Info)
          .kv("endpoint", ep.display())
          .kv("protocol", proto == WireProtocol::kJsonRpc ? "jsonrpc" : "legacy")
      << "connected and authenticated to TrueNAS";
  return absl::OkStatus();
}

Status WsConnection::authenticate(const std::shared_ptr<Conn>& conn, const std::string& key,
                                  Deadline deadline) {
  // The key is only ever placed in this params array; it is never logged.
  if (conn->protocol == WireProtocol::kJsonRpc && !options_.username.empty()) {
    Poco::JSON::Object::Ptr req = new Poco::JSON::Object();
    req->set("mechanism", "API_KEY_PLAIN");
    req->set("username", options_.username);
    req->set("api_key", key);
    Poco::JSON::Object::Ptr loginOptions = new Poco::JSON::Object();
    loginOptions->set("user_info", false);
    req->set("login_options", loginOptions);
    TNAS_ASSIGN_OR_RETURN(json::Var result,
                          rawCall(conn, "auth.login_ex", json::makeArray({req}), deadline));
    const std::string type = json::getString(json::asObject(result), "response_type");
    if (type == "SUCCESS") {
      authGuard_->recordSuccess();
      return absl::OkStatus();
    }
    if (type == "REDIRECT") {
      return absl::UnavailableError(
          "TrueNAS answered REDIRECT (HA standby); point the URL at "
          "the active controller");
    }
    std::string reason =
        type == "EXPIRED"
            ? "TrueNAS reports the API key as expired or revoked (EXPIRED) for user " +
                  options_.username + "; create a new key"
        : type == "OTP_REQUIRED"
            ? "TrueNAS requires a one-time password for user " + options_.username +
                  "; API keys for the CSI driver must not need OTP"
            : "TrueNAS rejected the API key for user " + options_.username + " (" +
                  (type.empty() ? std::string("no response_type") : type) + ")";
    authGuard_->recordRejected(key, reason);
    return absl::PermissionDeniedError(reason);
  }
  TNAS_ASSIGN_OR_RETURN(json::Var result,
                        rawCall(conn, "auth.login_with_api_key", json::makeArray({key}), deadline));
  bool ok = false;
  try {
    ok = result.isBoolean() && result.extract<bool>();
  } catch (const std::exception&) {
    ok = false;
  }
  if (ok) {
    authGuard_->recordSuccess();
    return absl::OkStatus();
  }
  const std::string reason =
      "TrueNAS rejected the API key (auth.login_with_api_key returned false): it is wrong, "
      "expired or revoked";
  authGuard_->recordRejected(key, reason);
  return absl::PermissionDeniedError(reason);
}

StatusOr<json::Var> WsConnection::exchange(const std::shared_ptr<Conn>& conn, const std::string& id,
                                           const std::string& frame, const std::string& what,
                                           Deadline deadline) {
  auto pending = std::make_shared<Pending>();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (conn->dead) return absl::UnavailableError("TrueNAS connection lost before " + what);
    conn->pending[id] = pending;
  }
  Status sendStatus = absl::OkStatus();
  try {
    std::lock_guard<std::mutex> io(conn->ioMu);
    if (conn->dead) {
      sendStatus = absl::UnavailableError("TrueNAS connection lost before " + what);
    } else {
      const int sent =
          conn->ws->sendFrame(frame.data(), static_cast<int>(frame.size()), WebSocket::FRAME_TEXT);
      if (sent < static_cast<int>(frame.size())) {
        sendStatus = absl::UnavailableError("short write to TrueNAS during " + what);
      }
    }
  } catch (const Poco::Exception& e) {
    sendStatus = absl::UnavailableError("sending " + what + " to TrueNAS: " + e.displayText());
  }
  if (!sendStatus.ok()) {
    markDead(conn.get(), sendStatus);
    std::lock_guard<std::mutex> lock(mu_);
    conn->pending.erase(id);
    return sendStatus;
  }
  std::unique_lock<std::mutex> lock(mu_);
  pending->cv.wait_until(lock, deadline, [&] { return pending->done; });
  if (!pending->done) {
    conn->pending.erase(id);
    return absl::DeadlineExceededError("TrueNAS " + what +
                                       " did not answer before the deadline (it may still run)");
  }
  return std::move(pending->result);
}

StatusOr<json::Var> WsConnection::rawCall(const std::shared_ptr<Conn>& conn,
                                          const std::string& method, const json::ArrayPtr& params,
                                          Deadline deadline) {
  const std::string id = nextId();
  StatusOr<json::Var> result =
      exchange(conn, id, conn->codec->encodeCall(id, method, params), method, deadline);
  if (!result.ok()) return common::annotate(result.status(), "TrueNAS " + method);
  return result;
}

Status WsConnection::ping(const std::shared_ptr<Conn>& conn) {
  const Deadline deadline = clock_.now() + options_.pingTimeout;
  if (conn->protocol == WireProtocol::kJsonRpc) {
    return rawCall(conn, "core.ping", json::makeArray(), deadline).status();
  }
  const std::string id = "ping-" + nextId();
  const std::string frame = LegacyCodec().encodePing(id);
  return exchange(conn, id, frame, "ping", deadline).status();
}

}  // namespace tnascsi::controller::truenas

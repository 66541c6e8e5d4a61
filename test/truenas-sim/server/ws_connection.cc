// WsConnection; see ws_connection.h.
#include "test/truenas-sim/server/ws_connection.h"

#include <Poco/Buffer.h>
#include <Poco/Exception.h>
#include <Poco/Net/NetException.h>

#include <random>
#include <thread>

#include "common/log/log.h"
#include "test/truenas-sim/model/api_error.h"
#include "test/truenas-sim/protocol/wire.h"

namespace tnascsi::sim {
namespace {

constexpr size_t kAnonMax = 8192;
constexpr size_t kAuthMax = 65536;
constexpr int kRunning = 10;
constexpr int kMaxCalls = 20;

std::string newSessionId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[40];
  uint64_t a = rng(), b = rng();
  std::snprintf(buf, sizeof(buf), "%08x-%04x-4%03x-8%03x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>(a & 0xffff), static_cast<unsigned>((a >> 16) & 0xfff),
                static_cast<unsigned>(b & 0xfff),
                static_cast<unsigned long long>(b >> 16) & 0xffffffffffffULL);
  return buf;
}

}  // namespace

WsConnection::WsConnection(Poco::Net::WebSocket& ws, Wire wire, std::string remoteIp, bool secure,
                           Dispatcher& dispatcher, const std::atomic<bool>& stopping,
                           ConnectionStats& stats)
    : ws_(ws),
      wire_(wire),
      dispatcher_(dispatcher),
      stopping_(stopping),
      stats_(stats),
      dropEpoch_(stats.dropEpoch.load()),
      shared_(std::make_shared<Shared>()) {
  ++stats_.accepted;
  shared_->ws = &ws_;
  std::weak_ptr<Shared> weak = shared_;
  const Wire w = wire_;
  session_ = std::make_shared<Session>(
      wire, std::move(remoteIp), secure,
      [weak, w](const std::string& collection, const std::string& msg, const Json& id,
                const Json& fields) {
        if (auto s = weak.lock()) {
          send(s, w == Wire::kJsonRpc ? jsonRpcEvent(collection, msg, id, fields)
                                      : legacyEvent(collection, msg, id, fields));
        }
      });
  dispatcher_.addSession(session_);
}

void WsConnection::send(const std::shared_ptr<Shared>& shared, const Json& message) {
  std::lock_guard<std::mutex> lock(shared->sendMu);
  if (!shared->ws) return;
  const std::string text = message.dump();
  try {
    shared->ws->sendFrame(text.data(), static_cast<int>(text.size()),
                          Poco::Net::WebSocket::FRAME_TEXT);
  } catch (const Poco::Exception& e) {
    TNAS_LOG(Debug) << "send failed: " << e.displayText();
  }
}

void WsConnection::closeWith(int code, const std::string& reason) {
  std::lock_guard<std::mutex> lock(shared_->sendMu);
  try {
    ws_.shutdown(static_cast<Poco::UInt16>(code), reason);
  } catch (const Poco::Exception&) {
  }
  closed_ = true;
}

void WsConnection::run() {
  ws_.setMaxPayloadSize(4 * 1024 * 1024);
  ws_.setReceiveTimeout(Poco::Timespan(0, 200000));
  std::string message;
  auto dropped = [&] { return shared_->dropped || stats_.dropEpoch.load() != dropEpoch_; };
  while (!closed_ && !stopping_ && !dropped()) {
    Poco::Buffer<char> buf(0);
    int flags = 0;
    int n = 0;
    try {
      n = ws_.receiveFrame(buf, flags);
    } catch (const Poco::TimeoutException&) {
      continue;
    } catch (const Poco::Net::WebSocketException& e) {
      if (e.code() == Poco::Net::WebSocket::WS_ERR_PAYLOAD_TOO_BIG) {
        closeWith(1009, "Max message length is 64 kB");
      }
      break;
    } catch (const Poco::Exception&) {
      break;
    }
    if (n == 0 && flags == 0) break;
    const int op = flags & Poco::Net::WebSocket::FRAME_OP_BITMASK;
    if (op == Poco::Net::WebSocket::FRAME_OP_CLOSE) {
      closeWith(1000, "");
      break;
    }
    if (op == Poco::Net::WebSocket::FRAME_OP_PING) {
      std::lock_guard<std::mutex> lock(shared_->sendMu);
      try {
        ws_.sendFrame(buf.begin(), static_cast<int>(buf.size()),
                      static_cast<int>(Poco::Net::WebSocket::FRAME_FLAG_FIN) |
                          static_cast<int>(Poco::Net::WebSocket::FRAME_OP_PONG));
      } catch (const Poco::Exception&) {
      }
      continue;
    }
    if (op == Poco::Net::WebSocket::FRAME_OP_PONG) continue;
    if (op == Poco::Net::WebSocket::FRAME_OP_BINARY) {
      closeWith(1003, "Binary messages are not supported");
      break;
    }
    message.append(buf.begin(), buf.size());
    const bool authed = session_->authenticated;
    if (!authed && message.size() > kAnonMax) {
      closeWith(1007, "Anonymous connection max message length is 8 kB");
      break;
    }
    if (message.size() > kAuthMax) {
      closeWith(1009, "Max message length is 64 kB");
      break;
    }
    if (!(flags & Poco::Net::WebSocket::FRAME_FLAG_FIN)) continue;
    handleMessage(message);
    message.clear();
  }
  if (dropped()) {
    // No close frame: the socket just goes, and running calls lose their answers.
    std::lock_guard<std::mutex> lock(shared_->sendMu);
    try {
      ws_.close();
    } catch (const Poco::Exception&) {
    }
    shared_->ws = nullptr;
  }
  // Wait for the calls still running, then detach the socket from late senders.
  {
    std::unique_lock<std::mutex> lock(shared_->callsMu);
    shared_->callsCv.wait(lock, [&] { return shared_->inflight == 0; });
  }
  std::lock_guard<std::mutex> lock(shared_->sendMu);
  shared_->ws = nullptr;
}

void WsConnection::handleMessage(const std::string& text) {
  auto parsed = Json::parse(text);
  if (wire_ == Wire::kJsonRpc) {
    if (!parsed.ok()) {
      send(shared_, jsonRpcProtocolError(nullptr, -32700, "Parse error"));
      return;
    }
    handleJsonRpc(*parsed);
    return;
  }
  if (!parsed.ok() || !parsed->isObject()) {
    closeWith(1002, "Invalid message");
    return;
  }
  handleLegacy(*parsed);
}

void WsConnection::handleJsonRpc(const Json& msg) {
  if (msg.isArray()) {
    send(shared_,
         jsonRpcProtocolError(nullptr, -32600, "Batch messages are not supported at this time"));
    return;
  }
  const Json id = msg.value("id");
  if (!msg.isObject() || msg.value("jsonrpc").asString() != "2.0" ||
      !msg.value("method").isString() || (!id.isNull() && !id.isInt() && !id.isString())) {
    send(shared_, jsonRpcProtocolError(id, -32600, "Invalid Request"));
    return;
  }
  Json params = msg.value("params", Json::array());
  if (!params.isArray()) {
    send(shared_, jsonRpcProtocolError(id, -32602, "Invalid params"));
    return;
  }
  startCall(msg.value("method").asString(), params, id, msg.contains("id"));
}

void WsConnection::handleLegacy(const Json& msg) {
  const std::string kind = msg.value("msg").asString();
  if (!legacyConnected_) {
    if (kind == "connect" && msg.value("version").asString() == "1") {
      legacyConnected_ = true;
      Json reply = Json::object();
      reply.set("msg", "connected");
      reply.set("session", newSessionId());
      send(shared_, reply);
    } else {
      Json reply = Json::object();
      reply.set("msg", "failed");
      reply.set("version", "1");
      send(shared_, reply);
    }
    return;
  }
  if (kind == "ping") {
    // The middleware answers legacy pings in its event loop, in the same handler as calls
    // (ref:TS-24.10.2.4:src/middlewared/middlewared/main.py:417-421, TN-13.0-U6.8 main.py:333), so
    // a frozen middleware (the pause fault) leaves them unanswered too.
    dispatcher_.waitWhilePaused();
    ++stats_.legacyPings;
    Json reply = Json::object();
    reply.set("msg", "pong");
    if (msg.contains("id")) reply.set("id", msg.value("id"));
    send(shared_, reply);
  } else if (kind == "method") {
    startCall(msg.value("method").asString(), msg.value("params", Json::array()), msg.value("id"),
              true);
  } else if (kind == "sub") {
    const std::string id = msg.value("id").asString();
    {
      std::lock_guard<std::mutex> lock(session_->mu);
      session_->subscriptions[id] = msg.value("name").asString();
    }
    Json reply = Json::object();
    reply.set("msg", "ready");
    Json subs = Json::array();
    subs.push(id);
    reply.set("subs", std::move(subs));
    send(shared_, reply);
  } else if (kind == "unsub") {
    std::lock_guard<std::mutex> lock(session_->mu);
    session_->subscriptions.erase(msg.value("id").asString());
  }
}

void WsConnection::startCall(const std::string& method, const Json& params, const Json& id,
                             bool respond) {
  const Wire wire = wire_;
  {
    std::lock_guard<std::mutex> lock(shared_->callsMu);
    if (shared_->inflight >= kMaxCalls) {
      ++stats_.tooBusy;
      if (respond) {
        send(shared_, wire == Wire::kJsonRpc ? jsonRpcError(id, tooManyCalls())
                                             : legacyError(id, tooManyCalls()));
      }
      return;
    }
    ++shared_->inflight;
  }
  auto shared = shared_;
  auto session = session_;
  Dispatcher& dispatcher = dispatcher_;
  ConnectionStats& stats = stats_;
  std::thread([shared, session, &dispatcher, &stats, method, params, id, respond, wire] {
    {
      std::unique_lock<std::mutex> lock(shared->callsMu);
      shared->callsCv.wait(lock, [&] { return shared->running < kRunning; });
      ++shared->running;
      stats.noteRunning(shared->running);
    }
    bool drop = false;
    StatusOr<Json> result = dispatcher.call(session, method, params, id, &drop);
    {
      // The call leaves the semaphore before its answer is sent (`async with` ends first:
      // TS-24.10.2.4:src/middlewared/middlewared/main.py:209-222,
      // TS-25.04.2.6:src/middlewared/middlewared/api/base/server/ws_handler/rpc.py:320-365), so a
      // client that got the answer may count on the slot being free.
      std::lock_guard<std::mutex> lock(shared->callsMu);
      --shared->running;
      --shared->inflight;
      shared->callsCv.notify_all();
    }
    if (drop) {
      // No reply and no close frame: the reader loop sees the flag and ends the connection.
      shared->dropped = true;
    } else if (respond) {
      if (wire == Wire::kJsonRpc) {
        send(shared, result.ok() ? jsonRpcResult(id, *result) : jsonRpcError(id, result.status()));
      } else {
        send(shared, result.ok() ? legacyResult(id, *result) : legacyError(id, result.status()));
      }
    }
  }).detach();
}

}  // namespace tnascsi::sim

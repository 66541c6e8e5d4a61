// WsConnection's background side: the reader thread (frame reassembly, dispatch of replies to
// waiting callers), connection death (failing in-flight calls), retiring old connections, and the
// keepalive/background-reconnect thread. See ws_connection.h.
#include <Poco/Buffer.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/WebSocket.h>

#include <algorithm>

#include "common/log/log.h"
#include "controller/truenas/ws_connection.h"
#include "controller/truenas/ws_connection_internal.h"

namespace tnascsi::controller::truenas {

using Poco::Net::WebSocket;

void WsConnection::readerLoop(Conn* conn) {
  Poco::Buffer<char> buffer(0);
  std::string message;
  const Poco::Timespan pollInterval(0, 100 * 1000);
  while (!conn->dead) {
    try {
      if (conn->ws->available() <= 0 &&
          !conn->ws->poll(pollInterval, Poco::Net::Socket::SELECT_READ)) {
        continue;
      }
      int flags = 0;
      int n = 0;
      buffer.resize(0);
      {
        std::lock_guard<std::mutex> io(conn->ioMu);
        if (conn->dead) break;
        n = conn->ws->receiveFrame(buffer, flags);
        const int opcode = flags & WebSocket::FRAME_OP_BITMASK;
        if (opcode == WebSocket::FRAME_OP_PING) {
          conn->ws->sendFrame(buffer.begin(), n,
                              static_cast<int>(WebSocket::FRAME_FLAG_FIN) |
                                  static_cast<int>(WebSocket::FRAME_OP_PONG));
          continue;
        }
      }
      const int opcode = flags & WebSocket::FRAME_OP_BITMASK;
      if ((n == 0 && flags == 0) || opcode == WebSocket::FRAME_OP_CLOSE) {
        markDead(conn, absl::UnavailableError("TrueNAS closed the connection"));
        break;
      }
      if (opcode == WebSocket::FRAME_OP_TEXT || opcode == WebSocket::FRAME_OP_CONT) {
        if (message.size() + static_cast<size_t>(n) > options_.maxMessageBytes) {
          markDead(conn, absl::UnavailableError("TrueNAS message exceeds the size limit"));
          break;
        }
        message.append(buffer.begin(), static_cast<size_t>(n));
        if ((flags & WebSocket::FRAME_FLAG_FIN) != 0) {
          dispatch(conn, message);
          message.clear();
        }
      }
    } catch (const Poco::TimeoutException&) {
      continue;  // nothing (complete) arrived; poll again
    } catch (const Poco::Exception& e) {
      markDead(conn, absl::UnavailableError("TrueNAS connection failed: " + e.displayText()));
      break;
    } catch (const std::exception& e) {
      markDead(conn, absl::UnavailableError(std::string("TrueNAS connection failed: ") + e.what()));
      break;
    }
  }
  try {
    std::lock_guard<std::mutex> io(conn->ioMu);
    conn->ws->close();
  } catch (const std::exception&) {
  }
}

void WsConnection::dispatch(Conn* conn, const std::string& text) {
  StatusOr<IncomingMessage> decoded = conn->codec->decode(text);
  if (!decoded.ok()) {
    markDead(conn, absl::UnavailableError("TrueNAS sent an undecodable message: " +
                                          std::string(decoded.status().message())));
    return;
  }
  IncomingMessage& m = *decoded;
  std::lock_guard<std::mutex> lock(mu_);
  switch (m.kind) {
    case IncomingMessage::Kind::kResponse:
    case IncomingMessage::Kind::kPong: {
      auto it = conn->pending.find(m.id);
      if (it == conn->pending.end()) return;  // the caller gave up (deadline)
      std::shared_ptr<Pending> pending = std::move(it->second);
      conn->pending.erase(it);
      pending->done = true;
      if (m.isError) {
        pending->result = m.error;
      } else {
        pending->result = StatusOr<json::Var>(absl::in_place, std::move(m.result));
      }
      pending->cv.notify_one();  // its caller only
      return;
    }
    case IncomingMessage::Kind::kConnected:
      conn->handshakeDone = true;
      break;
    case IncomingMessage::Kind::kFailed:
      conn->handshakeFailed = true;
      break;
    case IncomingMessage::Kind::kNotification:
    case IncomingMessage::Kind::kIgnored:
      return;
  }
  cv_.notify_all();
}

void WsConnection::markDead(Conn* conn, const Status& reason) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (conn->dead.exchange(true)) return;
    conn->deathReason = reason;
    for (auto& [id, pending] : conn->pending) {
      pending->done = true;
      pending->result = absl::UnavailableError(
          "connection to TrueNAS lost while the call was in flight (" +
          std::string(reason.message()) + "); it may or may not have been applied");
      pending->cv.notify_one();
    }
    conn->pending.clear();
  }
  cv_.notify_all();
  TNAS_LOG(Warn) << "TrueNAS connection closed: " << reason.message();
}

void WsConnection::retireConnections() {
  std::vector<std::shared_ptr<Conn>> done;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = std::partition(retired_.begin(), retired_.end(),
                             [](const std::shared_ptr<Conn>& c) { return !c->dead; });
    done.assign(it, retired_.end());
    retired_.erase(it, retired_.end());
    if (current_ && current_->dead) current_.reset();
  }
  for (auto& c : done) {
    if (c->reader.joinable()) c->reader.join();
  }
}

void WsConnection::keepaliveLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, options_.pingInterval, [&] { return stopping_; });
    if (stopping_) break;
    std::shared_ptr<Conn> conn = current_;
    const bool reconnect = options_.backgroundReconnect && everConnected_;
    lock.unlock();
    if (conn && !conn->dead) {
      Status st = ping(conn);
      if (!st.ok()) markDead(conn.get(), common::annotate(st, "keepalive ping failed"));
    } else if (reconnect) {
      (void)ensureConnected(clock_.now() + options_.connectTimeout);
    }
    lock.lock();
  }
}

}  // namespace tnascsi::controller::truenas

// WsConnection: one WebSocket client of the simulator, speaking JSON-RPC 2.0 (/api/current,
// /api/vX) or the legacy protocol (/websocket). It enforces the message size caps (8 KiB before
// login -> close 1007, 64 KiB after -> close 1009), rejects binary frames (1003), and runs calls
// concurrently: 10 at a time, 11-20 queued, the 21st refused (-32000 / ETOOMANYREFS).
// run() blocks until the peer closes, a drop fault fires, SimServer::dropConnections() is called
// or `stopping` becomes true; it returns only after every call it started has finished. A drop
// closes the socket at once: calls still running finish on the server, their answers are lost.
// While the pause fault is on, legacy pings wait too (a frozen middleware answers nothing).
// What the connection did is counted in ConnectionStats.
#pragma once

#include <Poco/Net/WebSocket.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "test/truenas-sim/json/json.h"
#include "test/truenas-sim/protocol/dispatcher.h"
#include "test/truenas-sim/protocol/session.h"
#include "test/truenas-sim/server/connection_stats.h"

namespace tnascsi::sim {

class WsConnection {
 public:
  WsConnection(Poco::Net::WebSocket& ws, Wire wire, std::string remoteIp, bool secure,
               Dispatcher& dispatcher, const std::atomic<bool>& stopping, ConnectionStats& stats);
  void run();

 private:
  struct Shared {
    std::mutex sendMu;
    Poco::Net::WebSocket* ws = nullptr;  // null once the connection is over
    std::mutex callsMu;
    std::condition_variable callsCv;
    int inflight = 0;
    int running = 0;
    std::atomic<bool> dropped{false};
  };

  void handleMessage(const std::string& text);
  void handleJsonRpc(const Json& msg);
  void handleLegacy(const Json& msg);
  void startCall(const std::string& method, const Json& params, const Json& id, bool respond);
  static void send(const std::shared_ptr<Shared>& shared, const Json& message);
  void closeWith(int code, const std::string& reason);

  Poco::Net::WebSocket& ws_;
  Wire wire_;
  Dispatcher& dispatcher_;
  const std::atomic<bool>& stopping_;
  ConnectionStats& stats_;
  const uint64_t dropEpoch_;
  std::shared_ptr<Shared> shared_;
  std::shared_ptr<Session> session_;
  bool legacyConnected_ = false;
  bool closed_ = false;
};

}  // namespace tnascsi::sim

// Private to WsConnection: the state of one WebSocket connection, shared by ws_connection.cc
// (connect, calls) and ws_connection_io.cc (reader thread, keepalive). Not for other users.
#pragma once

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/WebSocket.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "controller/truenas/ws_connection.h"

namespace tnascsi::controller::truenas {

struct WsConnection::Conn {
  WireProtocol protocol = WireProtocol::kJsonRpc;
  std::unique_ptr<WireCodec> codec;
  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  std::unique_ptr<Poco::Net::WebSocket> ws;
  std::mutex ioMu;  // OpenSSL objects are not safe for concurrent read and write
  std::thread reader;
  std::atomic<bool> dead{false};
  // Guarded by WsConnection::mu_.
  std::map<std::string, std::shared_ptr<Pending>> pending;
  bool handshakeDone = false;
  bool handshakeFailed = false;
  Status deathReason;
};

}  // namespace tnascsi::controller::truenas

// Settings of the one persistent connection to a TrueNAS backend (filled from the controller
// config by main). Plain struct.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace tnascsi::controller::truenas {

struct ConnectionOptions {
  // "wss://nas.example.com" (default port 443) or "ws://127.0.0.1:8080"; "https"/"http" are
  // accepted as synonyms. Any path is ignored: the protocol is chosen by probing /api/versions.
  // Plain ws:// is refused for non-loopback hosts because TrueNAS 25.04+ revokes an API key that
  // is sent over an insecure transport.
  std::string url;
  // File holding the API key "<id>-<key>"; re-read on every (re)connect. Never logged.
  std::string apiKeyFile;
  // TrueNAS user owning the key; empty = let TrueNAS find the owner (auth.login_with_api_key).
  std::string username;
  // PEM bundle of CAs to trust instead of the system store; empty = system store.
  std::string caFile;
  // Disables TLS certificate and host name verification (testing only; logged as a warning).
  bool insecureSkipVerify = false;

  std::chrono::milliseconds connectTimeout{10000};
  // Default per-call timeout for callers that do not pass their own deadline.
  std::chrono::milliseconds callTimeout{60000};
  std::chrono::milliseconds pingInterval{30000};
  std::chrono::milliseconds pingTimeout{10000};
  // Authenticated connections the controller may open to this backend (ConnectionPool). A second
  // one opens only while every open one has `poolSpillAt` calls in flight, so an idle controller
  // keeps one. TrueNAS runs 10 calls at once per connection, so one connection caps throughput.
  int poolSize = 4;
  int poolSpillAt = 6;
  // Calls running on the server at once (TrueNAS runs 10 and queues up to 20 per connection).
  int maxRunningCalls = 10;
  // Calls allowed to wait for a running slot; beyond that call() returns ResourceExhausted.
  int maxQueuedCalls = 256;
  // Reconnect backoff after a failed connection attempt: initial, doubling, capped, +-25 % jitter.
  std::chrono::milliseconds backoffInitial{1000};
  std::chrono::milliseconds backoffMax{60000};
  // Authentication attempts allowed per rolling minute (TrueNAS locks out after 20), for all the
  // connections of a pool together.
  int maxAuthAttemptsPerMinute = 5;
  // Largest server message accepted.
  size_t maxMessageBytes = 64u << 20;
  // Reconnect in the background (from the keepalive thread) after the connection drops.
  bool backgroundReconnect = true;
};

}  // namespace tnascsi::controller::truenas

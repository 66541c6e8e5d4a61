// A tiny in-test TrueNAS WebSocket server for transport tests: Poco HTTP(S) server on
// 127.0.0.1:0 speaking JSON-RPC 2.0 (/api/current, /api/versions -> 200) or the legacy protocol
// (/websocket, /api/versions -> 404). Implements just what the transport needs: auth (login_ex
// and the API-key login), core.ping / legacy ping, system.version, system.product_type,
// and test methods: test.sleep [ms] (returns ms), test.echo [x]. Enforces TrueNAS's per-connection
// limit of 20 concurrent calls (-32000 / ETOOMANYREFS) and counts what happened. Thread-safe.
#pragma once

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPServer.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace tnascsi::controller::truenas::testing {

struct FakeServerConfig {
  bool jsonRpc = true;
  std::string apiKey = "1-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ01";
  std::string username = "csi";  // for login_ex
  std::string version = "TrueNAS-25.04.2";
  std::string productType = "COMMUNITY_EDITION";
  // login_ex answers EXPIRED instead of SUCCESS for the right key.
  bool keyExpired = false;
  // TLS with this certificate/key (PEM files); empty = plain.
  std::string certFile;
  std::string keyFile;
  int hardLimit = 20;
  // Leave core.ping / legacy ping unanswered (a hung middleware).
  bool ignorePings = false;
};

class FakeTrueNasServer {
 public:
  explicit FakeTrueNasServer(FakeServerConfig config);
  ~FakeTrueNasServer();

  uint16_t port() const { return port_; }
  std::string url() const;

  // Closes every open WebSocket (in-flight calls get no reply).
  void dropConnections();

  int authAttempts() const;
  int connections() const;
  int maxConcurrent() const;
  int tooBusyReplies() const;
  int pings() const;

  // Internal, used by the connection handler.
  struct Shared;

 private:
  std::shared_ptr<Shared> shared_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  uint16_t port_ = 0;
};

}  // namespace tnascsi::controller::truenas::testing

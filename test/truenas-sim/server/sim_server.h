// SimServer: the simulator as an object. It owns the model, dispatcher, call log and faults, and
// serves them over Poco HTTP(S): JSON-RPC WebSockets (/api/current, /api/vX; 25.x only), the
// legacy /websocket, GET /api/versions, REST /api/v2.0, and the test control plane /_sim/*.
// State is loaded from and written to `statePath` (atomic replace after every mutation).
//
// Typical in-process use:
//   SimOptions o; o.personality = "25.04"; o.apiKey = "1-abc…"; o.pools = {{"tank", 100 << 30}};
//   auto server = SimServer::create(o);  ...  auto port = (*server)->start();
// Thread-safety: start()/stop() from one thread; the accessors are safe from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/base/clock.h"
#include "common/base/status.h"
#include "test/truenas-sim/backing/backing.h"
#include "test/truenas-sim/model/model.h"
#include "test/truenas-sim/protocol/dispatcher.h"
#include "test/truenas-sim/server/call_log.h"
#include "test/truenas-sim/server/connection_stats.h"
#include "test/truenas-sim/server/faults.h"
#include "test/truenas-sim/server/state_writer.h"

namespace Poco::Net {
class HTTPServer;
}

namespace tnascsi::sim {

struct SimOptions {
  std::string personality = "25.04";
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string apiKey;  // "<id>-<64 alnum>"
  std::string apiKeyUser = "root";
  std::string statePath;                               // empty: not persisted
  std::vector<std::pair<std::string, int64_t>> pools;  // added when absent
  std::vector<std::string> draidPools;  // which of `pools` have a dRAID data vdev (not on 13.0)
  std::string tlsCert, tlsKey;          // PEM files
  bool tlsSelfSigned = false;
  bool treatLoopbackInsecure = false;
  int rateLimitDelayMsMin = 0;
  int rateLimitDelayMsMax = 0;
  int authFailDelayMs = 0;
  std::string backingRoot = "/var/lib/truenas-sim";
  std::vector<std::string> interfaceIps;  // extra portal IPs
  Json faults;                            // initial faults (object or null)
};

class SimServer {
 public:
  // Validates options, loads the state file if present. `backing` defaults to NullBacking.
  static StatusOr<std::unique_ptr<SimServer>> create(SimOptions options,
                                                     std::unique_ptr<Backing> backing = nullptr,
                                                     common::Clock* clock = nullptr);
  ~SimServer();
  SimServer(const SimServer&) = delete;
  SimServer& operator=(const SimServer&) = delete;

  // Binds and starts serving; returns the bound port. FailedPrecondition if already started.
  StatusOr<uint16_t> start();
  // Stops accepting, ends connections (within ~200 ms) and waits for running calls and jobs.
  // Idempotent; also needed for a server that was never started (in-process use). The server
  // cannot be started again.
  void stop();

  uint16_t port() const { return port_; }
  bool tls() const { return tls_; }
  // "ws://127.0.0.1:PORT" or "wss://…"; append /api/current or /websocket.
  std::string wsUrl() const;
  std::string httpUrl() const;

  Model& model() { return *model_; }
  CallLog& calls() { return calls_; }
  Faults& faults() { return faults_; }
  Dispatcher& dispatcher() { return *dispatcher_; }
  ConnectionStats& connectionStats() { return stats_; }
  // Ends every open WebSocket connection at once, without a close frame (their running calls
  // finish, the answers are lost). Connections made afterwards are not affected.
  void dropConnections() { ++stats_.dropEpoch; }
  const SimOptions& options() const { return options_; }

  // Writes the state file now (no-op without statePath).
  Status persist();
  // The state file writer (null without statePath).
  StateWriter* stateWriter() { return stateWriter_.get(); }

 private:
  explicit SimServer(SimOptions options);
  std::string renderState();
  friend class SimRequestHandlerFactory;

  SimOptions options_;
  common::Clock* clock_;
  std::unique_ptr<Backing> backing_;
  std::unique_ptr<Model> model_;
  CallLog calls_;
  Faults faults_;
  ConnectionStats stats_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<Poco::Net::HTTPServer> http_;
  std::atomic<bool> stopping_{false};
  std::unique_ptr<StateWriter> stateWriter_;
  uint16_t port_ = 0;
  bool tls_ = false;
  std::string tlsDir_;  // temp dir holding a generated self-signed pair
};

// Generates a self-signed EC P-256 certificate for `host` into dir/cert.pem and dir/key.pem.
Status generateSelfSignedCert(const std::string& dir, const std::string& host);

}  // namespace tnascsi::sim

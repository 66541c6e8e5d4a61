// SimBackend: one in-process TrueNAS simulator (test/truenas-sim) with a pool `tank`, a parent
// dataset and a wildcard iSCSI portal made the way an administrator would, plus a real
// TrueNasClient connected to it, for the controller suites: the one model of TrueNAS the
// controller's tests run against. The client reaches the simulator either over a real loopback
// WebSocket (Link::kWebSocket: WsConnection, the production path) or in process
// (Link::kInProcess: SimRpcTransport, the same wire encoding without a socket; faster, and the
// network can be cut with setReachable(false)). It also reads the simulator's side: the call log
// (domain methods only) and the model's objects, to count calls per operation and to prove
// nothing was left behind.
//
// Each test should make its own SimBackend (fresh state, nothing shared between tests). Not
// thread-safe itself, except api() (TrueNasApi's contract) and the read-only inspections, which
// may run while calls are in flight.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "controller/truenas/connection_pool.h"
#include "controller/truenas/truenas_client.h"
#include "test/support/truenas/sim_rpc_transport.h"
#include "test/truenas-sim/server/sim_server.h"

namespace tnascsi::testing {

class SimBackend {
 public:
  // The one API key the simulator accepts (owned by root).
  static constexpr const char* kApiKey =
      "1-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ01";
  enum class Link { kWebSocket, kInProcess };
  struct Options {
    std::string personality = "25.04";
    Link link = Link::kWebSocket;
    std::string parent = "tank/k8s";
    int64_t poolBytes = int64_t{1} << 40;
    bool draid = false;  // the pool's data vdev is dRAID (SCALE personalities only)
    // The controller's connections to the simulator (ConnectionPool size; 1 keeps call counts
    // deterministic).
    int connections = 1;
  };
  // Starts the simulator and connects the client; throws std::runtime_error on failure.
  explicit SimBackend(Options options);
  ~SimBackend();

  controller::truenas::TrueNasApi& api() { return *client_; }
  const controller::truenas::ConnectionPool& connections() const { return *connection_; }
  sim::SimServer& server() { return *server_; }
  const std::string& parent() const { return options_.parent; }
  // The file holding kApiKey (for clients a test connects itself).
  std::string apiKeyFile() const { return dir_ + "/key"; }

  // Replaces the client and its connection (a restarted controller process connects anew).
  void reconnect();
  // Cuts (false) or restores (true) the network to the simulator: calls in flight lose their
  // answers and new connections fail Unavailable until it is restored. Link::kInProcess only
  // (std::logic_error otherwise).
  void setReachable(bool reachable);

  // Domain calls (everything but auth.* and core.*) since the last resetCalls(), per method and
  // in total.
  std::map<std::string, int64_t> callsByMethod() const;
  int64_t domainCalls() const;
  void resetCalls();

  // Runs a domain method on the model directly (setup; not counted, no faults). Throws on error.
  sim::Json call(const std::string& method, const sim::Json& params);

  // The number of objects of a model table ("datasets", "snapshots", "initiators", "auths",
  // "targets", "extents", "targetextents", "nfs_shares"); "datasets" counts only datasets below
  // the parent.
  size_t count(const std::string& table) const;
  // "" when no dataset below the parent, snapshot, initiator group, CHAP entry, target, extent,
  // mapping or NFS share exists apart from the `keep*` ones; else a description of what is left.
  std::string leftovers(size_t keepInitiators = 0, size_t keepAuths = 0) const;
  // The model's records of a table.
  std::vector<sim::Json> records(const std::string& table) const;
  // The record of `table` whose `key` is `value` (null Json when none).
  sim::Json find(const std::string& table, const std::string& key, const sim::Json& value) const;
  // Whether initiator `iqn` may log in to the target named `targetName`: one of the target's
  // groups has an initiator group whose list names it or is empty (TrueNAS admits every
  // initiator then). False when the target does not exist.
  bool admits(const std::string& targetName, const std::string& iqn) const;

 private:
  void connect();

  Options options_;
  std::string dir_;
  std::unique_ptr<sim::SimServer> server_;
  SimRpcTransport::Link link_;
  std::unique_ptr<controller::truenas::ConnectionPool> connection_;
  std::unique_ptr<controller::truenas::TrueNasClient> client_;
};

}  // namespace tnascsi::testing

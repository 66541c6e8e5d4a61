// ConnectionStats: what the simulator's WebSocket connections did, for tests of a client's
// transport: connections accepted, the most calls one connection had running at once, calls
// refused by the per-connection limit, legacy pings answered; and a drop epoch through which
// SimServer::dropConnections() ends every open connection at once (as a restarted middleware or a
// cut network does). Thread-safe (atomics).
#pragma once

#include <atomic>
#include <cstdint>

namespace tnascsi::sim {

struct ConnectionStats {
  std::atomic<int> accepted{0};
  std::atomic<int> maxRunning{0};
  std::atomic<int> tooBusy{0};
  std::atomic<int> legacyPings{0};
  std::atomic<uint64_t> dropEpoch{0};

  void noteRunning(int running) {
    int seen = maxRunning.load();
    while (running > seen && !maxRunning.compare_exchange_weak(seen, running)) {
    }
  }
};

}  // namespace tnascsi::sim

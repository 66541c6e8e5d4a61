// ConnectionPool: see connection_pool.h. Facts relied on (truenas/middleware source):
//  - 10 calls run at once per connection, 11-20 queue, the 21st fails: one semaphore per
//    connection object (ref: TS-25.04.2.6:src/middlewared/middlewared/api/base/server/ws_handler/
//    rpc.py:46, TS-24.10.2.4:src/middlewared/middlewared/main.py:122).
//  - A job may be read from any session of the same user: core.get_jobs lists the jobs a
//    credential can access (ref: TS-25.04.2.6:src/middlewared/middlewared/service/
//    core_service.py:166), and a non-admin session can access a job whose owner has the same
//    username (ref: TS-25.04.2.6:src/middlewared/middlewared/job.py:355).
#include "controller/truenas/connection_pool.h"

#include <algorithm>
#include <chrono>

namespace tnascsi::controller::truenas {
namespace {

// How long a connection whose call failed with Unavailable is passed over.
constexpr int64_t kUnhealthyMs = 1000;

}  // namespace

ConnectionPool::ConnectionPool(const ConnectionOptions& options, common::Clock& clock,
                               Factory factory)
    : ConnectionPool(options.poolSize, options.poolSpillAt, loginBudget(options), clock,
                     std::move(factory)) {}

int ConnectionPool::loginBudget(const ConnectionOptions& options) {
  return std::min(16, std::max(options.maxAuthAttemptsPerMinute, 2 * options.poolSize));
}

ConnectionPool::ConnectionPool(int size, int spillAt, int maxAuthAttemptsPerMinute,
                               common::Clock& clock, Factory factory)
    : size_(std::max(1, size)),
      spillAt_(std::max(1, spillAt)),
      clock_(clock),
      factory_(std::move(factory)),
      guard_(clock, maxAuthAttemptsPerMinute),
      slots_(std::make_unique<Slot[]>(static_cast<size_t>(size_))) {}

ConnectionPool::~ConnectionPool() {
  // Close connections before the guard they share goes away.
  for (int i = 0; i < size_; ++i) slots_[i].transport.reset();
}

int64_t ConnectionPool::nowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch())
      .count();
}

ConnectionPool::Slot& ConnectionPool::acquire() {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = nowMs();
  const int opened = opened_.load();
  int best = -1;      // least loaded healthy slot
  int fallback = -1;  // least loaded slot of all (when none is healthy)
  for (int i = 0; i < opened; ++i) {
    const int load = slots_[i].inFlight.load();
    if (fallback < 0 || load < slots_[fallback].inFlight.load()) fallback = i;
    if (slots_[i].unhealthyUntilMs.load() > now) continue;
    if (best < 0 || load < slots_[best].inFlight.load()) best = i;
  }
  // Open another connection for load only: while the open ones are merely unhealthy (TrueNAS down
  // or restarting), a new connection would fail the same way and cost logins.
  const bool needMore = opened == 0 || (best >= 0 && slots_[best].inFlight.load() >= spillAt_);
  if (needMore && opened < size_) {
    slots_[opened].transport = factory_(guard_);
    opened_.store(opened + 1);
    best = opened;
  } else if (best < 0) {
    best = fallback;
  }
  Slot& slot = slots_[best];
  slot.inFlight.fetch_add(1);
  return slot;
}

StatusOr<json::Var> ConnectionPool::call(const std::string& method, const json::ArrayPtr& params,
                                         Deadline deadline) {
  Slot& slot = acquire();
  StatusOr<json::Var> result = slot.transport->call(method, params, deadline);
  if (!result.ok() && result.status().code() == StatusCode::kUnavailable) {
    slot.unhealthyUntilMs.store(nowMs() + kUnhealthyMs);
  } else {
    slot.unhealthyUntilMs.store(0);
  }
  slot.inFlight.fetch_sub(1);
  return result;
}

StatusOr<WireProtocol> ConnectionPool::protocol(Deadline deadline) {
  RpcTransport* first = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (opened_.load() == 0) {
      slots_[0].transport = factory_(guard_);
      opened_.store(1);
    }
    first = slots_[0].transport.get();
  }
  return first->protocol(deadline);
}

uint64_t ConnectionPool::connectionGeneration() const {
  std::lock_guard<std::mutex> lock(mu_);
  // A connection's first login is not news (the pool merely grew); every later one may follow a
  // TrueNAS restart or upgrade, so it counts.
  uint64_t reconnects = 0;
  bool any = false;
  for (int i = 0; i < opened_.load(); ++i) {
    const uint64_t g = slots_[i].transport->connectionGeneration();
    any = any || g > 0;
    if (g > 1) reconnects += g - 1;
  }
  return any ? 1 + reconnects : 0;
}

bool ConnectionPool::connected() const {
  std::lock_guard<std::mutex> lock(mu_);
  for (int i = 0; i < opened_.load(); ++i) {
    if (slots_[i].transport->connected()) return true;
  }
  return false;
}

int ConnectionPool::openConnections() const {
  return opened_.load();
}

}  // namespace tnascsi::controller::truenas

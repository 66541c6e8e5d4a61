// ConnectionPool: lazy opening by load, least-loaded choice, unhealthy connections passed over,
// one shared login budget, generation summed over the open connections.
#include "controller/truenas/connection_pool.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <thread>
#include <vector>

#include "test/fakes/agent/kernel/manual_clock.h"

namespace tnascsi::controller::truenas {
namespace {

// A transport whose calls block while `hold` is set; it records how many calls it took and can
// be told to fail with Unavailable.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool hold = false;
  int waiting = 0;
};

class HeldTransport final : public RpcTransport {
 public:
  HeldTransport(Gate& gate, AuthGuard& guard) : gate_(gate), guard_(guard) {}
  StatusOr<json::Var> call(const std::string& /*method*/, const json::ArrayPtr& /*params*/,
                           Deadline /*deadline*/) override {
    ++calls;
    if (!guard_.beginAttempt("key").ok()) return absl::UnavailableError("login budget");
    std::unique_lock<std::mutex> lock(gate_.mu);
    ++gate_.waiting;
    gate_.cv.notify_all();
    gate_.cv.wait(lock, [&] { return !gate_.hold; });
    --gate_.waiting;
    if (failing) return absl::UnavailableError("connection lost");
    return json::Var(1);
  }
  StatusOr<WireProtocol> protocol(Deadline /*deadline*/) override { return WireProtocol::kJsonRpc; }
  uint64_t connectionGeneration() const override { return generation; }
  bool connected() const override { return !failing; }

  std::atomic<int> calls{0};
  std::atomic<bool> failing{false};
  uint64_t generation = 1;

 private:
  Gate& gate_;
  AuthGuard& guard_;
};

class ConnectionPoolTest : public ::testing::Test {
 protected:
  ConnectionPool makePool(int size, int spillAt, int logins = 1000) {
    return ConnectionPool(size, spillAt, logins, clock_, [this](AuthGuard& guard) {
      auto t = std::make_unique<HeldTransport>(gate_, guard);
      made_.push_back(t.get());
      return t;
    });
  }
  void startHeldCalls(ConnectionPool& pool, int n) {
    {
      std::lock_guard<std::mutex> lock(gate_.mu);
      gate_.hold = true;
    }
    const int before = gate_.waiting;
    for (int i = 0; i < n; ++i) {
      threads_.emplace_back(
          [&pool] { (void)pool.call("m", json::makeArray(), RpcTransport::Deadline::max()); });
      // One at a time, so that each choice sees the previous call in flight.
      std::unique_lock<std::mutex> lock(gate_.mu);
      gate_.cv.wait(lock, [&] { return gate_.waiting == before + i + 1; });
    }
  }
  void release() {
    {
      std::lock_guard<std::mutex> lock(gate_.mu);
      gate_.hold = false;
    }
    gate_.cv.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  agent::fakes::ManualClock clock_;
  Gate gate_;
  std::vector<HeldTransport*> made_;
  std::vector<std::thread> threads_;
};

TEST_F(ConnectionPoolTest, AnIdleControllerKeepsOneConnection) {
  auto pool = makePool(4, 3);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(pool.call("m", json::makeArray(), RpcTransport::Deadline::max()).ok());
  }
  EXPECT_EQ(pool.openConnections(), 1);
  EXPECT_EQ(made_[0]->calls.load(), 20);
}

TEST_F(ConnectionPoolTest, OpensTheNextConnectionOnlyWhenTheOpenOnesAreBusy) {
  auto pool = makePool(3, 2);
  startHeldCalls(pool, 2);
  EXPECT_EQ(pool.openConnections(), 1);  // 2 in flight on the first, below... at the threshold
  startHeldCalls(pool, 1);
  EXPECT_EQ(pool.openConnections(), 2);
  startHeldCalls(pool, 1);  // second has 1 < 2: stays there
  EXPECT_EQ(pool.openConnections(), 2);
  startHeldCalls(pool, 4);  // both at 2 -> third opens, then spread
  EXPECT_EQ(pool.openConnections(), 3);
  startHeldCalls(pool, 3);  // never more than the size
  EXPECT_EQ(pool.openConnections(), 3);
  release();
  int total = 0;
  for (auto* t : made_) total += t->calls.load();
  EXPECT_EQ(total, 11);
  // Least loaded choice keeps the spread even: 11 calls over 3 connections.
  for (auto* t : made_) EXPECT_GE(t->calls.load(), 3);
}

TEST_F(ConnectionPoolTest, AnUnhealthyConnectionIsPassedOverForASecond) {
  auto pool = makePool(2, 1);
  startHeldCalls(pool, 2);  // opens both
  release();
  ASSERT_EQ(pool.openConnections(), 2);
  made_[0]->failing = true;
  // The first call goes to the first connection (least loaded, first) and fails.
  EXPECT_EQ(pool.call("m", json::makeArray(), RpcTransport::Deadline::max()).status().code(),
            StatusCode::kUnavailable);
  const int firstCalls = made_[0]->calls.load();
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(pool.call("m", json::makeArray(), RpcTransport::Deadline::max()).ok());
  }
  EXPECT_EQ(made_[0]->calls.load(), firstCalls);
  clock_.advance(std::chrono::milliseconds(1001));
  made_[0]->failing = false;
  EXPECT_TRUE(pool.call("m", json::makeArray(), RpcTransport::Deadline::max()).ok());
  EXPECT_EQ(made_[0]->calls.load(), firstCalls + 1);
}

TEST_F(ConnectionPoolTest, AnOutageOpensNoExtraConnections) {
  auto pool = makePool(4, 1);
  ASSERT_TRUE(pool.call("m", json::makeArray(), RpcTransport::Deadline::max()).ok());
  made_[0]->failing = true;
  for (int i = 0; i < 10; ++i) {
    EXPECT_FALSE(pool.call("m", json::makeArray(), RpcTransport::Deadline::max()).ok());
  }
  EXPECT_EQ(pool.openConnections(), 1);
}

TEST_F(ConnectionPoolTest, TheConnectionsShareOneLoginBudget) {
  auto pool = makePool(4, 1, /*logins=*/5);
  startHeldCalls(pool, 4);  // four connections, four "logins"
  release();
  ASSERT_EQ(pool.openConnections(), 4);
  EXPECT_EQ(pool.authAttempts(), 4);
  // The fifth attempt on any connection is within the budget, the sixth is not.
  EXPECT_TRUE(pool.call("m", json::makeArray(), RpcTransport::Deadline::max()).ok());
  EXPECT_EQ(pool.call("m", json::makeArray(), RpcTransport::Deadline::max()).status().code(),
            StatusCode::kUnavailable);
}

TEST_F(ConnectionPoolTest, GenerationGrowsOnReconnectsNotWhenThePoolGrows) {
  auto pool = makePool(2, 1);
  EXPECT_EQ(pool.connectionGeneration(), 0u);
  ASSERT_TRUE(pool.protocol(RpcTransport::Deadline::max()).ok());
  EXPECT_EQ(pool.connectionGeneration(), 1u);
  startHeldCalls(pool, 2);
  release();
  ASSERT_EQ(pool.openConnections(), 2);
  EXPECT_EQ(pool.connectionGeneration(), 1u);  // the second connection's first login
  made_[1]->generation = 3;                    // it reconnected twice
  EXPECT_EQ(pool.connectionGeneration(), 3u);
  made_[0]->generation = 2;
  EXPECT_EQ(pool.connectionGeneration(), 4u);
}

}  // namespace
}  // namespace tnascsi::controller::truenas

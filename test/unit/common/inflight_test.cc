// Tests for the per-key in-flight guard.
#include "common/base/inflight.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace tnascsi::common {
namespace {

TEST(InFlight, SecondAcquireOfSameKeyIsAborted) {
  InFlight inflight;
  auto first = inflight.tryAcquire("vol-1");
  ASSERT_TRUE(first.ok());
  auto second = inflight.tryAcquire("vol-1");
  EXPECT_EQ(second.status().code(), StatusCode::kAborted);
  EXPECT_TRUE(inflight.tryAcquire("vol-2").ok());
}

TEST(InFlight, TokenReleasesOnDestruction) {
  InFlight inflight;
  {
    auto token = inflight.tryAcquire("vol-1");
    ASSERT_TRUE(token.ok());
  }
  EXPECT_FALSE(inflight.isHeld("vol-1"));
  EXPECT_TRUE(inflight.tryAcquire("vol-1").ok());
}

TEST(InFlight, ExactlyOneWinnerUnderContention) {
  InFlight inflight;
  std::atomic<int> winners{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  std::vector<StatusOr<InFlight::Token>> held;
  std::mutex mu;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      while (!go) {
      }
      auto t = inflight.tryAcquire("same");
      if (t.ok()) {
        ++winners;
        std::lock_guard<std::mutex> lock(mu);
        held.push_back(std::move(t));
      }
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(winners.load(), 1);
}

}  // namespace
}  // namespace tnascsi::common

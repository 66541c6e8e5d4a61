// ManualClock: a common::Clock whose time only moves when a test says so (sleepFor advances it).
// Thread-safe.
#pragma once

#include <mutex>

#include "common/base/clock.h"

namespace tnascsi::agent::fakes {

class ManualClock final : public common::Clock {
 public:
  TimePoint now() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return now_;
  }
  std::chrono::system_clock::time_point wallNow() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return wall_;
  }
  void sleepFor(Duration d) override { advance(d); }
  void advance(Duration d) {
    std::lock_guard<std::mutex> lock(mu_);
    now_ += d;
    wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
  }

 private:
  mutable std::mutex mu_;
  TimePoint now_{std::chrono::hours(1)};
  std::chrono::system_clock::time_point wall_{std::chrono::seconds(1'800'000'000)};
};

}  // namespace tnascsi::agent::fakes

// Clock: the time seam. Code that waits, times out or backs off takes a Clock& so tests can use
// FakeClock (test/fakes/common/fake_clock.h) instead of sleeping. Thread-safe.
#pragma once

#include <chrono>
#include <memory>

namespace tnascsi::common {

class Clock {
 public:
  using Duration = std::chrono::steady_clock::duration;
  using TimePoint = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  // Monotonic time.
  virtual TimePoint now() const = 0;
  // Wall-clock time, for timestamps shown to users (snapshot creation times, logs).
  virtual std::chrono::system_clock::time_point wallNow() const = 0;
  // Blocks the calling thread for `d` (a FakeClock advances instead).
  virtual void sleepFor(Duration d) = 0;
};

// The real clock (std::chrono::steady_clock / system_clock).
class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::steady_clock::now(); }
  std::chrono::system_clock::time_point wallNow() const override {
    return std::chrono::system_clock::now();
  }
  void sleepFor(Duration d) override;
};

// A process-wide SystemClock, for main() wiring.
Clock& systemClock();

}  // namespace tnascsi::common

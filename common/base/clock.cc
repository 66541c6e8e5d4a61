// SystemClock implementation.
#include "common/base/clock.h"

#include <thread>

namespace tnascsi::common {

void SystemClock::sleepFor(Duration d) {
  std::this_thread::sleep_for(d);
}

Clock& systemClock() {
  static SystemClock clock;
  return clock;
}

}  // namespace tnascsi::common

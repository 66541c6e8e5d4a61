// InFlight implementation.
#include "common/base/inflight.h"

namespace tnascsi::common {

StatusOr<InFlight::Token> InFlight::tryAcquire(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!keys_.insert(key).second) {
    return absl::AbortedError("an operation on " + key +
                              " is already in progress; retry when it finishes");
  }
  return Token(this, key);
}

bool InFlight::isHeld(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  return keys_.count(key) != 0;
}

void InFlight::release(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  keys_.erase(key);
}

}  // namespace tnascsi::common

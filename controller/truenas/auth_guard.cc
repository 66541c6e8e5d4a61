// Authentication rate limit and permanent-rejection latch (see auth_guard.h).
#include "controller/truenas/auth_guard.h"

#include <functional>

namespace tnascsi::controller::truenas {

AuthGuard::AuthGuard(common::Clock& clock, int maxPerMinute)
    : clock_(clock), maxPerMinute_(maxPerMinute < 1 ? 1 : maxPerMinute) {}

size_t AuthGuard::digest(const std::string& key) {
  // Salted so that the stored number is not a plain hash of the key.
  return std::hash<std::string>{}("tnascsi-auth-guard:" + key);
}

Status AuthGuard::beginAttempt(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  if (rejected_ && digest(key) == rejectedDigest_) {
    return absl::PermissionDeniedError(rejectedReason_ +
                                       " (not retrying until the API key file changes)");
  }
  const auto now = clock_.now();
  const auto window = std::chrono::seconds(60);
  while (!attempts_.empty() && now - attempts_.front() >= window) attempts_.pop_front();
  if (static_cast<int>(attempts_.size()) >= maxPerMinute_) {
    const auto wait =
        std::chrono::duration_cast<std::chrono::seconds>(window - (now - attempts_.front()));
    return absl::UnavailableError("TrueNAS authentication attempts are rate-limited to " +
                                  std::to_string(maxPerMinute_) + " per minute; next attempt in " +
                                  std::to_string(wait.count() + 1) + "s");
  }
  attempts_.push_back(now);
  ++attemptsMade_;
  return absl::OkStatus();
}

void AuthGuard::recordRejected(const std::string& key, const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  rejected_ = true;
  rejectedDigest_ = digest(key);
  rejectedReason_ = reason;
}

void AuthGuard::recordSuccess() {
  std::lock_guard<std::mutex> lock(mu_);
  rejected_ = false;
  rejectedReason_.clear();
}

int AuthGuard::attemptsMade() const {
  std::lock_guard<std::mutex> lock(mu_);
  return attemptsMade_;
}

}  // namespace tnascsi::controller::truenas

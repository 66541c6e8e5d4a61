// AuthGuard: protects the TrueNAS account from lockout. TrueNAS locks an address out for 10
// minutes after 20 unauthenticated calls in 60 s, and a rejected/revoked key never starts working
// again, so:
//  - at most `maxPerMinute` authentication attempts are allowed in any rolling 60 s window;
//  - after a permanent rejection of a key, attempts with the same key content are refused
//    locally (PermissionDenied) until the key file changes.
// Only a digest of the key is kept, never the key. Thread-safe.
#pragma once

#include <deque>
#include <mutex>
#include <string>

#include "common/base/clock.h"
#include "common/base/status.h"

namespace tnascsi::controller::truenas {

class AuthGuard {
 public:
  AuthGuard(common::Clock& clock, int maxPerMinute);

  // OK if an attempt with `key` may be made now (and records it as made); PermissionDenied if this
  // key was rejected before; Unavailable if the rate limit is reached (message says when to retry).
  Status beginAttempt(const std::string& key);
  // Records that TrueNAS rejected `key` for good with `reason` (no secret inside).
  void recordRejected(const std::string& key, const std::string& reason);
  // Forgets a rejection (after a successful login).
  void recordSuccess();
  // Attempts made so far (for tests and metrics).
  int attemptsMade() const;

 private:
  static size_t digest(const std::string& key);

  common::Clock& clock_;
  const int maxPerMinute_;
  mutable std::mutex mu_;
  std::deque<common::Clock::TimePoint> attempts_;
  bool rejected_ = false;
  size_t rejectedDigest_ = 0;
  std::string rejectedReason_;
  int attemptsMade_ = 0;
};

}  // namespace tnascsi::controller::truenas

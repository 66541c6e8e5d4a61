// InFlight: a per-key guard that refuses concurrent operations on the same volume (the CSI spec's
// "operation pending for volume" rule). tryAcquire() returns a token that releases the key when
// destroyed, or ABORTED if another call holds it; the CO retries. Thread-safe.
#pragma once

#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "common/base/status.h"

namespace tnascsi::common {

class InFlight {
 public:
  class Token {
   public:
    Token(Token&& other) noexcept : owner_(other.owner_), key_(std::move(other.key_)) {
      other.owner_ = nullptr;
    }
    Token& operator=(Token&&) = delete;
    Token(const Token&) = delete;
    ~Token() {
      if (owner_ != nullptr) owner_->release(key_);
    }

   private:
    friend class InFlight;
    Token(InFlight* owner, std::string key) : owner_(owner), key_(std::move(key)) {}
    InFlight* owner_;
    std::string key_;
  };

  // ABORTED ("an operation on <key> is already in progress") when the key is held.
  StatusOr<Token> tryAcquire(const std::string& key);
  bool isHeld(const std::string& key) const;

 private:
  void release(const std::string& key);
  mutable std::mutex mu_;
  std::set<std::string> keys_;  // guarded by mu_
};

}  // namespace tnascsi::common

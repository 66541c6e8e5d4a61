// Session: the per-connection state the dispatcher needs (wire format, peer address, whether the
// transport counts as secure, authentication, 25.10 legacy_jobs, subscriptions) and a notify
// callback through which the connection delivers server events in its own wire format.
// Thread-safe: fields are atomics or guarded by mu.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "test/truenas-sim/json/json.h"

namespace tnascsi::sim {

enum class Wire { kJsonRpc, kLegacy, kRest };

struct Session {
  // notify(collection, msg "added|changed|removed", id, fields)
  using Notify = std::function<void(const std::string& collection, const std::string& msg,
                                    const Json& id, const Json& fields)>;

  Session(Wire w, std::string ip, bool isSecure, Notify n)
      : wire(w), remoteIp(std::move(ip)), secure(isSecure), notify(std::move(n)) {}

  const Wire wire;
  const std::string remoteIp;
  const bool secure;
  const Notify notify;
  std::atomic<bool> authenticated{false};
  std::atomic<bool> legacyJobs{true};
  std::atomic<bool> privateMethods{false};
  std::atomic<bool> pyExceptions{false};

  std::mutex mu;
  std::map<std::string, std::string> subscriptions;  // subscription id -> event name

  bool subscribedTo(const std::string& event) {
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& [id, name] : subscriptions) {
      if (name == event || name == "*") return true;
    }
    return false;
  }
};

}  // namespace tnascsi::sim

// CallLog: per-method call counts and a total, for tests (GET /_sim/calls). Counts every method
// call the simulator receives over any protocol, before auth and faults; optionally the requests
// themselves (method and params). Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "test/truenas-sim/json/json.h"

namespace tnascsi::sim {

class CallLog {
 public:
  void record(const std::string& method) {
    std::lock_guard<std::mutex> lock(mu_);
    ++counts_[method];
    ++total_;
  }
  // Records the request too when keepRequests(true) (for the contract test; off by default).
  void recordRequest(const std::string& method, const Json& params) {
    std::lock_guard<std::mutex> lock(mu_);
    if (keepRequests_) requests_.emplace_back(method, params);
  }
  void keepRequests(bool on) {
    std::lock_guard<std::mutex> lock(mu_);
    keepRequests_ = on;
  }
  std::vector<std::pair<std::string, Json>> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  int64_t count(const std::string& method) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = counts_.find(method);
    return it == counts_.end() ? 0 : it->second;
  }
  int64_t total() const {
    std::lock_guard<std::mutex> lock(mu_);
    return total_;
  }
  void reset() {
    std::lock_guard<std::mutex> lock(mu_);
    counts_.clear();
    total_ = 0;
  }
  // {"total": N, "methods": {"pool.query": 2, ...}}
  Json toJson() const {
    std::lock_guard<std::mutex> lock(mu_);
    Json methods = Json::object();
    for (const auto& [m, n] : counts_) methods.set(m, n);
    Json out = Json::object();
    out.set("total", total_);
    out.set("methods", std::move(methods));
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, int64_t> counts_;
  int64_t total_ = 0;
  bool keepRequests_ = false;
  std::vector<std::pair<std::string, Json>> requests_;
};

}  // namespace tnascsi::sim

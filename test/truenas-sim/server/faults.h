// Faults: test-controlled misbehaviour (POST /_sim/faults, CLI flags, in-process API):
//   {"latency_ms": 20}                 every call waits this long before running
//   {"drop_after_calls": 3}            answer 3 more calls, then drop the connection of the 4th
//                                      (the 4th does not run)
//   {"drop_reply": {"method": "iscsi.target.create", "times": 1}}   the call runs (TrueNAS
//                                      applied it), then its connection drops without the answer
//   {"fail": {"method": "iscsi.extent.create", "code": "CallError"|"ValidationError"|
//             "InstanceNotFound", "errno": 14, "message": "...", "times": 1}}   (times 0 = always)
//   {"pause": true}                    calls (and legacy pings) block until pause is false again:
//                                      a frozen middleware
// Several keys may be combined; setting merges into the current faults; clear() removes all.
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/base/status.h"
#include "test/truenas-sim/json/json.h"

namespace tnascsi::sim {

class Faults {
 public:
  // Merges `spec` into the active faults. InvalidArgument on an unknown key or bad value.
  Status set(const Json& spec);
  void clear();
  Json toJson() const;

  // Blocks while paused (or until `release()` at shutdown).
  void waitWhilePaused();
  void release();
  int latencyMs() const;
  // True when this call must drop its connection instead of being answered.
  bool takeDrop();
  // The injected error for `method`, if a fail rule matches (consumes one of its `times`).
  std::optional<Status> takeFailure(const std::string& method);
  // True when `method` (which has just run) must lose its answer and drop its connection
  // (consumes one of a drop_reply rule's `times`).
  bool takeReplyDrop(const std::string& method);

 private:
  struct FailRule {
    std::string method;
    std::string code;
    int errnum = 14;
    std::string message;
    int64_t times = 1;  // remaining; 0 = always
  };
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int latencyMs_ = 0;
  std::optional<int64_t> dropAfter_;
  std::vector<FailRule> fails_;
  struct ReplyDropRule {
    std::string method;
    int64_t times = 1;  // remaining; 0 = always
  };
  std::vector<ReplyDropRule> replyDrops_;
  bool paused_ = false;
  bool released_ = false;
};

}  // namespace tnascsi::sim

// Backing: the seam that makes the simulator's model real (docs/simulator-backing.md). The model
// calls apply() after it has validated a mutation and before the API call returns; a non-OK
// result fails that API call with CallError(EFAULT, <message>). Events are JSON objects carrying
// "event" and "root" plus the event's fields. Implementations must be thread-safe (the model
// serialises calls under its own lock, but a backing may be shared).
#pragma once

#include <memory>
#include <string>

#include "common/base/status.h"
#include "test/truenas-sim/json/json.h"

namespace tnascsi::sim {

class Backing {
 public:
  virtual ~Backing() = default;
  // Applies one event. Idempotent by contract. Error message: the failure reason (no secrets).
  virtual Status apply(const Json& event) = 0;
  // Whether apply() does anything. When false the model neither builds nor sends events (the
  // whole-configuration events cost O(number of volumes) to build).
  virtual bool consumesEvents() const { return true; }
};

// Accepts every event and does nothing (the default).
class NullBacking final : public Backing {
 public:
  Status apply(const Json&) override { return absl::OkStatus(); }
  bool consumesEvents() const override { return false; }
};

// Runs `program` once per event with the event JSON on stdin (secrets only there). Exit 0 is
// success; otherwise the error message is the program's first stderr line.
class ExecBacking final : public Backing {
 public:
  explicit ExecBacking(std::string program) : program_(std::move(program)) {}
  Status apply(const Json& event) override;

 private:
  std::string program_;
};

}  // namespace tnascsi::sim

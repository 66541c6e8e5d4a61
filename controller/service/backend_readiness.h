// BackendReadiness: what the controller's Probe reports. Ready only when TrueNAS backends are
// configured and every one answers a ping over its authenticated connection; the reason otherwise
// names the missing flag or the backend and its connection error. Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "common/csi/identity_service.h"
#include "controller/truenas/truenas_api.h"

namespace tnascsi::controller {

class BackendReadiness final : public common::ReadinessCheck {
 public:
  struct Entry {
    std::string name;
    truenas::TrueNasApi* api = nullptr;  // not owned
  };
  // No backends: not configured.
  explicit BackendReadiness(std::vector<Entry> backends = {}) : backends_(std::move(backends)) {}
  Status ready() override;

 private:
  std::vector<Entry> backends_;
};

}  // namespace tnascsi::controller

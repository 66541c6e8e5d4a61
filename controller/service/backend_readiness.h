// BackendReadiness: what the controller's Probe reports. Ready only when a TrueNAS backend is
// configured and connected; the reason otherwise names the missing flag or the connection error.
#pragma once

#include "common/csi/identity_service.h"

namespace tnascsi::controller {

class BackendReadiness final : public common::ReadinessCheck {
 public:
  // `configured` is false when no backend was given on the command line or in the config file.
  explicit BackendReadiness(bool configured) : configured_(configured) {}
  Status ready() override;

 private:
  bool configured_;
};

}  // namespace tnascsi::controller

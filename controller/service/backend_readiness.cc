// BackendReadiness implementation.
#include "controller/service/backend_readiness.h"

namespace tnascsi::controller {

Status BackendReadiness::ready() {
  if (backends_.empty()) {
    return absl::FailedPreconditionError(
        "no TrueNAS backend configured: start with --truenas-url and --api-key-file, or a "
        "--config file with a backends section (docs/configuration.md)");
  }
  for (const auto& backend : backends_) {
    Status s = backend.api->ping();
    if (!s.ok()) {
      return absl::UnavailableError("TrueNAS backend '" + backend.name +
                                    "' not connected: " + std::string(s.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace tnascsi::controller

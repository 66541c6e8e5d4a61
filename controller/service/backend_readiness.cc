// BackendReadiness implementation.
#include "controller/service/backend_readiness.h"

namespace tnascsi::controller {

Status BackendReadiness::ready() {
  if (!configured_) {
    return absl::FailedPreconditionError(
        "no TrueNAS backend configured: start with --truenas-url and --api-key-file, or a "
        "--config file with a backends section (docs/configuration.md)");
  }
  return absl::UnavailableError("TrueNAS backend not connected yet");
}

}  // namespace tnascsi::controller

// The end-to-end drivers' shared connection flags (see stack_flags.h).
#include "test/e2e/stack_flags.h"

namespace tnascsi::e2e {

bool takeStackFlag(const std::string& flag, const std::function<std::string()>& next,
                   StackEndpoints* out) {
  std::string* target = flag == "--controller"    ? &out->controllerEndpoint
                        : flag == "--node"        ? &out->nodeEndpoint
                        : flag == "--sim-url"     ? &out->simUrl
                        : flag == "--kubelet-dir" ? &out->kubeletDir
                        : flag == "--state-dir"   ? &out->stateDir
                                                  : nullptr;
  if (target == nullptr) return false;
  *target = next();
  return true;
}

}  // namespace tnascsi::e2e

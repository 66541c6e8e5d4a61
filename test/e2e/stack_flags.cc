// The end-to-end drivers' shared connection flags (see stack_flags.h).
#include "test/e2e/stack_flags.h"

#include <cstdio>
#include <cstdlib>

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

std::function<std::string()> flagValue(int argc, char** argv, int* i) {
  return [argc, argv, i]() -> std::string {
    if (*i + 1 >= argc) {
      std::fprintf(stderr, "%s needs a value\n", argv[*i]);
      std::exit(2);
    }
    return argv[++*i];
  };
}

}  // namespace tnascsi::e2e

// StackEndpoints: where the end-to-end drivers (tnas-e2e, tnas-e2e-faults, tnas-e2e-access) find
// the controller, the node agent, the simulator's control plane and the node's directories, and
// the command-line flags all of them accept for them; flagValue walks their argv.
#pragma once

#include <functional>
#include <string>

namespace tnascsi::e2e {

struct StackEndpoints {
  std::string controllerEndpoint;  // unix:///…
  std::string nodeEndpoint;
  std::string simUrl;  // http://127.0.0.1:PORT (simulator control plane, for leftover checks)
  std::string kubeletDir = "/var/lib/kubelet";
  std::string stateDir = "/var/lib/truenas-csi";
  std::string driverName = "csi.truenas-csi.io";
};

// Consumes `flag` if it is one of --controller, --node, --sim-url, --kubelet-dir, --state-dir
// (taking its value from `next`); false for any other flag.
bool takeStackFlag(const std::string& flag, const std::function<std::string()>& next,
                   StackEndpoints* out);

// The `next` callback of a driver's argv loop standing at argv[*i]: returns the argument after it
// and advances *i, or exits 2 naming the flag that lacks its value.
std::function<std::string()> flagValue(int argc, char** argv, int* i);

// The usage text of those flags, for the drivers' usage messages.
inline constexpr const char* kStackFlagsUsage =
    "--controller EP --node EP [--sim-url URL] [--kubelet-dir D] [--state-dir D]";

}  // namespace tnascsi::e2e

// tnas-e2e-access: runs the access scenarios (test/e2e/access.h) against a running controller and
// node agent and prints a step table per scenario; exit 0 when every scenario passed.
//
//   tnas-e2e-access --controller EP --node EP --sim-url URL --secrets-file F
//                   [--scenario masking|chap|chap-mutual|chap-wrong|flags]... [--size-mib M]
//                   [--fs-type ext4|xfs] [--kubelet-dir D] [--state-dir D] [--report-dir D]
// The CHAP values come from --secrets-file ("key=value" lines: chapUser, chapSecret,
// chapMutualUser, chapMutualSecret, wrongSecret), never from the command line.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "test/e2e/access.h"

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: tnas-e2e-access --controller EP --node EP [--sim-url URL] --secrets-file F\n"
               "       [--scenario S]... [--size-mib M] [--fs-type T] [--kubelet-dir D]\n"
               "       [--state-dir D] [--report-dir D]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  tnascsi::e2e::AccessConfig cfg;
  std::vector<std::string> scenarios;
  std::string secretsFile, reportDir;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = tnascsi::e2e::flagValue(argc, argv, &i);
    if (tnascsi::e2e::takeStackFlag(a, next, &cfg.stack)) {
      continue;
    }
    if (a == "--secrets-file") {
      secretsFile = next();
    } else if (a == "--scenario") {
      scenarios.push_back(next());
    } else if (a == "--size-mib") {
      std::string v = next();
      char* end = nullptr;
      long long mib = std::strtoll(v.c_str(), &end, 10);
      if (end == v.c_str() || *end != '\0' || mib <= 0) return usage();
      cfg.sizeBytes = static_cast<int64_t>(mib) << 20;
    } else if (a == "--fs-type") {
      cfg.fsType = next();
    } else if (a == "--report-dir") {
      reportDir = next();
    } else {
      return usage();
    }
  }
  if (cfg.stack.controllerEndpoint.empty() || cfg.stack.nodeEndpoint.empty() ||
      secretsFile.empty()) {
    return usage();
  }
  std::string error;
  if (!tnascsi::e2e::readAccessSecrets(secretsFile, &cfg.secrets, &error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 2;
  }
  if (scenarios.empty()) scenarios = tnascsi::e2e::accessScenarios();
  bool allOk = true;
  for (const auto& s : scenarios) {
    std::printf("access %s:\n", s.c_str());
    std::fflush(stdout);
    auto t0 = std::chrono::steady_clock::now();
    auto result = tnascsi::e2e::runAccessScenario(cfg, s);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("access %s: %s in %.1f s\n", s.c_str(), result.ok ? "PASSED" : "FAILED", secs);
    std::fflush(stdout);
    allOk &= result.ok;
    if (!reportDir.empty()) {
      std::string path = reportDir;
      path += "/access-";
      path += s;
      path += ".json";
      if (!tnascsi::e2e::writeStepsReport(path, "access-" + s, result.ok, result.steps)) {
        std::fprintf(stderr, "cannot write %s\n", path.c_str());
      }
    }
  }
  return allOk ? 0 : 1;
}

// tnas-e2e: runs one volume lifecycle (test/e2e/lifecycle.h) against a running controller and node
// agent and prints a step table; exit 0 when every step passed.
//
//   tnas-e2e --controller unix:///run/c.sock --node unix:///run/n.sock --sim-url http://127.0.0.1:P
//            --protocol iscsi|nfs [--fs-type ext4|xfs] [--block] [--nfs-version 3|4.2]
//            [--name pvc-x] [--size-mib 1024] [--param key=value]... [--kubelet-dir D]
//            [--state-dir D] [--report out.json]
#include <cstdio>
#include <cstdlib>
#include <string>

#include "test/e2e/lifecycle.h"

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: tnas-e2e --controller EP --node EP [--sim-url URL] --protocol iscsi|nfs\n"
               "       [--fs-type ext4|xfs] [--block] [--nfs-version V] [--name N] [--size-mib M]\n"
               "       [--param k=v]... [--kubelet-dir D] [--state-dir D] [--report FILE]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  tnascsi::e2e::LifecycleConfig cfg;
  std::string report;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = tnascsi::e2e::flagValue(argc, argv, &i);
    if (tnascsi::e2e::takeStackFlag(a, next, &cfg.stack)) {
      continue;
    }
    if (a == "--protocol") {
      cfg.spec.protocol = next();
    } else if (a == "--fs-type") {
      cfg.spec.fsType = next();
    } else if (a == "--block") {
      cfg.spec.block = true;
    } else if (a == "--nfs-version") {
      cfg.spec.nfsVersion = next();
    } else if (a == "--name") {
      cfg.name = next();
    } else if (a == "--size-mib") {
      cfg.spec.sizeBytes = std::atoll(next().c_str()) << 20;
    } else if (a == "--param") {
      std::string kv = next();
      auto eq = kv.find('=');
      if (eq == std::string::npos) return usage();
      cfg.spec.parameters[kv.substr(0, eq)] = kv.substr(eq + 1);
    } else if (a == "--report") {
      report = next();
    } else {
      return usage();
    }
  }
  if (cfg.stack.controllerEndpoint.empty() || cfg.stack.nodeEndpoint.empty()) return usage();
  std::printf("lifecycle %s: protocol=%s %s\n", cfg.name.c_str(), cfg.spec.protocol.c_str(),
              cfg.spec.block ? "block"
                             : (cfg.spec.protocol == "nfs" ? ("v" + cfg.spec.nfsVersion).c_str()
                                                           : cfg.spec.fsType.c_str()));
  auto result = tnascsi::e2e::runLifecycle(cfg);
  double total = 0;
  for (const auto& s : result.steps) total += s.ms;
  std::printf("lifecycle %s: %s in %.1f s\n", cfg.name.c_str(), result.ok ? "PASSED" : "FAILED",
              total / 1000);
  if (!report.empty() &&
      !tnascsi::e2e::writeStepsReport(report, cfg.name, result.ok, result.steps)) {
    std::fprintf(stderr, "cannot write %s\n", report.c_str());
  }
  return result.ok ? 0 : 1;
}

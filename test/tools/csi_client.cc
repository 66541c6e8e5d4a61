// tnas-csi-client: a small CSI client for the demo and for poking a running binary.
//
//   tnas-csi-client identity --endpoint unix:///path/csi.sock
//   tnas-csi-client demo --controller-bin <path> --node-bin <path>
//
// `demo` starts both binaries on temporary unix sockets the way an external check does (nothing
// but --endpoint), asks each for its identity over CSI, prints what they report, and stops them.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "proto/csi.grpc.pb.h"
#include "test/support/subprocess.h"

namespace {

using Clock = std::chrono::steady_clock;

std::string capabilityName(const csi::v1::PluginCapability& c) {
  if (c.has_service()) return csi::v1::PluginCapability::Service::Type_Name(c.service().type());
  if (c.has_volume_expansion()) {
    return "VOLUME_EXPANSION_" +
           csi::v1::PluginCapability::VolumeExpansion::Type_Name(c.volume_expansion().type());
  }
  return "?";
}

struct IdentityReport {
  bool ok = false;
  std::string error;
  std::string name, version;
  std::vector<std::string> caps;
  bool ready = false;
  double ms = 0;
};

IdentityReport queryIdentity(const std::string& endpoint) {
  IdentityReport r;
  auto started = Clock::now();
  auto stub =
      csi::v1::Identity::NewStub(grpc::CreateChannel(endpoint, grpc::InsecureChannelCredentials()));
  auto deadline = [] { return std::chrono::system_clock::now() + std::chrono::seconds(10); };
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline());
    csi::v1::GetPluginInfoResponse resp;
    grpc::Status s = stub->GetPluginInfo(&ctx, {}, &resp);
    if (!s.ok()) {
      r.error = "GetPluginInfo: " + s.error_message();
      return r;
    }
    r.name = resp.name();
    r.version = resp.vendor_version();
  }
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline());
    csi::v1::GetPluginCapabilitiesResponse resp;
    grpc::Status s = stub->GetPluginCapabilities(&ctx, {}, &resp);
    if (!s.ok()) {
      r.error = "GetPluginCapabilities: " + s.error_message();
      return r;
    }
    for (const auto& c : resp.capabilities()) r.caps.push_back(capabilityName(c));
  }
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline());
    csi::v1::ProbeResponse resp;
    grpc::Status s = stub->Probe(&ctx, {}, &resp);
    if (!s.ok()) {
      r.error = "Probe: " + s.error_message();
      return r;
    }
    r.ready = resp.ready().value();
  }
  r.ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  r.ok = true;
  return r;
}

void printReport(const std::string& title, const IdentityReport& r) {
  std::printf("  %-11s ", title.c_str());
  if (!r.ok) {
    std::printf("ERROR %s\n", r.error.c_str());
    return;
  }
  std::string caps;
  for (const auto& c : r.caps) caps += (caps.empty() ? "" : ", ") + c;
  std::printf("name=%s version=%s ready=%s (%.1f ms)\n", r.name.c_str(), r.version.c_str(),
              r.ready ? "true" : "false", r.ms);
  std::printf("  %-11s capabilities: %s\n", "", caps.empty() ? "(none)" : caps.c_str());
}

int identityCommand(const std::string& endpoint) {
  IdentityReport r = queryIdentity(endpoint);
  printReport("identity", r);
  return r.ok ? 0 : 1;
}

int demoCommand(const std::string& controllerBin, const std::string& nodeBin) {
  tnascsi::testing::TempDir dir;
  struct Target {
    std::string title, bin, sock;
  } targets[] = {{"controller", controllerBin, dir.path() + "/controller.sock"},
                 {"node", nodeBin, dir.path() + "/node.sock"}};
  std::printf(
      "truenas-csi demo: both binaries, started with just their endpoint (and the node\n"
      "agent's kubelet and state directories in a temp dir)\n\n");
  int rc = 0;
  for (const auto& t : targets) {
    auto started = Clock::now();
    std::vector<std::string> argv{t.bin, "--endpoint", "unix://" + t.sock};
    if (t.title == "node") {  // keep the demo off the host's kubelet and state directories
      argv.push_back("--kubelet-dir=" + dir.path() + "/kubelet");
      argv.push_back("--state-dir=" + dir.path() + "/state");
    }
    tnascsi::testing::Subprocess proc(argv);
    if (!tnascsi::testing::waitForPath(t.sock, std::chrono::seconds(20))) {
      std::printf("  %-11s did not start:\n%s\n", t.title.c_str(), proc.output().c_str());
      rc = 1;
      continue;
    }
    double startMs = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    std::printf("  %-11s listening on unix://%s after %.0f ms\n", t.title.c_str(), t.sock.c_str(),
                startMs);
    IdentityReport r = queryIdentity("unix://" + t.sock);
    printReport(t.title, r);
    if (!r.ok) rc = 1;
    int exitCode = proc.stop(SIGTERM);
    std::printf("  %-11s stopped by SIGTERM, exit code %d\n", "", exitCode);
    if (exitCode != 0) rc = 1;
    // Show why readiness is false: the binary's own log line.
    std::string out = proc.output();
    auto pos = out.find("reason=");
    if (!r.ready && pos != std::string::npos) {
      auto end = out.find('\n', pos);
      std::printf("  %-11s not ready because: %s\n", "",
                  out.substr(pos + 7, end - pos - 7).c_str());
    }
    std::printf("\n");
  }
  std::printf("%s\n", rc == 0 ? "demo finished: both binaries answered over CSI"
                              : "demo FAILED (see above)");
  return rc;
}

int usage() {
  std::fprintf(stderr,
               "usage: tnas-csi-client identity --endpoint unix:///path.sock\n"
               "       tnas-csi-client demo --controller-bin PATH --node-bin PATH\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  std::string cmd = argv[1];
  std::string endpoint, controllerBin, nodeBin;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--endpoint") {
      endpoint = v;
    } else if (k == "--controller-bin") {
      controllerBin = v;
    } else if (k == "--node-bin") {
      nodeBin = v;
    } else {
      return usage();
    }
  }
  if (cmd == "identity" && !endpoint.empty()) return identityCommand(endpoint);
  if (cmd == "demo" && !controllerBin.empty() && !nodeBin.empty()) {
    return demoCommand(controllerBin, nodeBin);
  }
  return usage();
}

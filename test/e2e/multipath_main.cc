// tnas-e2e-multipath: the CSI steps of the multipath guest suite (guest/multipath-in-guest.sh),
// one step per run so the script can fail a path between them. Over the real controller and node
// agent sockets, as kubelet and the sidecars call them.
//
//   tnas-e2e-multipath <stack flags> attach --state FILE --name N [--param k=v]...
//       CreateVolume → ControllerPublish → NodeStage → NodePublish; FILE keeps what detach needs;
//       prints the published path.
//   tnas-e2e-multipath <stack flags> stats --state FILE
//       NodeGetVolumeStats on the published path; prints "abnormal=0|1 message=…".
//   tnas-e2e-multipath <stack flags> detach --state FILE
//       NodeUnpublish → NodeUnstage → ControllerUnpublish → DeleteVolume.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

#include "test/e2e/csi_calls.h"

namespace {

using tnascsi::e2e::CsiCalls;
using tnascsi::e2e::E2eVolume;

int usage() {
  std::fprintf(stderr,
               "usage: tnas-e2e-multipath %s attach|stats|detach --state FILE [--name N]\n"
               "       [--param k=v]...\n",
               tnascsi::e2e::kStackFlagsUsage);
  return 2;
}

// kubelet retries a call the agent answers ABORTED (another operation on the volume, e.g. the
// self-healing pass, holds it); so do these steps.
grpc::Status retryAborted(const std::function<grpc::Status()>& call) {
  grpc::Status s;
  for (int i = 0; i < 40; ++i) {
    s = call();
    if (s.error_code() != grpc::StatusCode::ABORTED) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return s;
}

bool save(const std::string& file, const E2eVolume& v, const std::string& nodeId) {
  std::ofstream out(file);
  out << v.name << "\n" << v.id << "\n" << v.staging << "\n" << v.target << "\n" << nodeId << "\n";
  return static_cast<bool>(out);
}

bool load(const std::string& file, E2eVolume* v, std::string* nodeId) {
  std::ifstream in(file);
  return static_cast<bool>(std::getline(in, v->name) && std::getline(in, v->id) &&
                           std::getline(in, v->staging) && std::getline(in, v->target) &&
                           std::getline(in, *nodeId));
}

}  // namespace

int main(int argc, char** argv) {
  tnascsi::e2e::StackEndpoints stack;
  tnascsi::e2e::VolumeSpec spec;
  spec.sizeBytes = 512LL << 20;
  std::string command, state, name = "pvc-multipath";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = tnascsi::e2e::flagValue(argc, argv, &i);
    if (tnascsi::e2e::takeStackFlag(a, next, &stack)) continue;
    if (a == "--state") {
      state = next();
    } else if (a == "--name") {
      name = next();
    } else if (a == "--param") {
      std::string kv = next();
      auto eq = kv.find('=');
      if (eq == std::string::npos) return usage();
      spec.parameters[kv.substr(0, eq)] = kv.substr(eq + 1);
    } else if (command.empty() && a[0] != '-') {
      command = a;
    } else {
      return usage();
    }
  }
  if (stack.controllerEndpoint.empty() || stack.nodeEndpoint.empty() || state.empty()) {
    return usage();
  }
  CsiCalls csi(stack);
  E2eVolume v;
  std::string nodeId;
  if (command == "attach") {
    v.name = name;
    grpc::Status s = csi.nodeGetInfo(&nodeId);
    if (s.ok()) s = csi.createVolume(v, spec);
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", CsiCalls::describe("attach", s).c_str());
      return 1;
    }
    csi.setPaths(v, spec);
    if (!save(state, v, nodeId)) return 1;  // detach cleans up after a partial attach too
    const char* step = "ControllerPublishVolume";
    s = retryAborted([&] { return csi.controllerPublish(v, spec, nodeId); });
    if (s.ok() || s.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
      step = "NodeStageVolume";
      s = retryAborted([&] { return csi.nodeStage(v, spec); });
    }
    if (s.ok()) {
      step = "NodePublishVolume";
      s = retryAborted([&] { return csi.nodePublish(v, spec); });
    }
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", CsiCalls::describe(step, s).c_str());
      return 1;
    }
    std::printf("%s\n", v.target.c_str());
    return 0;
  }
  if (!load(state, &v, &nodeId)) {
    std::fprintf(stderr, "cannot read %s\n", state.c_str());
    return 2;
  }
  if (command == "stats") {
    csi::v1::NodeGetVolumeStatsRequest req;
    req.set_volume_id(v.id);
    req.set_volume_path(v.target);
    csi::v1::NodeGetVolumeStatsResponse resp;
    grpc::Status s = retryAborted([&] {
      grpc::ClientContext ctx;
      return csi.node().NodeGetVolumeStats(&ctx, req, &resp);
    });
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", CsiCalls::describe("NodeGetVolumeStats", s).c_str());
      return 1;
    }
    std::printf("abnormal=%d message=%s\n", resp.volume_condition().abnormal() ? 1 : 0,
                resp.volume_condition().message().c_str());
    return 0;
  }
  if (command == "detach") {
    const char* step = "NodeUnpublishVolume";
    grpc::Status s = retryAborted([&] { return csi.nodeUnpublish(v); });
    if (s.ok()) {
      step = "NodeUnstageVolume";
      s = retryAborted([&] { return csi.nodeUnstage(v); });
    }
    if (s.ok()) {
      step = "ControllerUnpublishVolume";
      s = retryAborted([&] { return csi.controllerUnpublish(v, nodeId); });
    }
    if (!s.ok() && s.error_code() != grpc::StatusCode::UNIMPLEMENTED) {
      std::fprintf(stderr, "%s\n", CsiCalls::describe(step, s).c_str());
      return 1;
    }
    s = csi.deleteVolume(v.id);
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", CsiCalls::describe("DeleteVolume", s).c_str());
      return 1;
    }
    return 0;
  }
  return usage();
}

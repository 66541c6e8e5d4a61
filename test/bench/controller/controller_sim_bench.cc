// controller_sim_bench: the controller benchmark against the in-process TrueNAS simulator (real
// TrueNasClient over a loopback WebSocket, the simulator's per-call latency fault) instead of the
// fake. It prints
//  1. TrueNAS calls per operation, read from the simulator's call log (domain methods only: the
//     login and core.* keepalives are not counted; warm: service, portal and base name cached),
//  2. CreateVolume (iSCSI) latency p50/p99 at concurrency 1, 10 and 50 and volumes/s, and
//  3. VmRSS idle (after the warm-up) and VmHWM (peak) of the process. The simulator runs in the
//     same process, so both include it.
// Not a test. Usage: controller_sim_bench [personality=25.04] [latency_ms=20]
// [volumes_per_level=100] [connections=the controller's default pool size] [websocket|inprocess]
// (inprocess: the latency part without sockets, SimRpcTransport, to separate the controller's own
// cost from the WebSocket path's)
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "common/log/log.h"
#include "controller/truenas/connection_options.h"
#include "test/integration/conformance/controller_fixture.h"
#include "test/support/truenas/sim_backend.h"

using namespace tnascsi;  // NOLINT(google-build-using-namespace): benchmark main
using Clock = std::chrono::steady_clock;

namespace {

long statusKiB(const char* key) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(key, 0) == 0) return std::stol(line.substr(std::string(key).size()));
  }
  return -1;
}

struct Fixture {
  std::unique_ptr<testing::SimBackend> sim;
  std::unique_ptr<testing::ControllerUnderTest> cut;
  explicit Fixture(const std::string& personality, int connections = 1,
                   testing::SimBackend::Link link = testing::SimBackend::Link::kWebSocket) {
    testing::SimBackend::Options options;
    options.personality = personality;
    options.link = link;
    options.connections = connections;
    options.poolBytes = int64_t{1} << 50;
    sim = std::make_unique<testing::SimBackend>(options);
    controller::provision::BackendConfig config;
    config.parentDataset = sim->parent();
    config.portals = {"192.0.2.10:3260"};
    config.nfsServer = "192.0.2.10";
    cut = std::make_unique<testing::ControllerUnderTest>(
        std::vector<testing::FixtureBackend>{{config, &sim->api()}});
  }
  ~Fixture() {
    cut.reset();
    sim.reset();
  }
  grpc::Status create(const std::string& name, const std::string& protocol, std::string* id) {
    grpc::ClientContext ctx;
    csi::v1::CreateVolumeResponse resp;
    auto req = testing::createRequest(name, protocol);
    if (protocol == "iscsi") (*req.mutable_parameters())["sparse"] = "true";
    grpc::Status s = cut->controller().CreateVolume(&ctx, req, &resp);
    if (id != nullptr) *id = resp.volume().volume_id();
    return s;
  }
  grpc::Status del(const std::string& id) {
    grpc::ClientContext ctx;
    csi::v1::DeleteVolumeRequest req;
    req.set_volume_id(id);
    csi::v1::DeleteVolumeResponse resp;
    return cut->controller().DeleteVolume(&ctx, req, &resp);
  }
};

void countCalls(const std::string& personality) {
  Fixture f(personality);
  std::string warm;
  f.create("warm-i", "iscsi", &warm);
  f.create("warm-n", "nfs", &warm);
  auto measure = [&](const char* what, auto&& op) {
    f.sim->resetCalls();
    grpc::Status s = op();
    std::string methods;
    for (const auto& [m, n] : f.sim->callsByMethod()) {
      methods += (methods.empty() ? "" : " ") + m + (n > 1 ? "x" + std::to_string(n) : "");
    }
    std::printf("  %-30s %2lld  %s%s\n", what, static_cast<long long>(f.sim->domainCalls()),
                methods.c_str(), s.ok() ? "" : "  FAILED");
  };
  std::string iscsiId, nfsId, snapId;
  const std::string node = "n1,iqn.2004-10.com.ubuntu:01:n1";
  std::printf("TrueNAS calls per operation on %s (warm), from the simulator's call log:\n",
              personality.c_str());
  measure("CreateVolume iSCSI", [&] { return f.create("pvc-i", "iscsi", &iscsiId); });
  measure("CreateVolume iSCSI (repeat)", [&] { return f.create("pvc-i", "iscsi", nullptr); });
  measure("CreateVolume NFS", [&] { return f.create("pvc-n", "nfs", &nfsId); });
  measure("ControllerPublish iSCSI", [&] {
    grpc::ClientContext ctx;
    csi::v1::ControllerPublishVolumeRequest req;
    req.set_volume_id(iscsiId);
    req.set_node_id(node);
    *req.mutable_volume_capability() = testing::mountCapability();
    csi::v1::ControllerPublishVolumeResponse resp;
    return f.cut->controller().ControllerPublishVolume(&ctx, req, &resp);
  });
  measure("ControllerUnpublish iSCSI", [&] {
    grpc::ClientContext ctx;
    csi::v1::ControllerUnpublishVolumeRequest req;
    req.set_volume_id(iscsiId);
    req.set_node_id(node);
    csi::v1::ControllerUnpublishVolumeResponse resp;
    return f.cut->controller().ControllerUnpublishVolume(&ctx, req, &resp);
  });
  measure("ControllerGetVolume iSCSI", [&] {
    grpc::ClientContext ctx;
    csi::v1::ControllerGetVolumeRequest req;
    req.set_volume_id(iscsiId);
    csi::v1::ControllerGetVolumeResponse resp;
    return f.cut->controller().ControllerGetVolume(&ctx, req, &resp);
  });
  measure("ListVolumes", [&] {
    grpc::ClientContext ctx;
    csi::v1::ListVolumesResponse resp;
    return f.cut->controller().ListVolumes(&ctx, {}, &resp);
  });
  measure("CreateSnapshot", [&] {
    grpc::ClientContext ctx;
    csi::v1::CreateSnapshotRequest req;
    req.set_name("snap-1");
    req.set_source_volume_id(nfsId);
    csi::v1::CreateSnapshotResponse resp;
    grpc::Status s = f.cut->controller().CreateSnapshot(&ctx, req, &resp);
    snapId = resp.snapshot().snapshot_id();
    return s;
  });
  measure("DeleteSnapshot", [&] {
    grpc::ClientContext ctx;
    csi::v1::DeleteSnapshotRequest req;
    req.set_snapshot_id(snapId);
    csi::v1::DeleteSnapshotResponse resp;
    return f.cut->controller().DeleteSnapshot(&ctx, req, &resp);
  });
  measure("ControllerPublish NFS", [&] {
    grpc::ClientContext ctx;
    csi::v1::ControllerPublishVolumeRequest req;
    req.set_volume_id(nfsId);
    req.set_node_id(node);
    *req.mutable_volume_capability() = testing::mountCapability(
        csi::v1::VolumeCapability::AccessMode::MULTI_NODE_MULTI_WRITER, "");
    csi::v1::ControllerPublishVolumeResponse resp;
    return f.cut->controller().ControllerPublishVolume(&ctx, req, &resp);
  });
  std::string chapId;
  measure("CreateVolume iSCSI with CHAP", [&] {
    grpc::ClientContext ctx;
    auto req = testing::createRequest("pvc-chap", "iscsi");
    (*req.mutable_secrets())["chapUser"] = "k8s";
    (*req.mutable_secrets())["chapSecret"] = "0123456789ab";
    csi::v1::CreateVolumeResponse resp;
    grpc::Status s = f.cut->controller().CreateVolume(&ctx, req, &resp);
    chapId = resp.volume().volume_id();
    return s;
  });
  measure("DeleteVolume iSCSI with CHAP", [&] { return f.del(chapId); });
  measure("DeleteVolume iSCSI", [&] { return f.del(iscsiId); });
  measure("DeleteVolume NFS", [&] { return f.del(nfsId); });
  measure("leftover sweep (amortised)", [&] {
    Status s = f.cut->sweepExports();
    return s.ok() ? grpc::Status::OK : grpc::Status(grpc::StatusCode::INTERNAL, "sweep failed");
  });
}

void latency(const std::string& personality, int latencyMs, int perLevel, int connections,
             testing::SimBackend::Link link) {
  Fixture f(personality, connections, link);
  std::string warm;
  f.create("warm", "iscsi", &warm);
  sim::Json fault = sim::Json::object();
  fault.set("latency_ms", latencyMs);
  (void)f.sim->server().faults().set(fault);
  long idle = statusKiB("VmRSS:");
  std::printf(
      "\nCreateVolume (iSCSI) on %s with %d ms per TrueNAS call (simulator fault), up to %d "
      "connections (%s):\n",
      personality.c_str(), latencyMs, connections,
      link == testing::SimBackend::Link::kInProcess ? "in process" : "loopback WebSocket");
  std::printf("  %-11s %8s %8s %8s %10s %12s\n", "concurrency", "volumes", "p50 ms", "p99 ms",
              "volumes/s", "calls/create");
  for (int concurrency : {1, 10, 50}) {
    int total = concurrency == 1 ? std::max(10, perLevel / 5) : perLevel;
    std::vector<double> samples(total);
    std::atomic<int> next{0}, failures{0};
    f.sim->resetCalls();
    auto start = Clock::now();
    std::vector<std::thread> workers;
    for (int w = 0; w < concurrency; ++w) {
      workers.emplace_back([&, concurrency] {
        for (int i = next++; i < total; i = next++) {
          auto t0 = Clock::now();
          grpc::Status s = f.create("c" + std::to_string(concurrency) + "-" + std::to_string(i),
                                    "iscsi", nullptr);
          samples[i] = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
          if (!s.ok()) {
            if (failures++ == 0) std::printf("  first failure: %s\n", s.error_message().c_str());
          }
        }
      });
    }
    for (auto& w : workers) w.join();
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::sort(samples.begin(), samples.end());
    auto pct = [&](double p) {
      return samples[std::min<size_t>(samples.size() - 1, static_cast<size_t>(p * samples.size()))];
    };
    std::printf("  %-11d %8d %8.1f %8.1f %10.1f %12.2f%s\n", concurrency, total, pct(0.50),
                pct(0.99), total / seconds,
                static_cast<double>(f.sim->domainCalls()) / static_cast<double>(total),
                failures ? "  (failures!)" : "");
    if (concurrency == 1) {
      const double physical =
          static_cast<double>(f.sim->domainCalls()) / static_cast<double>(total) * latencyMs;
      std::printf("  %-11s physical limit (calls x latency) %.1f ms; p50 is %.2fx of it\n", "",
                  physical, pct(0.50) / physical);
    }
  }
  std::printf("  connections opened: %d\n", f.sim->connections().openConnections());
  std::printf(
      "\nRSS (controller + in-process simulator): idle VmRSS %ld KiB, peak VmHWM %ld KiB, "
      "now VmRSS %ld KiB (%zu zvols in the simulator)\n",
      idle, statusKiB("VmHWM:"), statusKiB("VmRSS:"), f.sim->count("datasets"));
}

}  // namespace

int main(int argc, char** argv) {
  common::setLogLevel(common::LogLevel::kError);
  std::string personality = argc > 1 ? argv[1] : "25.04";
  int latencyMs = argc > 2 ? std::atoi(argv[2]) : 20;
  int perLevel = argc > 3 ? std::atoi(argv[3]) : 100;
  int connections =
      argc > 4 ? std::atoi(argv[4]) : controller::truenas::ConnectionOptions{}.poolSize;
  const bool inProcess = argc > 5 && std::string(argv[5]) == "inprocess";
  countCalls(personality);
  latency(
      personality, latencyMs, perLevel, connections,
      inProcess ? testing::SimBackend::Link::kInProcess : testing::SimBackend::Link::kWebSocket);
  return 0;
}

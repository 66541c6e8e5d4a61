// controller_bench: measures, through the real gRPC ControllerService over a unix socket and the
// fake TrueNAS,
//  1. TrueNAS calls per operation (warm: portal/base name already cached), and
//  2. CreateVolume latency p50/p99 at concurrency 1, 10 and 50 with a per-call latency injected in
//     the fake (default 20 ms, at most 10 calls running at once like TrueNAS per connection),
//     volumes/s, and the process RSS idle and under load.
// Usage: controller_bench [latency_ms=20] [volumes_per_level=100]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "common/log/log.h"
#include "test/fakes/truenas/fake_truenas_api.h"
#include "test/integration/conformance/controller_fixture.h"

using namespace tnascsi;  // NOLINT(google-build-using-namespace): benchmark main
using Clock = std::chrono::steady_clock;

namespace {

long rssKiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

struct Fixture {
  controller::truenas::FakeTrueNasApi api;
  std::unique_ptr<testing::ControllerUnderTest> cut;
  Fixture() {
    api.addDataset("tank/k8s");
    controller::provision::BackendConfig config;
    config.parentDataset = "tank/k8s";
    config.portals = {"192.0.2.10:3260"};
    config.nfsServer = "192.0.2.10";
    cut = std::make_unique<testing::ControllerUnderTest>(
        std::vector<testing::FixtureBackend>{{config, &api}});
  }
  grpc::Status create(const std::string& name, const std::string& protocol, std::string* id) {
    grpc::ClientContext ctx;
    csi::v1::CreateVolumeResponse resp;
    grpc::Status s =
        cut->controller().CreateVolume(&ctx, testing::createRequest(name, protocol), &resp);
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

void countCalls() {
  Fixture f;
  std::string warm;
  f.create("warm-i", "iscsi", &warm);
  f.create("warm-n", "nfs", &warm);
  auto measure = [&](const char* what, auto&& op) {
    f.api.resetCounters();
    grpc::Status s = op();
    std::printf("  %-28s %2zu calls (%lld mutating)%s\n", what, f.api.callLog().size(),
                static_cast<long long>(f.api.mutatingCalls()), s.ok() ? "" : "  FAILED");
  };
  std::string iscsiId, nfsId;
  std::printf("TrueNAS calls per operation (warm):\n");
  measure("CreateVolume iSCSI", [&] { return f.create("pvc-i", "iscsi", &iscsiId); });
  measure("CreateVolume iSCSI (repeat)", [&] { return f.create("pvc-i", "iscsi", nullptr); });
  measure("CreateVolume NFS", [&] { return f.create("pvc-n", "nfs", &nfsId); });
  measure("ControllerPublish iSCSI", [&] {
    grpc::ClientContext ctx;
    csi::v1::ControllerPublishVolumeRequest req;
    req.set_volume_id(iscsiId);
    req.set_node_id("n1,iqn.2004-10.com.ubuntu:01:n1");
    *req.mutable_volume_capability() = testing::mountCapability();
    csi::v1::ControllerPublishVolumeResponse resp;
    return f.cut->controller().ControllerPublishVolume(&ctx, req, &resp);
  });
  measure("CreateSnapshot", [&] {
    grpc::ClientContext ctx;
    csi::v1::CreateSnapshotRequest req;
    req.set_name("snap-1");
    req.set_source_volume_id(nfsId);
    csi::v1::CreateSnapshotResponse resp;
    return f.cut->controller().CreateSnapshot(&ctx, req, &resp);
  });
  measure("DeleteVolume iSCSI", [&] { return f.del(iscsiId); });
  std::string plainNfs;
  f.create("pvc-n2", "nfs", &plainNfs);
  measure("DeleteVolume NFS", [&] { return f.del(plainNfs); });
}

void latency(int latencyMs, int perLevel) {
  Fixture f;
  f.api.setLatency(std::chrono::milliseconds(latencyMs));
  f.api.setConcurrencyLimit(10);
  std::string warm;
  f.create("warm", "iscsi", &warm);
  long idle = rssKiB();
  std::printf("\nCreateVolume (iSCSI) with %d ms per TrueNAS call, <= 10 calls running at once:\n",
              latencyMs);
  std::printf("  %-11s %8s %8s %8s %10s\n", "concurrency", "volumes", "p50 ms", "p99 ms",
              "volumes/s");
  long peak = idle;
  for (int concurrency : {1, 10, 50}) {
    int total = concurrency == 1 ? std::max(10, perLevel / 5) : perLevel;
    std::vector<double> samples(total);
    std::atomic<int> next{0}, failures{0};
    std::atomic<bool> done{false};
    std::thread sampler([&] {
      while (!done) {
        peak = std::max(peak, rssKiB());
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
    auto start = Clock::now();
    std::vector<std::thread> workers;
    for (int w = 0; w < concurrency; ++w) {
      workers.emplace_back([&, concurrency] {
        for (int i = next++; i < total; i = next++) {
          auto t0 = Clock::now();
          grpc::Status s = f.create("c" + std::to_string(concurrency) + "-" + std::to_string(i),
                                    "iscsi", nullptr);
          samples[i] = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
          if (!s.ok()) ++failures;
        }
      });
    }
    for (auto& w : workers) w.join();
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    done = true;
    sampler.join();
    std::sort(samples.begin(), samples.end());
    auto pct = [&](double p) {
      return samples[std::min<size_t>(samples.size() - 1, static_cast<size_t>(p * samples.size()))];
    };
    std::printf("  %-11d %8d %8.1f %8.1f %10.1f%s\n", concurrency, total, pct(0.50), pct(0.99),
                total / seconds, failures ? "  (failures!)" : "");
  }
  std::printf("\nRSS: idle %ld KiB, peak under load %ld KiB (%zu volumes in the fake)\n", idle,
              peak, f.api.datasetCount());
}

}  // namespace

int main(int argc, char** argv) {
  common::setLogLevel(common::LogLevel::kError);
  int latencyMs = argc > 1 ? std::atoi(argv[1]) : 20;
  int perLevel = argc > 2 ? std::atoi(argv[2]) : 100;
  countCalls();
  latency(latencyMs, perLevel);
  return 0;
}

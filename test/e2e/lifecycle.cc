// The end-to-end lifecycle (see lifecycle.h).
#include "test/e2e/lifecycle.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "test/e2e/node_checks.h"
#include "test/e2e/sim_state.h"

namespace tnascsi::e2e {
namespace {

constexpr size_t kDataBytes = 4 << 20;

uint64_t sizeOf(const std::string& path, bool block) {
  if (block) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    off_t end = ::lseek(fd, 0, SEEK_END);
    ::close(fd);
    return end < 0 ? 0 : static_cast<uint64_t>(end);
  }
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.f_blocks) * st.f_frsize;
}

class Runner {
 public:
  explicit Runner(const LifecycleConfig& c) : cfg_(c), spec_(c.spec), csi_(c.stack) {}

  LifecycleResult run();

 private:
  bool step(const std::string& name, const std::function<bool(std::string*)>& body) {
    return steps_.step(name, body);
  }

  std::string dataPath(const E2eVolume& v) const {
    return spec_.block ? v.target : v.target + "/data.bin";
  }

  bool expand(const E2eVolume& v, std::string* d);
  bool stats(const E2eVolume& v, std::string* d);
  bool nothingLeftOnNode(std::string* d) const;

  LifecycleConfig cfg_;
  VolumeSpec spec_;
  CsiCalls csi_;
  Steps steps_;
  std::string nodeId_;
  std::vector<std::string> sessionsBefore_, disksBefore_;
};

bool Runner::expand(const E2eVolume& v, std::string* d) {
  uint64_t before = sizeOf(v.target, spec_.block);
  int64_t want = spec_.sizeBytes * 2;
  bool nodeNeeded = false;
  {
    csi::v1::ControllerExpandVolumeRequest req;
    req.set_volume_id(v.id);
    req.mutable_capacity_range()->set_required_bytes(want);
    *req.mutable_volume_capability() = spec_.capability();
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    csi::v1::ControllerExpandVolumeResponse resp;
    grpc::Status s = csi_.controller().ControllerExpandVolume(&ctx, req, &resp);
    if (!s.ok()) {
      *d = CsiCalls::describe("ControllerExpandVolume", s);
      return false;
    }
    nodeNeeded = resp.node_expansion_required();
  }
  if (nodeNeeded) {
    csi::v1::NodeExpandVolumeRequest req;
    req.set_volume_id(v.id);
    req.set_volume_path(v.target);
    req.set_staging_target_path(v.staging);
    req.mutable_capacity_range()->set_required_bytes(want);
    *req.mutable_volume_capability() = spec_.capability();
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    csi::v1::NodeExpandVolumeResponse resp;
    grpc::Status s = csi_.node().NodeExpandVolume(&ctx, req, &resp);
    if (!s.ok()) {
      *d = CsiCalls::describe("NodeExpandVolume", s);
      return false;
    }
  }
  uint64_t after = sizeOf(v.target, spec_.block);
  *d = std::to_string(before >> 20) + " MiB -> " + std::to_string(after >> 20) + " MiB";
  // NFS reports the export's filesystem, which a quota change need not alter.
  return spec_.protocol == "nfs" || after > before;
}

bool Runner::stats(const E2eVolume& v, std::string* d) {
  csi::v1::NodeGetVolumeStatsRequest req;
  req.set_volume_id(v.id);
  req.set_volume_path(v.target);
  req.set_staging_target_path(v.staging);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  csi::v1::NodeGetVolumeStatsResponse resp;
  grpc::Status s = csi_.node().NodeGetVolumeStats(&ctx, req, &resp);
  if (!s.ok()) {
    *d = CsiCalls::describe("NodeGetVolumeStats", s);
    return false;
  }
  std::string u;
  for (const auto& usage : resp.usage()) {
    u += csi::v1::VolumeUsage::Unit_Name(usage.unit()) + " total=" + std::to_string(usage.total()) +
         " used=" + std::to_string(usage.used()) + "; ";
  }
  bool abnormal = resp.has_volume_condition() && resp.volume_condition().abnormal();
  *d = u + (abnormal ? "ABNORMAL: " + resp.volume_condition().message() : "condition ok");
  return resp.usage_size() > 0 && !abnormal;
}

bool Runner::nothingLeftOnNode(std::string* d) const {
  auto sessions = iscsiSessions();
  auto disks = scsiDisks();
  std::string left;
  if (sessions.size() > sessionsBefore_.size()) {
    left += std::to_string(sessions.size()) + " sessions; ";
  }
  if (disks.size() > disksBefore_.size()) left += std::to_string(disks.size()) + " SCSI disks; ";
  for (const auto& m : mountsUnder(cfg_.stack.kubeletDir)) left += "mount " + m + "; ";
  for (const auto& r : filesIn(cfg_.stack.stateDir + "/volumes")) left += "record " + r + "; ";
  *d = left.empty() ? "no sessions, disks, mounts or attach records" : left;
  return left.empty();
}

LifecycleResult Runner::run() {
  E2eVolume src{cfg_.name, "", "", "", {}, {}};
  E2eVolume clone{cfg_.name + "-clone", "", "", "", {}, {}};
  std::string snapshotId;
  std::string sum;
  SimCounts simBefore;

  bool ok = step("baseline (node + simulator)",
                 [&](std::string* d) {
                   sessionsBefore_ = iscsiSessions();
                   disksBefore_ = scsiDisks();
                   *d = std::to_string(sessionsBefore_.size()) + " sessions, " +
                        std::to_string(disksBefore_.size()) + " SCSI disks";
                   return readSimCounts(cfg_.stack.simUrl, &simBefore, d);
                 }) &&
            step("NodeGetInfo",
                 [&](std::string* d) {
                   grpc::Status s = csi_.nodeGetInfo(&nodeId_);
                   *d = s.ok() ? nodeId_ : CsiCalls::describe("NodeGetInfo", s);
                   return s.ok() && !nodeId_.empty();
                 }) &&
            step("CreateVolume",
                 [&](std::string* d) {
                   grpc::Status s = csi_.createVolume(src, spec_);
                   *d = s.ok() ? src.id : CsiCalls::describe("CreateVolume", s);
                   return s.ok();
                 }) &&
            step("publish + stage + publish",
                 [&](std::string* d) { return csi_.attach(src, spec_, nodeId_, d); }) &&
            step("write 4 MiB + checksum",
                 [&](std::string* d) {
                   sum = writePattern(dataPath(src), kDataBytes, 42, d);
                   if (!sum.empty()) *d = "fnv1a64 " + sum;
                   return !sum.empty();
                 }) &&
            step("CreateSnapshot",
                 [&](std::string* d) {
                   csi::v1::Snapshot snap;
                   grpc::Status s = csi_.createSnapshot(src.id, "snap-" + cfg_.name, &snap);
                   if (!s.ok()) {
                     *d = CsiCalls::describe("CreateSnapshot", s);
                     return false;
                   }
                   snapshotId = snap.snapshot_id();
                   *d = snapshotId + (snap.ready_to_use() ? " ready" : " NOT ready");
                   return snap.ready_to_use();
                 }) &&
            step("CreateVolume from snapshot",
                 [&](std::string* d) {
                   csi::v1::VolumeContentSource source;
                   source.mutable_snapshot()->set_snapshot_id(snapshotId);
                   grpc::Status s = csi_.createVolume(clone, spec_, &source);
                   *d = s.ok() ? clone.id : CsiCalls::describe("CreateVolume", s);
                   return s.ok();
                 }) &&
            step("clone: publish + stage + publish",
                 [&](std::string* d) { return csi_.attach(clone, spec_, nodeId_, d); }) &&
            step("clone: verify checksum",
                 [&](std::string* d) {
                   std::string c = checksum(dataPath(clone), kDataBytes, d);
                   if (c.empty()) return false;
                   *d = c == sum ? "matches" : "MISMATCH " + c + " != " + sum;
                   return c == sum;
                 }) &&
            step("ControllerExpand + NodeExpand online",
                 [&](std::string* d) { return expand(src, d); }) &&
            step("NodeGetVolumeStats", [&](std::string* d) { return stats(src, d); });

  // Teardown runs even after a failure, so a failed run leaves as little as possible behind.
  bool torn = true;
  auto deleteVolume = [&](const E2eVolume& v, std::string* d) {
    grpc::Status s = csi_.deleteVolume(v.id);
    if (!s.ok()) *d = CsiCalls::describe("DeleteVolume", s);
    return s.ok();
  };
  if (!clone.id.empty()) {
    torn &= step("clone: unpublish + unstage + unpublish",
                 [&](std::string* d) { return csi_.detach(clone, nodeId_, d); });
    torn &= step("clone: DeleteVolume", [&](std::string* d) { return deleteVolume(clone, d); });
  }
  if (!snapshotId.empty()) {
    torn &= step("DeleteSnapshot", [&](std::string* d) {
      grpc::Status s = csi_.deleteSnapshot(snapshotId);
      if (!s.ok()) *d = CsiCalls::describe("DeleteSnapshot", s);
      return s.ok();
    });
  }
  if (!src.id.empty()) {
    torn &= step("unpublish + unstage + unpublish",
                 [&](std::string* d) { return csi_.detach(src, nodeId_, d); });
    torn &= step("DeleteVolume", [&](std::string* d) { return deleteVolume(src, d); });
  }
  torn &= step("nothing left on the node", [&](std::string* d) { return nothingLeftOnNode(d); });
  torn &= step("nothing left on TrueNAS", [&](std::string* d) {
    return simBackToBaseline(cfg_.stack.simUrl, simBefore, kSweepWait, d);
  });
  LifecycleResult result;
  result.ok = ok && torn;
  result.steps = steps_.results();
  return result;
}

}  // namespace

LifecycleResult runLifecycle(const LifecycleConfig& config) {
  return Runner(config).run();
}

}  // namespace tnascsi::e2e

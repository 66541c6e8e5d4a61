// Fault scenarios on the data path: the target restarted during I/O, and the SCSI disk deleted
// behind the agent's back before unstage (see faults.h).
#include <sys/stat.h>

#include <chrono>
#include <thread>

#include "test/e2e/faults_env.h"

namespace tnascsi::e2e {
namespace {

constexpr uint64_t kBeforeBytes = 2 << 20;
constexpr size_t kWriterChunk = 64 << 10;

VolumeSpec smallExt4() {
  VolumeSpec spec;
  spec.protocol = "iscsi";
  spec.fsType = "ext4";
  spec.sizeBytes = 64LL << 20;
  return spec;
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::string secs(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

}  // namespace

// 1. A writer streams fsynced chunks to a published ext4 volume; the target's TPG is disabled
//    (LIO drops the session, as when TrueNAS reboots) for cfg.outageSeconds, then enabled again.
//    The session must come back (iscsid recovery or the agent's re-login), the writer must resume,
//    every byte fsynced before and after must read back intact from the device, and
//    NodeGetVolumeStats must report abnormal during the outage and ok afterwards.
bool scenarioTargetRestart(FaultRun& run) {
  VolumeSpec spec = smallExt4();
  E2eVolume v{"pvc-fault-target", "", "", "", {}, {}};
  bool ok = run.baseline() && run.create(v, spec) && run.attach(v, spec);
  const std::string iqn = FaultRun::iqnOf(v);
  const std::string enable = run.config().configfsRoot + "/iscsi/" + iqn + "/tpgt_1/enable";
  PatternWriter writer(v.target + "/during.bin", 7, kWriterChunk);
  FaultRun::SessionInfo before;
  std::string beforeSum;
  bool down = false;
  auto downAt = std::chrono::steady_clock::now();
  uint64_t syncedAtDown = 0, syncedAtUp = 0;

  ok = ok && run.step("write 2 MiB + fsync before the fault", [&](std::string* d) {
    if (!writePatternFile(v.target + "/before.bin", kBeforeBytes, 5, d)) return false;
    beforeSum = patternChecksum(5, kBeforeBytes);
    *d = "fnv1a64 " + beforeSum;
    return true;
  });
  ok = ok && run.step("writer streaming fsynced 64 KiB chunks", [&](std::string* d) {
    writer.start();
    double t = waitUntil([&] { return writer.bytesSynced() >= 8 * kWriterChunk; }, 60);
    *d = std::to_string(writer.bytesSynced() >> 10) + " KiB synced " + writer.error();
    return t >= 0;
  });
  ok = ok && run.step("target away (TPG disabled) until the session fails", [&](std::string* d) {
    before = FaultRun::session(iqn);
    if (!before.found) {
      *d = "no session to " + iqn;
      return false;
    }
    if (!FaultRun::writeAttr(enable, "0", d)) return false;
    down = true;
    downAt = std::chrono::steady_clock::now();
    syncedAtDown = writer.bytesSynced();
    FaultRun::SessionInfo now;
    double t = waitUntil(
        [&] {
          now = FaultRun::session(iqn);
          return !now.found || now.state != "LOGGED_IN";
        },
        30);
    *d = before.name + " " + (now.found ? now.state : "gone") + " after " + secs(t);
    return t >= 0;
  });
  ok = ok && run.step("NodeGetVolumeStats during the outage: abnormal", [&](std::string* d) {
    bool abnormal = false;
    return run.volumeCondition(v, &abnormal, d) && abnormal;
  });
  ok = ok && run.step("outage held", [&](std::string* d) {
    auto until = downAt + std::chrono::seconds(run.config().outageSeconds);
    std::this_thread::sleep_until(until);
    FaultRun::SessionInfo now = FaultRun::session(iqn);
    uint64_t during = writer.bytesSynced() - syncedAtDown;
    *d = std::to_string(run.config().outageSeconds) + " s; session " +
         (now.found ? now.name + " " + now.state : "gone") + "; writer synced " +
         std::to_string(during >> 10) + " KiB meanwhile (blocked)";
    return true;
  });
  if (down) {  // always bring the target back, even after a failed step
    bool back = run.step("target back (TPG enabled)", [&](std::string* d) {
      if (!FaultRun::writeAttr(enable, "1", d)) return false;
      *d = "enabled after " +
           secs(std::chrono::duration<double>(std::chrono::steady_clock::now() - downAt).count());
      return true;
    });
    ok = ok && back;
  }
  ok = ok && run.step("session logged in again", [&](std::string* d) {
    FaultRun::SessionInfo now;
    double t = waitUntil(
        [&] {
          now = FaultRun::session(iqn);
          return now.found && now.state == "LOGGED_IN";
        },
        120);
    syncedAtUp = writer.bytesSynced();
    *d = (now.found ? now.name + " " + now.state : std::string("no session")) + " after " +
         secs(t) +
         (now.name == before.name ? " (same session: iscsid recovered it)"
                                  : " (new session: re-login)");
    return t >= 0;
  });
  ok = ok && run.step("writer resumes (1 MiB more, fsynced)", [&](std::string* d) {
    double t = waitUntil([&] { return writer.bytesSynced() >= syncedAtUp + (1 << 20); }, 60);
    writer.stop();
    std::string err = writer.error();
    *d = std::to_string(writer.bytesSynced() >> 10) + " KiB synced in all" +
         (err.empty() ? "" : "; writer error: " + err) + (t < 0 ? "; no progress" : "");
    return t >= 0 && err.empty();
  });
  writer.stop();
  ok = ok && run.step("data fsynced before and after the outage intact", [&](std::string* d) {
    if (!dropCaches(d)) return false;
    std::string a = fileChecksum(v.target + "/before.bin", kBeforeBytes, d);
    uint64_t n = writer.bytesSynced();
    std::string b = fileChecksum(v.target + "/during.bin", n, d);
    if (a.empty() || b.empty()) return false;
    std::string wantB = patternChecksum(7, n);
    *d = "before.bin " + (a == beforeSum ? "matches" : "MISMATCH " + a) + "; during.bin (" +
         std::to_string(n >> 10) + " KiB) " + (b == wantB ? "matches" : "MISMATCH " + b);
    return a == beforeSum && b == wantB;
  });
  ok = ok && run.step("NodeGetVolumeStats: condition ok again", [&](std::string* d) {
    bool abnormal = true;
    double t =
        waitUntil([&] { return run.volumeCondition(v, &abnormal, d) && !abnormal; }, 30, 1000);
    return t >= 0;
  });
  bool torn = run.teardown(v);
  return run.nothingLeft() && torn && ok;
}

// 1b. The session of a staged raw-block volume is logged out behind the agent's back (destroyed,
//     not recovering: iscsid will not bring it back). The agent's self-healing must log in again,
//     the LUN must come back with the data written before, and the condition must be ok again.
bool scenarioSessionDestroyed(FaultRun& run) {
  VolumeSpec spec;
  spec.block = true;
  spec.sizeBytes = 64LL << 20;
  E2eVolume v{"pvc-fault-relogin", "", "", "", {}, {}};
  bool ok = run.baseline() && run.create(v, spec);
  ok = ok && run.step("ControllerPublish + NodeStage (block)", [&](std::string* d) {
    grpc::Status s = run.csi().controllerPublish(v, spec, run.nodeId());
    if (!s.ok() && s.error_code() != grpc::StatusCode::UNIMPLEMENTED) {
      *d = CsiCalls::describe("ControllerPublishVolume", s);
      return false;
    }
    s = run.nodeStage(v, spec);
    *d = s.ok() ? "staged" : CsiCalls::describe("NodeStageVolume", s);
    return s.ok();
  });
  const std::string iqn = FaultRun::iqnOf(v);
  const int lun = FaultRun::lunOf(v);
  E2eVolume probe = v;
  probe.target = v.staging;  // staged only: stats on the staging path
  std::string sum;
  FaultRun::SessionInfo before;
  ok = ok && run.step("write 1 MiB to the LUN + fsync", [&](std::string* d) {
    std::string disk = FaultRun::sessionDisk(iqn, lun);
    if (disk.empty()) {
      *d = "no disk for the session";
      return false;
    }
    if (!writePatternFile("/dev/" + disk, 1 << 20, 19, d)) return false;
    sum = patternChecksum(19, 1 << 20);
    *d = "/dev/" + disk + " fnv1a64 " + sum;
    return true;
  });
  ok = ok && run.step("iscsiadm logs the session out behind the agent's back", [&](std::string* d) {
    before = FaultRun::session(iqn);
    std::string out;
    int rc = runCommand({"iscsiadm", "-m", "session", "-r", before.name.substr(7), "-u"}, &out);
    double t = waitUntil([&] { return FaultRun::session(iqn).name != before.name; }, 20, 50);
    *d = before.name + ": iscsiadm exit " + std::to_string(rc) +
         (t >= 0 ? ", gone after " + secs(t) : ", still there");
    return rc == 0 && t >= 0;
  });
  ok = ok && run.step("self-healing logs in again and the LUN is back", [&](std::string* d) {
    FaultRun::SessionInfo now;
    std::string disk;
    double t = waitUntil(
        [&] {
          now = FaultRun::session(iqn);
          disk = FaultRun::sessionDisk(iqn, lun);
          return now.found && now.state == "LOGGED_IN" && !disk.empty();
        },
        60);
    *d = (now.found ? now.name + " " + now.state : std::string("no session")) + ", disk " +
         (disk.empty() ? "(none)" : disk) + " after " + secs(t);
    return t >= 0 && now.name != before.name;
  });
  ok = ok && run.step("data intact through the new disk", [&](std::string* d) {
    std::string disk = FaultRun::sessionDisk(iqn, lun);
    if (!dropCaches(d)) return false;
    std::string now = fileChecksum("/dev/" + disk, 1 << 20, d);
    if (now.empty()) return false;
    *d = "/dev/" + disk + (now == sum ? " matches" : " MISMATCH " + now);
    return now == sum;
  });
  ok = ok && run.step("NodeGetVolumeStats: condition ok", [&](std::string* d) {
    bool abnormal = true;
    return waitUntil([&] { return run.volumeCondition(probe, &abnormal, d) && !abnormal; }, 20,
                     1000) >= 0;
  });
  bool torn = run.teardown(v);
  return run.nothingLeft() && torn && ok;
}

// 2. The SCSI disk of a staged+published volume is deleted through sysfs behind the agent's back;
//    NodeUnpublish and NodeUnstage must still succeed and leave no session and no record.
bool scenarioDeviceDeleted(FaultRun& run) {
  VolumeSpec spec = smallExt4();
  E2eVolume v{"pvc-fault-deleted", "", "", "", {}, {}};
  bool ok = run.baseline() && run.create(v, spec) && run.attach(v, spec);
  ok = ok && run.step("write 1 MiB + fsync", [&](std::string* d) {
    return writePatternFile(v.target + "/data.bin", 1 << 20, 3, d);
  });
  ok = ok && run.step("delete the SCSI disk (echo 1 > device/delete)", [&](std::string* d) {
    std::string disk = FaultRun::sessionDisk(FaultRun::iqnOf(v), FaultRun::lunOf(v));
    if (disk.empty()) {
      *d = "no disk found for the session";
      return false;
    }
    if (!FaultRun::writeAttr("/sys/block/" + disk + "/device/delete", "1", d)) return false;
    double t = waitUntil([&] { return !exists("/sys/block/" + disk); }, 20);
    *d = disk + (t >= 0 ? " gone after " + secs(t) : " still present");
    return t >= 0;
  });
  // What the agent tells kubelet meanwhile: self-healing may rescan the LUN back as another disk
  // while the staged filesystem still sits on the deleted one; either way it is not healthy.
  ok =
      ok && run.step("NodeGetVolumeStats after self-healing passes: abnormal", [&](std::string* d) {
        std::this_thread::sleep_for(std::chrono::seconds(run.config().healWaitSeconds));
        bool abnormal = false;
        std::string disk = FaultRun::sessionDisk(FaultRun::iqnOf(v), FaultRun::lunOf(v));
        std::string probe = v.target + "/probe.bin";
        std::string err;
        bool writable = writePatternFile(probe, 4096, 1, &err);
        if (!run.volumeCondition(v, &abnormal, d)) return false;
        *d += "; LUN " + (disk.empty() ? std::string("not rescanned") : "rescanned as " + disk) +
              "; the published filesystem " +
              (writable ? std::string("still accepts fsynced writes") : "fails: " + err);
        return abnormal;
      });
  ok = ok && run.step("NodeUnpublishVolume", [&](std::string* d) {
    std::string disk = FaultRun::sessionDisk(FaultRun::iqnOf(v), FaultRun::lunOf(v));
    grpc::Status s = run.nodeUnpublish(v);
    *d = s.ok() ? "OK" : CsiCalls::describe("NodeUnpublishVolume", s);
    if (!disk.empty()) *d += " (the LUN was back as " + disk + ": self-healing rescanned it)";
    return s.ok();
  });
  ok = ok && run.step("NodeUnstageVolume", [&](std::string* d) {
    grpc::Status s = run.nodeUnstage(v);
    *d = s.ok() ? "OK" : CsiCalls::describe("NodeUnstageVolume", s);
    return s.ok();
  });
  ok = ok && run.step("no session, disk or record right after unstage",
                      [&](std::string* d) { return run.nodeClean(d); });
  bool torn = run.teardown(v);
  return run.nothingLeft() && torn && ok;
}

}  // namespace tnascsi::e2e

// Fault scenarios on the device's identity and content: a volume context whose serial/NAA does
// not match the LUN, and LUNs that already carry another filesystem or a partition table. Each
// NodeStage must fail FAILED_PRECONDITION without writing to the LUN (its backing file's first
// MiBs checksum the same before and after) and without leaking a session or a record.
#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "test/e2e/faults_env.h"

namespace tnascsi::e2e {
namespace {

constexpr uint64_t kCheckedBytes = 4 << 20;

// ControllerPublish (UNIMPLEMENTED is fine) and the LUN's backing file.
bool publishAndFindBacking(FaultRun& run, E2eVolume& v, const VolumeSpec& spec, std::string* file) {
  return run.step("ControllerPublishVolume + find the LUN's backing file", [&](std::string* d) {
    grpc::Status s = run.csi().controllerPublish(v, spec, run.nodeId());
    if (!s.ok() && s.error_code() != grpc::StatusCode::UNIMPLEMENTED) {
      *d = CsiCalls::describe("ControllerPublishVolume", s);
      return false;
    }
    *file = run.backingFile(FaultRun::iqnOf(v), FaultRun::lunOf(v), d);
    if (file->empty()) return false;
    *d = *file;
    return true;
  });
}

// NodeStage must fail FAILED_PRECONDITION with a message containing `needle`.
bool stageRefused(FaultRun& run, const std::string& name, const E2eVolume& v,
                  const VolumeSpec& spec, const std::string& needle) {
  return run.step(name, [&](std::string* d) {
    grpc::Status s = run.nodeStage(v, spec);
    *d = s.ok() ? "NodeStageVolume succeeded" : CsiCalls::describe("NodeStageVolume", s);
    return s.error_code() == grpc::StatusCode::FAILED_PRECONDITION &&
           s.error_message().find(needle) != std::string::npos;
  });
}

// The backing file's first MiBs still checksum `want`, and blkid reports `expect` ("" = nothing)
// for `tag` (TYPE or PTTYPE).
bool untouched(FaultRun& run, const std::string& file, const std::string& want,
               const std::string& tag, const std::string& expect) {
  return run.step("LUN untouched (checksum + blkid)", [&](std::string* d) {
    std::string now = fileChecksum(file, kCheckedBytes, d);
    if (now.empty()) return false;
    std::string out;
    int rc = runCommand({"blkid", "-p", "-o", "value", "-s", tag, file}, &out);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    std::string found = rc == 0 ? out : "";
    *d = "first 4 MiB " + (now == want ? "unchanged" : "CHANGED " + now + " != " + want) +
         "; blkid " + tag + "=" + (found.empty() ? "(none)" : found);
    return now == want && found == expect;
  });
}

bool nodeNotLeaked(FaultRun& run) {
  return run.step("no session, disk, mount or record leaked",
                  [&](std::string* d) { return run.nodeClean(d); });
}

// A DOS partition table with one Linux partition over the whole LUN, after wiping the first MiB.
bool writeMbr(const std::string& file, std::string* error) {
  int fd = ::open(file.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    *error = "open " + file + ": " + std::strerror(errno);
    return false;
  }
  off_t size = ::lseek(fd, 0, SEEK_END);
  std::vector<unsigned char> head(1 << 20, 0);
  uint32_t start = 2048;
  uint32_t count = static_cast<uint32_t>(size / 512) - start;
  unsigned char* e = head.data() + 446;
  e[4] = 0x83;  // Linux
  for (int i = 0; i < 4; ++i) {
    e[8 + i] = static_cast<unsigned char>(start >> (8 * i));
    e[12 + i] = static_cast<unsigned char>(count >> (8 * i));
  }
  head[440] = 0x5a;  // disk identifier
  head[441] = 0x17;
  head[510] = 0x55;
  head[511] = 0xaa;
  bool ok = ::pwrite(fd, head.data(), head.size(), 0) == static_cast<ssize_t>(head.size()) &&
            ::fsync(fd) == 0;
  if (!ok) *error = "write " + file + ": " + std::strerror(errno);
  ::close(fd);
  return ok;
}

}  // namespace

// 3. NodeStage with a volume context whose serial and NAA name another LUN.
bool scenarioSerialMismatch(FaultRun& run) {
  VolumeSpec spec;
  spec.sizeBytes = 64LL << 20;
  E2eVolume v{"pvc-fault-serial", "", "", "", {}, {}};
  std::string file, sum;
  bool ok = run.baseline() && run.create(v, spec) && publishAndFindBacking(run, v, spec, &file);
  ok = ok && run.step("checksum the LUN's first 4 MiB", [&](std::string* d) {
    sum = fileChecksum(file, kCheckedBytes, d);
    if (!sum.empty()) *d = "fnv1a64 " + sum;
    return !sum.empty();
  });
  E2eVolume wrong = v;
  for (auto* ctx : {&wrong.volumeContext, &wrong.publishContext}) {
    if (ctx->count("serial")) (*ctx)["serial"] = "FAULTS0SERIAL0NOT0THIS0LUN";
    if (ctx->count("naa")) (*ctx)["naa"] = "naa.6001405deadbeef0123456789abcdef";
  }
  ok = ok && stageRefused(run, "NodeStage with another LUN's serial/NAA: FAILED_PRECONDITION",
                          wrong, spec, "serial");
  ok = ok && untouched(run, file, sum, "TYPE", "") && nodeNotLeaked(run);
  bool torn = run.teardown(v);
  return run.nothingLeft() && torn && ok;
}

// 4. An ext4 volume whose LUN already holds xfs, then a DOS partition table.
bool scenarioForeignContent(FaultRun& run) {
  VolumeSpec spec;
  spec.sizeBytes = 320LL << 20;  // mkfs.xfs refuses less than 300 MB
  E2eVolume v{"pvc-fault-foreign", "", "", "", {}, {}};
  std::string file, sum;
  bool ok = run.baseline() && run.create(v, spec) && publishAndFindBacking(run, v, spec, &file);
  ok = ok && run.step("mkfs.xfs on the LUN behind the driver's back", [&](std::string* d) {
    std::string out;
    int rc = runCommand({"mkfs.xfs", "-q", "-f", file}, &out);
    if (rc != 0) {
      *d = "mkfs.xfs exit " + std::to_string(rc) + ": " + out;
      return false;
    }
    sum = fileChecksum(file, kCheckedBytes, d);
    if (!sum.empty()) *d = "fnv1a64 " + sum;
    return !sum.empty();
  });
  ok = ok && stageRefused(run, "NodeStage ext4 over xfs: FAILED_PRECONDITION", v, spec, "xfs");
  ok = ok && untouched(run, file, sum, "TYPE", "xfs") && nodeNotLeaked(run);
  ok = ok && run.step("write a DOS partition table to the LUN", [&](std::string* d) {
    if (!writeMbr(file, d)) return false;
    sum = fileChecksum(file, kCheckedBytes, d);
    if (!sum.empty()) *d = "fnv1a64 " + sum;
    return !sum.empty();
  });
  ok = ok && stageRefused(run, "NodeStage over a partition table: FAILED_PRECONDITION", v, spec,
                          "partition");
  ok = ok && untouched(run, file, sum, "PTTYPE", "dos") && nodeNotLeaked(run);
  bool torn = run.teardown(v);
  return run.nothingLeft() && torn && ok;
}

}  // namespace tnascsi::e2e

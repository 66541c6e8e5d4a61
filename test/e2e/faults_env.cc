// FaultRun (see faults_env.h).
#include "test/e2e/faults_env.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "test/e2e/node_checks.h"

namespace tnascsi::e2e {
namespace fs = std::filesystem;

namespace {

std::string firstLine(const fs::path& p) {
  std::ifstream in(p);
  std::string s;
  std::getline(in, s);
  return s;
}

bool writeAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// A whole-number field of /proc or sysfs text; -1 when absent or malformed.
long number(const std::string& text) {
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(text.c_str(), &end, 10);
  return (end == text.c_str() || errno != 0) ? -1 : v;
}

}  // namespace

std::string AgentSample::text() const {
  return "pid " + std::to_string(pid) + " VmRSS " + std::to_string(rssKb) + " kB, VmHWM " +
         std::to_string(hwmKb) + " kB, " + std::to_string(threads) + " threads, " +
         std::to_string(fds) + " fds";
}

FaultRun::FaultRun(const FaultsConfig& config, std::string scenario)
    : cfg_(config), scenario_(std::move(scenario)), csi_(config.stack) {}

ScenarioResult FaultRun::finish(bool ok, double seconds) const {
  ScenarioResult r;
  r.name = scenario_;
  r.ok = ok && steps_.allOk();
  r.seconds = seconds;
  r.steps = steps_.results();
  if (retries_ > 0) {
    r.steps.push_back(StepResult{"retried answers", 0, true,
                                 std::to_string(retries_) + " retries: " + retryLog_});
  }
  return r;
}

grpc::Status FaultRun::retrying(const char* what, const std::function<grpc::Status()>& call) {
  grpc::Status s = call();
  for (int i = 0; i < 60; ++i) {
    if (s.error_code() != grpc::StatusCode::ABORTED &&
        s.error_code() != grpc::StatusCode::UNAVAILABLE) {
      break;
    }
    ++retries_;
    std::string line = CsiCalls::describe(what, s) + "; ";
    if (retryLog_.find(line) == std::string::npos) retryLog_ += line;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    s = call();
  }
  return s;
}

grpc::Status FaultRun::nodeStage(const E2eVolume& v, const VolumeSpec& spec) {
  return retrying("NodeStageVolume", [&] { return csi_.nodeStage(v, spec); });
}

grpc::Status FaultRun::nodeUnstage(const E2eVolume& v) {
  return retrying("NodeUnstageVolume", [&] { return csi_.nodeUnstage(v); });
}

grpc::Status FaultRun::nodePublish(const E2eVolume& v, const VolumeSpec& spec) {
  return retrying("NodePublishVolume", [&] { return csi_.nodePublish(v, spec); });
}

grpc::Status FaultRun::nodeUnpublish(const E2eVolume& v) {
  return retrying("NodeUnpublishVolume", [&] { return csi_.nodeUnpublish(v); });
}

bool FaultRun::baseline() {
  return step("baseline (node + simulator)",
              [&](std::string* d) {
                sessionsBefore_ = iscsiSessions();
                disksBefore_ = scsiDisks();
                *d = std::to_string(sessionsBefore_.size()) + " sessions, " +
                     std::to_string(disksBefore_.size()) + " SCSI disks";
                return readSimCounts(cfg_.stack.simUrl, &simBefore_, d);
              }) &&
         step("NodeGetInfo", [&](std::string* d) {
           grpc::Status s = csi_.nodeGetInfo(&nodeId_);
           *d = s.ok() ? nodeId_ : CsiCalls::describe("NodeGetInfo", s);
           return s.ok() && !nodeId_.empty();
         });
}

bool FaultRun::create(E2eVolume& v, const VolumeSpec& spec) {
  csi_.setPaths(v, spec);
  return step("CreateVolume " + v.name, [&](std::string* d) {
    grpc::Status s = csi_.createVolume(v, spec);
    *d = s.ok() ? v.id : CsiCalls::describe("CreateVolume", s);
    return s.ok();
  });
}

bool FaultRun::attach(E2eVolume& v, const VolumeSpec& spec) {
  return step("publish + stage + publish " + v.name, [&](std::string* d) {
    csi_.setPaths(v, spec);
    grpc::Status s = csi_.controllerPublish(v, spec, nodeId_);
    if (!s.ok() && s.error_code() != grpc::StatusCode::UNIMPLEMENTED) {
      *d = CsiCalls::describe("ControllerPublishVolume", s);
      return false;
    }
    if (s = nodeStage(v, spec); !s.ok()) {
      *d = CsiCalls::describe("NodeStageVolume", s);
      return false;
    }
    if (s = nodePublish(v, spec); !s.ok()) {
      *d = CsiCalls::describe("NodePublishVolume", s);
      return false;
    }
    return true;
  });
}

bool FaultRun::teardown(const E2eVolume& v) {
  if (v.id.empty()) return true;
  return step("teardown " + v.name, [&](std::string* d) {
    grpc::Status s;
    if (!v.target.empty() && !(s = nodeUnpublish(v)).ok()) {
      *d = CsiCalls::describe("NodeUnpublishVolume", s);
      return false;
    }
    if (!v.staging.empty() && !(s = nodeUnstage(v)).ok()) {
      *d = CsiCalls::describe("NodeUnstageVolume", s);
      return false;
    }
    s = csi_.controllerUnpublish(v, nodeId_);
    if (!s.ok() && s.error_code() != grpc::StatusCode::UNIMPLEMENTED) {
      *d = CsiCalls::describe("ControllerUnpublishVolume", s);
      return false;
    }
    if (!(s = csi_.deleteVolume(v.id)).ok()) {
      *d = CsiCalls::describe("DeleteVolume", s);
      return false;
    }
    *d = "unpublished, unstaged, detached, deleted";
    return true;
  });
}

bool FaultRun::nodeClean(std::string* d, size_t allowedExtraSessions) const {
  auto sessions = iscsiSessions();
  auto disks = scsiDisks();
  std::string left;
  if (sessions.size() > sessionsBefore_.size() + allowedExtraSessions) {
    left += std::to_string(sessions.size()) + " sessions (";
    for (const auto& s : sessions) left += s + ", ";
    left += "); ";
  }
  if (disks.size() > disksBefore_.size() + allowedExtraSessions) {
    left += std::to_string(disks.size()) + " SCSI disks; ";
  }
  for (const auto& m : mountsUnder(cfg_.stack.kubeletDir)) left += "mount " + m + "; ";
  for (const auto& r : filesIn(cfg_.stack.stateDir + "/volumes")) left += "record " + r + "; ";
  for (const auto& r : filesIn(cfg_.stack.stateDir + "/sessions"))
    left += "session marker " + r + "; ";
  *d = left.empty()
           ? std::to_string(sessions.size()) + " sessions, " + std::to_string(disks.size()) +
                 " SCSI disks, no mounts, records or session markers"
           : left;
  return left.empty();
}

bool FaultRun::nothingLeft(size_t allowedExtraSessions) {
  bool node = step("nothing left on the node",
                   [&](std::string* d) { return nodeClean(d, allowedExtraSessions); });
  bool sim = step("nothing left on TrueNAS", [&](std::string* d) {
    return simBackToBaseline(cfg_.stack.simUrl, simBefore_, kSweepWait, d);
  });
  return node && sim;
}

bool FaultRun::volumeCondition(const E2eVolume& v, bool* abnormal, std::string* d) {
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
  *abnormal = resp.has_volume_condition() && resp.volume_condition().abnormal();
  *d = *abnormal ? "abnormal: " + resp.volume_condition().message()
                 : "condition ok" + std::string(resp.has_volume_condition()
                                                    ? " (" + resp.volume_condition().message() + ")"
                                                    : "");
  return true;
}

FaultRun::SessionInfo FaultRun::session(const std::string& iqn) {
  SessionInfo out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/sys/class/iscsi_session", ec)) {
    if (firstLine(e.path() / "targetname") != iqn) continue;
    out.found = true;
    out.name = e.path().filename().string();
    out.state = firstLine(e.path() / "state");
    return out;
  }
  return out;
}

std::string FaultRun::sessionDisk(const std::string& iqn, int lun) {
  SessionInfo s = session(iqn);
  if (!s.found) return "";
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/sys/block", ec)) {
    fs::path dev = fs::canonical(e.path() / "device", ec);
    if (ec) continue;
    std::string p = dev.string();
    std::string leaf = dev.filename().string();
    std::string suffix = ":" + std::to_string(lun);
    if (p.find("/" + s.name + "/") != std::string::npos && leaf.size() > suffix.size() &&
        leaf.compare(leaf.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return e.path().filename().string();
    }
  }
  return "";
}

std::string FaultRun::backingFile(const std::string& iqn, int lun, std::string* error) const {
  fs::path dir = fs::path(cfg_.configfsRoot) / "iscsi" / iqn / "tpgt_1" / "lun" /
                 ("lun_" + std::to_string(lun));
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (!e.is_symlink(ec)) continue;
    fs::path backstore = fs::canonical(e.path(), ec);
    if (ec) continue;
    std::string file = firstLine(backstore / "udev_path");
    if (!file.empty()) return file;
  }
  *error =
      "no backstore with a udev_path under " + dir.string() + (ec ? " (" + ec.message() + ")" : "");
  return "";
}

bool FaultRun::writeAttr(const std::string& path, const std::string& value, std::string* error) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = "open " + path + ": " + std::strerror(errno);
    return false;
  }
  bool ok = writeAll(fd, value.data(), value.size());
  if (!ok) *error = "write " + value + " to " + path + ": " + std::strerror(errno);
  ::close(fd);
  return ok;
}

bool FaultRun::hook(const std::vector<std::string>& args, std::string* d) {
  std::vector<std::string> argv = cfg_.hook;
  argv.insert(argv.end(), args.begin(), args.end());
  std::string out;
  int rc = runCommand(argv, &out);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  *d = out;
  if (rc != 0) *d = "hook exit " + std::to_string(rc) + ": " + out;
  return rc == 0;
}

AgentSample FaultRun::sampleAgent() const {
  AgentSample s;
  s.pid = static_cast<int>(number(firstLine(cfg_.agentPidFile)));
  if (s.pid <= 0) return s;
  fs::path proc = "/proc/" + std::to_string(s.pid);
  std::ifstream in(proc / "status");
  std::string line;
  while (std::getline(in, line)) {
    auto num = [&](const char* key, long* out) {
      size_t n = std::strlen(key);
      if (line.compare(0, n, key) == 0) *out = number(line.substr(n));
    };
    num("VmRSS:", &s.rssKb);
    num("VmHWM:", &s.hwmKb);
    num("RssAnon:", &s.anonKb);
    num("RssFile:", &s.fileKb);
    num("Threads:", &s.threads);
  }
  std::ifstream rollup(proc / "smaps_rollup");  // Pss: shared library pages split among users
  while (std::getline(rollup, line)) {
    if (line.compare(0, 4, "Pss:") == 0) s.pssKb = number(line.substr(4));
  }
  std::error_code ec;
  long fds = 0;
  for (auto it = fs::directory_iterator(proc / "fd", ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    ++fds;
  }
  if (!ec) s.fds = fds;
  return s;
}

std::string FaultRun::iqnOf(const E2eVolume& v) {
  auto it = v.publishContext.find("iqn");
  if (it != v.publishContext.end()) return it->second;
  it = v.volumeContext.find("iqn");
  return it == v.volumeContext.end() ? "" : it->second;
}

int FaultRun::lunOf(const E2eVolume& v) {
  auto it = v.publishContext.find("lun");
  if (it != v.publishContext.end()) return static_cast<int>(number(it->second));
  it = v.volumeContext.find("lun");
  return it == v.volumeContext.end() ? 0 : static_cast<int>(number(it->second));
}

}  // namespace tnascsi::e2e

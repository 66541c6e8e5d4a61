// FaultRun and its helpers (see faults_env.h).
#include "test/e2e/faults_env.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "test/e2e/node_checks.h"

namespace tnascsi::e2e {
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kFnvOffset = 1469598103934665603ULL;
constexpr uint64_t kFnvPrime = 1099511628211ULL;

uint64_t splitmix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

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

}  // namespace

int runCommand(const std::vector<std::string>& argv, std::string* output) {
  if (argv.empty()) return -1;
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return -1;
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    return -1;
  }
  if (pid == 0) {
    ::dup2(pipefd[1], 1);
    ::dup2(pipefd[1], 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(pipefd[1]);
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(pipefd[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(pipefd[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (output) *output = out;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

double waitUntil(const std::function<bool()>& done, double timeoutSec, int pollMs) {
  auto t0 = std::chrono::steady_clock::now();
  for (;;) {
    double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (done()) return waited;
    if (waited >= timeoutSec) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(pollMs));
  }
}

bool dropCaches(std::string* error) {
  ::sync();
  return FaultRun::writeAttr("/proc/sys/vm/drop_caches", "3", error);
}

void fillPattern(char* buf, size_t len, uint64_t seed, uint64_t offset) {
  for (size_t i = 0; i < len; ++i) {
    uint64_t o = offset + i;
    uint64_t word = splitmix(seed * 0x100000001b3ULL ^ (o >> 3));
    buf[i] = static_cast<char>((word >> ((o & 7) * 8)) & 0xff);
  }
}

std::string patternChecksum(uint64_t seed, uint64_t bytes) {
  uint64_t h = kFnvOffset;
  std::vector<char> buf(1 << 16);
  for (uint64_t off = 0; off < bytes; off += buf.size()) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), bytes - off));
    fillPattern(buf.data(), n, seed, off);
    for (size_t i = 0; i < n; ++i) h = (h ^ static_cast<unsigned char>(buf[i])) * kFnvPrime;
  }
  return hex64(h);
}

std::string fileChecksum(const std::string& path, uint64_t bytes, std::string* error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = "open " + path + ": " + std::strerror(errno);
    return "";
  }
  uint64_t h = kFnvOffset;
  std::vector<char> buf(1 << 16);
  uint64_t done = 0;
  while (done < bytes) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), bytes - done));
    ssize_t n = ::read(fd, buf.data(), want);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *error = "read " + path + " at " + std::to_string(done) + ": " +
               (n == 0 ? std::string("short file") : std::strerror(errno));
      ::close(fd);
      return "";
    }
    for (ssize_t i = 0; i < n; ++i) h = (h ^ static_cast<unsigned char>(buf[i])) * kFnvPrime;
    done += static_cast<uint64_t>(n);
  }
  ::close(fd);
  return hex64(h);
}

bool writePatternFile(const std::string& path, uint64_t bytes, uint64_t seed, std::string* error) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = "open " + path + ": " + std::strerror(errno);
    return false;
  }
  std::vector<char> buf(1 << 16);
  for (uint64_t off = 0; off < bytes; off += buf.size()) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), bytes - off));
    fillPattern(buf.data(), n, seed, off);
    if (!writeAll(fd, buf.data(), n)) {
      *error = "write " + path + ": " + std::strerror(errno);
      ::close(fd);
      return false;
    }
  }
  if (::fsync(fd) != 0) {
    *error = "fsync " + path + ": " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  ::close(fd);
  return true;
}

PatternWriter::PatternWriter(std::string path, uint64_t seed, size_t chunk)
    : path_(std::move(path)), seed_(seed), chunk_(chunk) {}

PatternWriter::~PatternWriter() {
  stop();
}

void PatternWriter::start() {
  stop_ = false;
  thread_ = std::thread([this] { loop(); });
}

void PatternWriter::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::string PatternWriter::error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

void PatternWriter::loop() {
  auto fail = [&](const std::string& what) {
    std::lock_guard<std::mutex> lock(mu_);
    error_ =
        what + " " + path_ + " at " + std::to_string(synced_.load()) + ": " + std::strerror(errno);
  };
  int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    fail("open");
    return;
  }
  std::vector<char> buf(chunk_);
  uint64_t off = 0;
  while (!stop_) {
    fillPattern(buf.data(), buf.size(), seed_, off);
    if (!writeAll(fd, buf.data(), buf.size())) {
      fail("write");
      break;
    }
    if (::fdatasync(fd) != 0) {
      fail("fdatasync");
      break;
    }
    off += buf.size();
    synced_ = off;
  }
  ::close(fd);
}

std::string AgentSample::text() const {
  return "pid " + std::to_string(pid) + " VmRSS " + std::to_string(rssKb) + " kB, VmHWM " +
         std::to_string(hwmKb) + " kB, " + std::to_string(threads) + " threads, " +
         std::to_string(fds) + " fds";
}

FaultRun::FaultRun(const FaultsConfig& config, std::string scenario)
    : cfg_(config),
      scenario_(std::move(scenario)),
      csi_(config.controllerEndpoint, config.nodeEndpoint, config.kubeletDir, config.driverName) {}

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
                return readSimCounts(cfg_.simUrl, &simBefore_, d);
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
  for (const auto& m : mountsUnder(cfg_.kubeletDir)) left += "mount " + m + "; ";
  for (const auto& r : filesIn(cfg_.stateDir + "/volumes")) left += "record " + r + "; ";
  for (const auto& r : filesIn(cfg_.stateDir + "/sessions")) left += "session marker " + r + "; ";
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
    SimCounts after;
    if (!readSimCounts(cfg_.simUrl, &after, d)) return false;
    std::string left = diffSimCounts(simBefore_, after);
    *d = left.empty() ? "simulator objects back to baseline" : left;
    return left.empty();
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
  s.pid = std::atoi(firstLine(cfg_.agentPidFile).c_str());
  if (s.pid <= 0) return s;
  fs::path proc = "/proc/" + std::to_string(s.pid);
  std::ifstream in(proc / "status");
  std::string line;
  while (std::getline(in, line)) {
    auto num = [&](const char* key, long* out) {
      size_t n = std::strlen(key);
      if (line.compare(0, n, key) == 0) *out = std::atol(line.c_str() + n);
    };
    num("VmRSS:", &s.rssKb);
    num("VmHWM:", &s.hwmKb);
    num("RssAnon:", &s.anonKb);
    num("RssFile:", &s.fileKb);
    num("Threads:", &s.threads);
  }
  std::ifstream rollup(proc / "smaps_rollup");  // Pss: shared library pages split among users
  while (std::getline(rollup, line)) {
    if (line.compare(0, 4, "Pss:") == 0) s.pssKb = std::atol(line.c_str() + 4);
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
  if (it != v.publishContext.end()) return std::atoi(it->second.c_str());
  it = v.volumeContext.find("lun");
  return it == v.volumeContext.end() ? 0 : std::atoi(it->second.c_str());
}

}  // namespace tnascsi::e2e

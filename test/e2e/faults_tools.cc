// The fault scenarios' tools (see faults_tools.h).
#include "test/e2e/faults_tools.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace tnascsi::e2e {

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
  args.reserve(argv.size() + 1);
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
  int fd = ::open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
  bool ok = fd >= 0 && writeAll(fd, "3", 1);
  if (!ok) *error = std::string("drop caches: ") + std::strerror(errno);
  if (fd >= 0) ::close(fd);
  return ok;
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

}  // namespace tnascsi::e2e

// Kernel-side checks for the end-to-end tests (see node_checks.h).
#include "test/e2e/node_checks.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace tnascsi::e2e {
namespace fs = std::filesystem;

namespace {

std::string readTrim(const fs::path& p) {
  std::ifstream in(p);
  std::string s;
  std::getline(in, s);
  return s;
}

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

std::vector<std::string> iscsiSessions() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/sys/class/iscsi_session", ec)) {
    out.push_back(e.path().filename().string() + " " + readTrim(e.path() / "targetname") + " " +
                  readTrim(e.path() / "state"));
  }
  return out;
}

std::vector<std::string> scsiDisks() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/sys/block", ec)) {
    std::string name = e.path().filename().string();
    if (fs::exists(e.path() / "device" / "scsi_device", ec)) out.push_back(name);
  }
  return out;
}

std::vector<std::string> mountsUnder(const std::string& dir) {
  std::vector<std::string> out;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ss(line);
    std::string id, parent, devno, root, target;
    ss >> id >> parent >> devno >> root >> target;
    // Strictly below `dir`: a mount on `dir` itself (the kubelet dir's own tmpfs) is not a leak.
    if (target.size() > dir.size() && target.rfind(dir, 0) == 0 && target[dir.size()] == '/') {
      out.push_back(target);
    }
  }
  return out;
}

std::vector<std::string> filesIn(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_regular_file(ec)) out.push_back(it->path().string());
  }
  return out;
}

std::string writePattern(const std::string& path, size_t bytes, uint64_t seed, std::string* error) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = "open " + path + ": " + std::strerror(errno);
    return "";
  }
  std::vector<unsigned char> buf(1 << 20);
  uint64_t x = seed | 1;
  uint64_t h = 1469598103934665603ULL;
  size_t left = bytes;
  while (left > 0) {
    size_t n = std::min(left, buf.size());
    for (size_t i = 0; i < n; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      buf[i] = static_cast<unsigned char>(x);
      h = (h ^ buf[i]) * 1099511628211ULL;
    }
    if (::write(fd, buf.data(), n) != static_cast<ssize_t>(n)) {
      *error = "write " + path + ": " + std::strerror(errno);
      ::close(fd);
      return "";
    }
    left -= n;
  }
  if (::fsync(fd) != 0) {
    *error = "fsync " + path + ": " + std::strerror(errno);
    ::close(fd);
    return "";
  }
  ::close(fd);
  return hex64(h);
}

std::string checksum(const std::string& path, size_t bytes, std::string* error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = "open " + path + ": " + std::strerror(errno);
    return "";
  }
  std::vector<unsigned char> buf(1 << 20);
  uint64_t h = 1469598103934665603ULL;
  size_t left = bytes;
  while (left > 0) {
    ssize_t n = ::read(fd, buf.data(), std::min(left, buf.size()));
    if (n <= 0) {
      *error =
          "read " + path + (n == 0 ? ": short file" : std::string(": ") + std::strerror(errno));
      ::close(fd);
      return "";
    }
    for (ssize_t i = 0; i < n; ++i) h = (h ^ buf[i]) * 1099511628211ULL;
    left -= static_cast<size_t>(n);
  }
  ::close(fd);
  return hex64(h);
}

}  // namespace tnascsi::e2e

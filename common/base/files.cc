// File helpers (see files.h).
#include "common/base/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <random>

#include "common/base/c_handle.h"

namespace tnascsi::common {
namespace {

Status writeAll(int fd, const std::string& data, const std::string& path) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errnoStatus("write " + path, errno);
    }
    off += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

std::string dirName(const std::string& path) {
  auto pos = path.find_last_of('/');
  if (pos == std::string::npos) return ".";
  if (pos == 0) return "/";
  return path.substr(0, pos);
}

}  // namespace

StatusOr<std::string> readFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errnoStatus("open " + path, errno);
  Cleanup closer([fd] { ::close(fd); });
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errnoStatus("read " + path, errno);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Status writeFileAtomic(const std::string& path, const std::string& content, unsigned mode) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string tmp = path + ".tmp." + std::to_string(rng() % 1000000000ULL);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return errnoStatus("create " + tmp, errno);
  Cleanup removeTmp([&tmp] { ::unlink(tmp.c_str()); });
  {
    Cleanup closer([fd] { ::close(fd); });
    TNAS_RETURN_IF_ERROR(writeAll(fd, content, tmp));
    if (::fchmod(fd, mode) != 0) return errnoStatus("chmod " + tmp, errno);
    if (::fsync(fd) != 0) return errnoStatus("fsync " + tmp, errno);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return errnoStatus("rename to " + path, errno);
  removeTmp.cancel();
  int dfd = ::open(dirName(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return absl::OkStatus();
}

StatusOr<std::string> readSecretFile(const std::string& path) {
  auto content = readFile(path);
  if (!content.ok()) {
    return Status(content.status().code(), "cannot read secret file " + path + " (" +
                                               std::string(content.status().message()) + ")");
  }
  std::string s = std::move(content).value();
  while (!s.empty() &&
         (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) {
    s.pop_back();
  }
  if (s.empty()) return absl::InvalidArgumentError("secret file " + path + " is empty");
  return s;
}

}  // namespace tnascsi::common

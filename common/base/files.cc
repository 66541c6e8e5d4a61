// File helpers (see files.h).
#include "common/base/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <random>

#include "absl/strings/ascii.h"
#include "common/base/c_handle.h"
#include "common/base/unique_fd.h"

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
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return errnoStatus("open " + path, errno);
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
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
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (!fd) return errnoStatus("create " + tmp, errno);
  Cleanup removeTmp([&tmp] { ::unlink(tmp.c_str()); });
  TNAS_RETURN_IF_ERROR(writeAll(fd.get(), content, tmp));
  if (::fchmod(fd.get(), mode) != 0) return errnoStatus("chmod " + tmp, errno);
  if (::fsync(fd.get()) != 0) return errnoStatus("fsync " + tmp, errno);
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) return errnoStatus("rename to " + path, errno);
  removeTmp.cancel();
  UniqueFd dir(::open(dirName(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir) ::fsync(dir.get());
  return absl::OkStatus();
}

Status makeDirs(const std::string& path, unsigned mode) {
  if (path.empty()) return absl::InvalidArgumentError("cannot create a directory with no name");
  size_t pos = 0;
  do {
    pos = path.find('/', pos + 1);
    const std::string dir = path.substr(0, pos);
    if (dir.back() == '/') continue;  // "a//b"
    if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) {
      return errnoStatus("create directory " + dir, errno);
    }
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return absl::FailedPreconditionError(dir + " is not a directory; cannot create " + path);
    }
  } while (pos != std::string::npos);
  return absl::OkStatus();
}

StatusOr<std::string> readSecretFile(const std::string& path) {
  auto content = readFile(path);
  if (!content.ok()) {
    return Status(content.status().code(), "cannot read secret file " + path + " (" +
                                               std::string(content.status().message()) + ")");
  }
  std::string s = std::move(content).value();
  absl::StripTrailingAsciiWhitespace(&s);
  if (s.empty()) return absl::InvalidArgumentError("secret file " + path + " is empty");
  return s;
}

}  // namespace tnascsi::common

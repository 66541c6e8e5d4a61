// BeneathRoot (see beneath.h).
#include "agent/mount/beneath.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace tnascsi::agent {

std::string procFdPath(int fd) {
  return "/proc/self/fd/" + std::to_string(fd);
}

std::string bounded(const std::string& text, size_t max) {
  if (text.size() <= max) return text;
  return text.substr(0, max) + "...";
}

namespace {

std::vector<std::string> components(const std::string& rel) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= rel.size()) {
    size_t slash = rel.find('/', start);
    if (slash == std::string::npos) slash = rel.size();
    out.push_back(rel.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

Status leaves(const std::string& path, const std::string& why) {
  return absl::InvalidArgumentError("path \"" + bounded(path) + "\" is not acceptable: " + why);
}

// openat2 through syscall(2): glibc 2.36 has no wrapper.
int openat2Beneath(int dirFd, const std::string& rel, uint64_t flags) {
  struct open_how how {};
  how.flags = flags;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, dirFd, rel.c_str(), &how, sizeof how));
}

}  // namespace

BeneathRoot::BeneathRoot(std::string root) : root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

StatusOr<common::UniqueFd> BeneathRoot::walk(int rootFd, const std::string& rel,
                                             const std::string& path, bool create) const {
  common::UniqueFd cur(::fcntl(rootFd, F_DUPFD_CLOEXEC, 0));
  if (!cur) return common::errnoStatus("dup", errno);
  for (const auto& comp : components(rel)) {
    int fd = ::openat(cur.get(), comp.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
      if (::mkdirat(cur.get(), comp.c_str(), 0750) != 0 && errno != EEXIST) {
        return common::errnoStatus(
            "create directory \"" + bounded(comp) + "\" of \"" + bounded(path) + "\"", errno);
      }
      fd = ::openat(cur.get(), comp.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
      if (errno == ENOENT) return absl::NotFoundError("\"" + bounded(path) + "\" does not exist");
      if (errno == ELOOP || errno == ENOTDIR) {
        return leaves(path,
                      "component \"" + bounded(comp) + "\" is a symbolic link or not a directory");
      }
      return common::errnoStatus("open \"" + bounded(path) + "\"", errno);
    }
    common::UniqueFd next(fd);
    struct stat st {};
    if (::fstat(next.get(), &st) != 0) return common::errnoStatus("stat", errno);
    if (!S_ISDIR(st.st_mode)) {
      return leaves(path, "component \"" + bounded(comp) + "\" is not a directory");
    }
    cur = std::move(next);
  }
  return cur;
}

StatusOr<common::UniqueFd> BeneathRoot::openParent(int rootFd, const std::string& rel,
                                                   const std::string& path, bool create) const {
  if (rel.empty()) {
    common::UniqueFd dup(::fcntl(rootFd, F_DUPFD_CLOEXEC, 0));
    if (!dup) return common::errnoStatus("dup", errno);
    return dup;
  }
  if (componentWalk_) return walk(rootFd, rel, path, create);
  int fd = -1;
  for (int attempt = 0; attempt < 16; ++attempt) {
    fd = openat2Beneath(rootFd, rel, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0 || errno != EAGAIN) break;  // EAGAIN: a rename raced the walk; retry
  }
  if (fd >= 0) return common::UniqueFd(fd);
  switch (errno) {
    case ENOSYS:
      return walk(rootFd, rel, path, create);  // Linux < 5.6
    case ENOENT:
      if (create) return walk(rootFd, rel, path, true);
      return absl::NotFoundError("the directory of \"" + bounded(path) + "\" does not exist");
    case EXDEV:
    case ELOOP:
      return leaves(path, "it resolves outside " + bounded(root_));
    case ENOTDIR:
      return leaves(path, "a component is not a directory");
    case EAGAIN:
      return absl::UnavailableError("\"" + bounded(path) +
                                    "\" kept being renamed while it was resolved; retry");
    default:
      return common::errnoStatus("open the directory of \"" + bounded(path) + "\"", errno);
  }
}

StatusOr<ResolvedPath> BeneathRoot::resolve(const std::string& path, Want want) const {
  std::string prefix = root_ == "/" ? "/" : root_ + "/";
  if (path.size() <= prefix.size() || path.compare(0, prefix.size(), prefix) != 0) {
    return leaves(path, "it is not below " + bounded(root_));
  }
  std::string rel = path.substr(prefix.size());
  for (const auto& comp : components(rel)) {
    if (comp.empty() || comp == "." || comp == "..") {
      return leaves(path, "not normalised (empty, \".\" or \"..\" component)");
    }
  }
  common::UniqueFd rootFd(::open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!rootFd) {
    return absl::FailedPreconditionError("cannot open the kubelet directory " + bounded(root_) +
                                         ": " + common::errnoStatus("", errno).ToString());
  }
  auto slash = rel.rfind('/');
  std::string parentRel = slash == std::string::npos ? "" : rel.substr(0, slash);
  ResolvedPath r;
  r.path_ = path;
  r.name_ = slash == std::string::npos ? rel : rel.substr(slash + 1);
  bool create = want == Want::kDirectory || want == Want::kFile;
  TNAS_ASSIGN_OR_RETURN(r.parent_, openParent(rootFd.get(), parentRel, path, create));

  // The parent only: the final component is not even looked at (a dead NFS server mounted there
  // must not hang an unmount in a stat).
  if (want == Want::kParent) return r;
  const char* name = r.name_.c_str();
  if (::fstatat(r.parent_.get(), name, &r.stat_, AT_SYMLINK_NOFOLLOW) == 0) {
    r.exists_ = true;
  } else if (errno != ENOENT) {
    return common::errnoStatus("stat \"" + bounded(path) + "\"", errno);
  }
  if (!r.exists_) {
    if (want == Want::kExisting)
      return absl::NotFoundError("\"" + bounded(path) + "\" does not exist");
    if (want == Want::kDirectory) {
      if (::mkdirat(r.parent_.get(), name, 0750) == 0) {
        r.created_ = true;
      } else if (errno != EEXIST) {
        return common::errnoStatus("create directory \"" + bounded(path) + "\"", errno);
      }
    } else {
      int fd = ::openat(r.parent_.get(), name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
                        0640);
      if (fd >= 0) {
        ::close(fd);
        r.created_ = true;
      } else if (errno != EEXIST) {
        return common::errnoStatus("create file \"" + bounded(path) + "\"", errno);
      }
    }
  }
  int fd = ::openat(r.parent_.get(), name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return common::errnoStatus("open \"" + bounded(path) + "\"", errno);
  r.object_ = common::UniqueFd(fd);
  if (::fstat(r.object_.get(), &r.stat_) != 0) {
    return common::errnoStatus("stat \"" + bounded(path) + "\"", errno);
  }
  r.exists_ = true;
  if (S_ISLNK(r.stat_.st_mode)) return leaves(path, "it is a symbolic link");
  if (want == Want::kDirectory && !S_ISDIR(r.stat_.st_mode)) {
    return leaves(path, "it exists and is not a directory");
  }
  if (want == Want::kFile && !S_ISREG(r.stat_.st_mode)) {
    return leaves(path, "it exists and is not a regular file");
  }
  return r;
}

}  // namespace tnascsi::agent

// Event handlers of the guest backing: see events.h.
#include "test/guest/backing/events.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>
#include <vector>

#include "common/base/c_handle.h"
#include "common/base/files.h"
#include "common/log/log.h"
#include "test/guest/backing/configfs_ops.h"
#include "test/guest/backing/iscsi_config.h"
#include "test/guest/backing/lio_plan.h"

namespace tnascsi::sim {
namespace {

namespace fs = std::filesystem;
using Poco::JSON::Object;

StatusOr<std::string> field(const Object& o, const std::string& key) {
  if (!o.has(key) || o.isNull(key)) return absl::InvalidArgumentError("missing field " + key);
  return o.getValue<std::string>(key);
}

// Names must not escape their root: no empty, absolute, "." or ".." components.
Status checkName(const std::string& name) {
  if (name.empty() || name.front() == '/') return absl::InvalidArgumentError("bad name " + name);
  for (auto& part : fs::path(name)) {
    if (part == ".." || part == ".") return absl::InvalidArgumentError("bad name " + name);
  }
  return absl::OkStatus();
}

Status mkdirs(const fs::path& dir) {
  return common::makeDirs(dir.string(), 0755);
}

Status removeAll(const fs::path& p) {
  std::error_code ec;
  fs::remove_all(p, ec);
  if (ec) return common::errnoStatus("remove " + p.string(), ec.value());
  return absl::OkStatus();
}

// Sets a file's size, creating it (sparse) when missing.
Status setFileSize(const std::string& path, uint64_t size) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return common::errnoStatus("open " + path, errno);
  common::Cleanup closer([fd] { ::close(fd); });
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
    return common::errnoStatus("truncate " + path, errno);
  }
  return absl::OkStatus();
}

uint64_t fileSize(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

// Copies a file (sparse) or a directory tree (contents, preserving modes) from src to dst,
// replacing dst's content. A file is rewritten in place, so a live LUN keeps its inode.
Status copyTree(const std::string& src, const std::string& dst) {
  struct stat st {};
  if (::stat(src.c_str(), &st) != 0) return common::errnoStatus("stat " + src, errno);
  TNAS_RETURN_IF_ERROR(mkdirs(fs::path(dst).parent_path()));
  if (S_ISDIR(st.st_mode)) {
    TNAS_RETURN_IF_ERROR(removeAll(dst));
    TNAS_RETURN_IF_ERROR(mkdirs(dst));
    return runCommand({"cp", "-a", "--", src + "/.", dst + "/"});
  }
  return runCommand({"cp", "--sparse=always", "--", src, dst});
}

std::string zvolPath(const std::string& root, const std::string& name) {
  return root + "/zvol/" + name;
}
std::string snapPath(const std::string& root, const std::string& snapshot) {
  return root + "/snap/" + snapshot;
}

Status onIscsiConfig(const Object& event, const std::string& root, const BackingOptions& opt) {
  Object::Ptr config = event.getObject("config");
  if (config.isNull()) return absl::InvalidArgumentError("iscsi.config without config");
  TNAS_ASSIGN_OR_RETURN(LioState desired, desiredLioState(*config, root, fileSize));
  TNAS_ASSIGN_OR_RETURN(LioState current, readLioState(opt.configfsRoot));
  std::vector<ConfigfsOp> ops = planLio(current, desired);
  for (const auto& op : ops) TNAS_LOG(Debug) << describe(op);
  TNAS_LOG(Info).kv("ops", static_cast<int64_t>(ops.size())) << "reconciled LIO";
  return applyOps(opt.configfsRoot, ops, opt.configfsKind);
}

// Grows (or shrinks) the zvol file, then every live backstore on it (fd_dev_size), so the
// initiator sees the new size after a rescan.
Status onZvolResize(const Object& event, const std::string& root, const BackingOptions& opt) {
  TNAS_ASSIGN_OR_RETURN(std::string name, field(event, "name"));
  TNAS_RETURN_IF_ERROR(checkName(name));
  uint64_t size = event.getValue<uint64_t>("volsize");
  const std::string path = zvolPath(root, name);
  if (::access(path.c_str(), F_OK) != 0) return common::errnoStatus("zvol " + name, errno);
  TNAS_RETURN_IF_ERROR(setFileSize(path, size));
  auto state = readLioState(opt.configfsRoot);
  if (!state.ok()) return absl::OkStatus();  // no LIO: nothing exported
  std::vector<ConfigfsOp> ops;
  for (const auto& [bsName, bs] : state->backstores) {
    if (bs.file != path) continue;
    ops.push_back({ConfigfsOp::Kind::kWrite, backstorePath(bsName) + "/control",
                   "fd_dev_size=" + std::to_string(size), false});
  }
  return applyOps(opt.configfsRoot, ops, opt.configfsKind);
}

Status onNfsConfig(const Object& event, const BackingOptions& opt) {
  Object::Ptr config = event.getObject("config");
  if (config.isNull()) return absl::InvalidArgumentError("nfs.config without config");
  TNAS_ASSIGN_OR_RETURN(std::string content, renderExports(*config));
  // Written in place: /etc/exports may be a bind mount, which rename() cannot replace.
  int fd = ::open(opt.exportsFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return common::errnoStatus("open " + opt.exportsFile, errno);
  common::Cleanup closer([fd] { ::close(fd); });
  if (::write(fd, content.data(), content.size()) != static_cast<ssize_t>(content.size())) {
    return common::errnoStatus("write " + opt.exportsFile, errno);
  }
  if (opt.exportfsCommand.empty()) return absl::OkStatus();
  return runCommand(opt.exportfsCommand);
}

// filesystem.setperm/chown on a dataset's root: the resulting mode and owner, set as they are
// (idempotent).
Status onPathSetperm(const Object& event, const BackingOptions& opt) {
  TNAS_ASSIGN_OR_RETURN(std::string name, field(event, "name"));
  TNAS_RETURN_IF_ERROR(checkName(name));
  std::string mp = event.optValue<std::string>("mountpoint", opt.mountRoot + "/" + name);
  if (mp.rfind(opt.mountRoot + "/", 0) != 0 || checkName(mp.substr(1)) != absl::OkStatus()) {
    return absl::InvalidArgumentError("mountpoint " + mp + " is not below " + opt.mountRoot);
  }
  const auto mode = static_cast<mode_t>(event.getValue<int64_t>("mode") & 07777);
  const auto uid = static_cast<uid_t>(event.getValue<int64_t>("uid"));
  const auto gid = static_cast<gid_t>(event.getValue<int64_t>("gid"));
  if (::chown(mp.c_str(), uid, gid) != 0) return common::errnoStatus("chown " + mp, errno);
  if (::chmod(mp.c_str(), mode) != 0) return common::errnoStatus("chmod " + mp, errno);
  return absl::OkStatus();
}

Status dispatch(const Object& event, const BackingOptions& opt) {
  TNAS_ASSIGN_OR_RETURN(std::string kind, field(event, "event"));
  std::string root = event.optValue<std::string>("root", "/var/lib/truenas-sim");
  if (kind == "iscsi.config") return onIscsiConfig(event, root, opt);
  if (kind == "nfs.config") return onNfsConfig(event, opt);
  if (kind == "zvol.resize") return onZvolResize(event, root, opt);
  if (kind == "zvol.create") {
    TNAS_ASSIGN_OR_RETURN(std::string name, field(event, "name"));
    TNAS_RETURN_IF_ERROR(checkName(name));
    TNAS_RETURN_IF_ERROR(mkdirs(fs::path(zvolPath(root, name)).parent_path()));
    return setFileSize(zvolPath(root, name), event.getValue<uint64_t>("volsize"));
  }
  if (kind == "zvol.delete") {
    TNAS_ASSIGN_OR_RETURN(std::string name, field(event, "name"));
    TNAS_RETURN_IF_ERROR(checkName(name));
    return removeAll(zvolPath(root, name));
  }
  if (kind == "dataset.create" || kind == "dataset.update" || kind == "dataset.delete") {
    TNAS_ASSIGN_OR_RETURN(std::string name, field(event, "name"));
    TNAS_RETURN_IF_ERROR(checkName(name));
    std::string mp = event.optValue<std::string>("mountpoint", opt.mountRoot + "/" + name);
    if (mp.rfind(opt.mountRoot + "/", 0) != 0 || checkName(mp.substr(1)) != absl::OkStatus()) {
      return absl::InvalidArgumentError("mountpoint " + mp + " is not below " + opt.mountRoot);
    }
    return kind == "dataset.delete" ? removeAll(mp) : mkdirs(mp);
  }
  if (kind == "path.setperm") return onPathSetperm(event, opt);
  if (kind.rfind("snapshot.", 0) == 0) {
    TNAS_ASSIGN_OR_RETURN(std::string snapshot, field(event, "snapshot"));
    TNAS_RETURN_IF_ERROR(checkName(snapshot));
    std::string type = event.optValue<std::string>("type", "VOLUME");
    std::string dataset =
        event.optValue<std::string>("dataset", snapshot.substr(0, snapshot.find('@')));
    TNAS_RETURN_IF_ERROR(checkName(dataset));
    auto live = [&](const std::string& ds) {
      return type == "VOLUME" ? zvolPath(root, ds) : opt.mountRoot + "/" + ds;
    };
    if (kind == "snapshot.create") return copyTree(live(dataset), snapPath(root, snapshot));
    if (kind == "snapshot.delete") return removeAll(snapPath(root, snapshot));
    if (kind == "snapshot.rollback") return copyTree(snapPath(root, snapshot), live(dataset));
    if (kind == "snapshot.clone") {
      TNAS_ASSIGN_OR_RETURN(std::string name, field(event, "name"));
      TNAS_RETURN_IF_ERROR(checkName(name));
      std::string dst = live(name);
      if (type != "VOLUME") dst = event.optValue<std::string>("mountpoint", dst);
      return copyTree(snapPath(root, snapshot), dst);
    }
  }
  return absl::InvalidArgumentError("unknown event " + kind);
}

}  // namespace

Status handleEvent(const Object& event, const BackingOptions& options) {
  try {
    return dispatch(event, options);
  } catch (const Poco::Exception& e) {
    return absl::InvalidArgumentError("malformed event: " + e.displayText());
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(std::string("malformed event: ") + e.what());
  }
}

StatusOr<std::string> renderExports(const Object& config) {
  std::string out = "# written by tnas-guest-backing from nfs.config\n";
  Poco::JSON::Array::Ptr shares = config.getArray("shares");
  if (shares.isNull()) return out;
  for (const auto& v : *shares) {
    Object::Ptr s = v.extract<Object::Ptr>();
    if (!s->optValue("enabled", true)) continue;
    std::vector<std::string> paths;
    if (s->has("path")) paths.push_back(s->getValue<std::string>("path"));
    if (s->has("paths") && !s->isNull("paths")) {
      for (const auto& p : *s->getArray("paths")) paths.push_back(p.convert<std::string>());
    }
    // insecure: clients on unprivileged ports are admitted (as TrueNAS does by default).
    std::string opts =
        std::string(s->optValue("ro", false) ? "ro" : "rw") + ",sync,no_subtree_check,insecure";
    std::string mapall = s->has("mapall_user") && !s->isNull("mapall_user")
                             ? s->getValue<std::string>("mapall_user")
                             : "";
    std::string maproot = s->has("maproot_user") && !s->isNull("maproot_user")
                              ? s->getValue<std::string>("maproot_user")
                              : "";
    auto uidOf = [](const std::string& user) -> std::string {
      if (passwd* pw = ::getpwnam(user.c_str())) return std::to_string(pw->pw_uid);
      return "65534";
    };
    if (!mapall.empty()) {
      opts += ",all_squash,anonuid=" + uidOf(mapall);
    } else if (maproot == "root") {
      opts += ",no_root_squash";
    } else if (!maproot.empty()) {
      opts += ",root_squash,anonuid=" + uidOf(maproot);
    } else {
      opts += ",root_squash";
    }
    std::vector<std::string> clients;
    for (const char* key : {"hosts", "networks"}) {
      if (!s->has(key) || s->isNull(key)) continue;
      for (const auto& c : *s->getArray(key)) clients.push_back(c.convert<std::string>());
    }
    if (clients.empty()) clients.push_back("*");
    for (const auto& path : paths) {
      if (path.find_first_of(" \t\n\"") != std::string::npos) {
        return absl::InvalidArgumentError("share path with whitespace: " + path);
      }
      out += path;
      for (const auto& c : clients) out += " " + c + "(" + opts + ")";
      out += "\n";
    }
  }
  return out;
}

Status runCommand(const std::vector<std::string>& argv) {
  if (argv.empty()) return absl::InvalidArgumentError("empty command");
  int errPipe[2];
  if (::pipe2(errPipe, O_CLOEXEC) != 0) return common::errnoStatus("pipe", errno);
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(errPipe[0]);
    ::close(errPipe[1]);
    return common::errnoStatus("fork", errno);
  }
  if (pid == 0) {
    ::dup2(errPipe[1], 2);
    int devnull = ::open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      ::dup2(devnull, 0);
      ::dup2(devnull, 1);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(errPipe[1]);
  std::string err;
  char buf[1024];
  ssize_t n;
  while ((n = ::read(errPipe[0], buf, sizeof buf)) > 0) err.append(buf, static_cast<size_t>(n));
  ::close(errPipe[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
  std::string first = err.substr(0, err.find('\n'));
  return absl::InternalError(
      argv[0] + " failed (status " +
      std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) +
      (first.empty() ? ")" : "): " + first));
}

}  // namespace tnascsi::sim

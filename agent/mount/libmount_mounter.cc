// LibmountMounter (see libmount_mounter.h).
#include "agent/mount/libmount_mounter.h"

#include <fcntl.h>
#include <libmount/libmount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstdlib>
#include <memory>

#include "agent/mount/mount_options.h"
#include "agent/mount/path_probe.h"
#include "common/base/c_handle.h"
#include "common/base/unique_fd.h"
#include "common/log/log.h"

namespace tnascsi::agent {

bool MountEntry::readOnly() const {
  for (const auto& o : splitOptions(options)) {
    if (o == "ro") return true;
  }
  return false;
}

namespace {

using Table = common::CHandle<libmnt_table, &mnt_free_table>;
using Iter = common::CHandle<libmnt_iter, &mnt_free_iter>;

std::string str(const char* s) {
  return s == nullptr ? std::string() : std::string(s);
}

MountEntry toEntry(libmnt_fs* fs) {
  MountEntry e;
  e.source = str(mnt_fs_get_source(fs));
  e.target = str(mnt_fs_get_target(fs));
  e.fsType = str(mnt_fs_get_fstype(fs));
  e.options = str(mnt_fs_get_options(fs));
  e.root = str(mnt_fs_get_root(fs));
  dev_t dev = mnt_fs_get_devno(fs);
  e.major = major(dev);
  e.minor = minor(dev);
  return e;
}

// Splits an option string into mount(2) flags and the filesystem's data string.
Status splitForMount(const std::string& options, unsigned long* flags, std::string* data) {
  *flags = 0;
  data->clear();
  if (options.empty()) return absl::OkStatus();
  char* vfs = nullptr;
  char* fs = nullptr;
  if (mnt_split_optstr(options.c_str(), nullptr, &vfs, &fs, 0, 0) != 0) {
    return absl::InvalidArgumentError("cannot parse mount options \"" + bounded(options) + "\"");
  }
  common::Cleanup freeAll([&] {
    std::free(vfs);
    std::free(fs);
  });
  if (vfs != nullptr &&
      mnt_optstr_get_flags(vfs, flags, mnt_get_builtin_optmap(MNT_LINUX_MAP)) != 0) {
    return absl::InvalidArgumentError("cannot parse mount flags \"" + str(vfs) + "\"");
  }
  *data = str(fs);
  return absl::OkStatus();
}

Status sysMount(const std::string& source, const ResolvedPath& target, const std::string& fsType,
                unsigned long flags, const std::string& data) {
  if (target.fd() < 0 || !target.isDirectory()) {
    return absl::InvalidArgumentError("mount target " + bounded(target.path()) +
                                      " was not opened as a directory");
  }
  // The kernel resolves /proc/self/fd/N to exactly the directory that was resolved and checked.
  if (::mount(source.c_str(), target.viaFd().c_str(), fsType.empty() ? nullptr : fsType.c_str(),
              flags, data.empty() ? nullptr : data.c_str()) != 0) {
    return common::errnoStatus("mount " + bounded(source) + " at " + bounded(target.path()), errno);
  }
  return absl::OkStatus();
}

Status newMountApiError(const char* call, int err, const std::string& what) {
  if (err == ENOSYS) {
    return absl::UnimplementedError(std::string("the running kernel lacks ") + call +
                                    " (the new mount API, Linux >= 5.12, is needed to " + what +
                                    ")");
  }
  return common::errnoStatus(std::string(call) + " to " + what, err);
}

// Clones the mount at (dfd, path) detached, gives the copy exactly the per-mount flags of
// `msFlags`, and attaches it onto the object `target` refers to. A failure at any step leaves
// nothing attached (closing the tree fd dissolves the detached copy).
Status attachClone(int dfd, const char* path, unsigned extraFlags, const ResolvedPath& target,
                   unsigned long msFlags, const std::string& what) {
  if (target.fd() < 0) {
    return absl::InvalidArgumentError("bind target " + bounded(target.path()) + " was not opened");
  }
  common::UniqueFd tree(::open_tree(dfd, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | extraFlags));
  if (!tree) return newMountApiError("open_tree", errno, what);
  struct mount_attr attr {};
  attr.attr_clr = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
  if ((msFlags & MS_RDONLY) != 0) attr.attr_set |= MOUNT_ATTR_RDONLY;
  if ((msFlags & MS_NOSUID) != 0) attr.attr_set |= MOUNT_ATTR_NOSUID;
  if ((msFlags & MS_NODEV) != 0) attr.attr_set |= MOUNT_ATTR_NODEV;
  if ((msFlags & MS_NOEXEC) != 0) attr.attr_set |= MOUNT_ATTR_NOEXEC;
  if ((msFlags & (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)) != 0) {
    attr.attr_clr |= MOUNT_ATTR__ATIME | MOUNT_ATTR_NODIRATIME;
    if ((msFlags & MS_NOATIME) != 0) {
      attr.attr_set |= MOUNT_ATTR_NOATIME;
    } else if ((msFlags & MS_STRICTATIME) != 0) {
      attr.attr_set |= MOUNT_ATTR_STRICTATIME;
    }  // MOUNT_ATTR_RELATIME is 0
  }
  if ((msFlags & MS_NODIRATIME) != 0) attr.attr_set |= MOUNT_ATTR_NODIRATIME;
  if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) != 0) {
    return newMountApiError("mount_setattr", errno, what);
  }
  if (::move_mount(tree.get(), "", target.fd(), "",
                   MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) {
    return newMountApiError("move_mount", errno, what);
  }
  return absl::OkStatus();
}

}  // namespace

StatusOr<std::vector<MountEntry>> LibmountMounter::list() {
  Table table(mnt_new_table());
  if (!table) return absl::ResourceExhaustedError("mnt_new_table failed");
  int rc = mnt_table_parse_file(table.get(), options_.mountinfoPath.c_str());
  if (rc != 0) return common::errnoStatus("parse " + options_.mountinfoPath, rc < 0 ? -rc : EIO);
  Iter iter(mnt_new_iter(MNT_ITER_FORWARD));
  if (!iter) return absl::ResourceExhaustedError("mnt_new_iter failed");
  std::vector<MountEntry> out;
  libmnt_fs* fs = nullptr;
  while (mnt_table_next_fs(table.get(), iter.get(), &fs) == 0) out.push_back(toEntry(fs));
  return out;
}

StatusOr<std::optional<MountEntry>> LibmountMounter::findByTarget(const std::string& target) {
  TNAS_ASSIGN_OR_RETURN(auto entries, list());
  std::optional<MountEntry> found;
  for (auto& e : entries) {
    if (e.target == target) found = std::move(e);  // later lines are stacked on top
  }
  return found;
}

StatusOr<std::vector<MountEntry>> LibmountMounter::findByDevice(const std::string& devnode) {
  struct stat st {};
  if (::stat(devnode.c_str(), &st) != 0) return common::errnoStatus("stat " + devnode, errno);
  if (!S_ISBLK(st.st_mode)) return absl::InvalidArgumentError(devnode + " is not a block device");
  // A device node bind-mounted onto a file (raw block publish) shows up as a devtmpfs mount
  // whose root is the node's path inside /dev ("/sda"), not under the device's numbers.
  std::string devRoot;
  common::CHandle<char, &std::free> real(::realpath(devnode.c_str(), nullptr));
  if (real && std::string(real.get()).rfind("/dev/", 0) == 0)
    devRoot = std::string(real.get()).substr(4);
  TNAS_ASSIGN_OR_RETURN(auto entries, list());
  std::vector<MountEntry> out;
  for (auto& e : entries) {
    bool sameDevice = e.major == major(st.st_rdev) && e.minor == minor(st.st_rdev);
    bool boundNode = !devRoot.empty() && e.fsType == "devtmpfs" && e.root == devRoot;
    if (sameDevice || boundNode) out.push_back(std::move(e));
  }
  return out;
}

StatusOr<std::vector<MountEntry>> LibmountMounter::findByNumbers(unsigned maj, unsigned min) {
  TNAS_ASSIGN_OR_RETURN(auto entries, list());
  std::vector<MountEntry> out;
  for (auto& e : entries) {
    if (e.major == maj && e.minor == min) out.push_back(std::move(e));
  }
  return out;
}

Status LibmountMounter::mount(const std::string& source, const ResolvedPath& target,
                              const std::string& fsType, const std::string& options) {
  unsigned long flags = 0;
  std::string data;
  TNAS_RETURN_IF_ERROR(splitForMount(options, &flags, &data));
  TNAS_RETURN_IF_ERROR(sysMount(source, target, fsType, flags, data));
  TNAS_LOG(Info).kv("source", source).kv("target", target.path()).kv("fstype", fsType) << "mounted";
  return absl::OkStatus();
}

Status LibmountMounter::bindMount(const std::string& devnode, const ResolvedPath& target,
                                  bool readOnly) {
  TNAS_RETURN_IF_ERROR(attachClone(AT_FDCWD, devnode.c_str(), 0, target, readOnly ? MS_RDONLY : 0,
                                   "bind " + bounded(devnode) + " at " + bounded(target.path())));
  TNAS_LOG(Info).kv("source", devnode).kv("target", target.path()).kv("ro", readOnly)
      << "bind-mounted";
  return absl::OkStatus();
}

Status LibmountMounter::bindMountWithFlags(const ResolvedPath& source, const ResolvedPath& target,
                                           const BindFlags& flags) {
  if (source.fd() < 0) {
    return absl::InvalidArgumentError("bind source " + bounded(source.path()) + " was not opened");
  }
  TNAS_RETURN_IF_ERROR(attachClone(source.fd(), "", AT_EMPTY_PATH, target, flags.msFlags,
                                   "bind " + bounded(source.path()) + " at " +
                                       bounded(target.path()) + " with " + flags.describe()));
  TNAS_LOG(Info)
          .kv("source", source.path())
          .kv("target", target.path())
          .kv("flags", flags.describe())
      << "bind-mounted";
  return absl::OkStatus();
}

Status LibmountMounter::mountNfs(const NfsMountSpec& spec, const ResolvedPath& target) {
  TNAS_ASSIGN_OR_RETURN(NfsMountArgs args,
                        buildNfsMountArgs(spec, options_.resolve, options_.localAddress));
  unsigned long flags = 0;
  std::string data;
  TNAS_RETURN_IF_ERROR(splitForMount(args.data, &flags, &data));
  if (args.readOnly) flags |= MS_RDONLY;
  TNAS_RETURN_IF_ERROR(sysMount(args.source, target, args.fsType, flags, data));
  TNAS_LOG(Info).kv("source", args.source).kv("target", target.path()).kv("options", data)
      << "mounted NFS export";
  return absl::OkStatus();
}

Status LibmountMounter::unmount(const ResolvedPath& target, bool force) {
  TNAS_ASSIGN_OR_RETURN(auto entry, findByTarget(target.path()));
  if (!entry) return absl::OkStatus();
  if (target.parentFd() < 0) {
    return absl::InvalidArgumentError("unmount target " + bounded(target.path()) +
                                      " has no resolved parent");
  }
  // The name is looked up in the verified parent and never followed; the parent fd (not the
  // mount's own root) is what is held, so the mount is not kept busy by this call. A helper that
  // outlives its deadline keeps its own duplicate of the parent fd.
  auto parent = std::make_shared<common::UniqueFd>(::fcntl(target.parentFd(), F_DUPFD_CLOEXEC, 0));
  if (!*parent) return common::errnoStatus("dup", errno);
  std::string name = target.name();
  auto umountCall = [parent, name](int flags) {
    return [parent, name, flags] {
      std::string via = procFdPath(parent->get()) + "/" + name;
      return ::umount2(via.c_str(), flags | UMOUNT_NOFOLLOW);
    };
  };
  std::string shown = bounded(target.path());
  if (!force) {
    if (umountCall(0)() != 0) return common::errnoStatus("unmount " + shown, errno);
    return absl::OkStatus();
  }
  // Forced: a plain unmount is only tried when the filesystem still answers; a dead one goes
  // straight to MNT_FORCE (aborts pending NFS RPCs). Both run with a deadline in a helper
  // thread; if neither finishes, MNT_DETACH (which never waits on the filesystem) detaches it.
  bool stale = isStale(target.path());
  int err = 0;
  if (!stale && callWithDeadline(umountCall(0), options_.staleDeadline, &err) == 0) {
    return absl::OkStatus();
  }
  if (callWithDeadline(umountCall(MNT_FORCE), options_.staleDeadline, &err) == 0) {
    TNAS_LOG(Warn).kv("target", target.path()) << "force-unmounted";
    return absl::OkStatus();
  }
  if (umountCall(MNT_DETACH)() == 0) {
    TNAS_LOG(Warn).kv("target", target.path()) << "lazily detached mount";
    return absl::OkStatus();
  }
  int detachErr = errno;
  auto still = findByTarget(target.path());
  if (still.ok() && !*still) return absl::OkStatus();  // a timed-out attempt finished meanwhile
  return common::errnoStatus("detach " + shown, detachErr);
}

bool LibmountMounter::isStale(const std::string& target) {
  int err = 0;
  auto st = statWithDeadline(target, options_.staleDeadline, &err);
  if (st.ok()) return false;
  return err == ESTALE || err == EIO || err == ENOTCONN || err == ETIMEDOUT || err == EHOSTDOWN;
}

}  // namespace tnascsi::agent

// LibmountMounter (see libmount_mounter.h).
#include "agent/mount/libmount_mounter.h"

#include <libmount/libmount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstdlib>

#include "agent/mount/mount_options.h"
#include "agent/mount/path_probe.h"
#include "common/base/c_handle.h"
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
    return absl::InvalidArgumentError("cannot parse mount options \"" + options + "\"");
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

Status sysMount(const std::string& source, const std::string& target, const std::string& fsType,
                unsigned long flags, const std::string& data) {
  if (::mount(source.c_str(), target.c_str(), fsType.empty() ? nullptr : fsType.c_str(), flags,
              data.empty() ? nullptr : data.c_str()) != 0) {
    return common::errnoStatus("mount " + source + " at " + target, errno);
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

Status LibmountMounter::mount(const std::string& source, const std::string& target,
                              const std::string& fsType, const std::string& options) {
  unsigned long flags = 0;
  std::string data;
  TNAS_RETURN_IF_ERROR(splitForMount(options, &flags, &data));
  TNAS_RETURN_IF_ERROR(sysMount(source, target, fsType, flags, data));
  TNAS_LOG(Info).kv("source", source).kv("target", target).kv("fstype", fsType) << "mounted";
  return absl::OkStatus();
}

Status LibmountMounter::bindMount(const std::string& source, const std::string& target,
                                  bool readOnly) {
  TNAS_RETURN_IF_ERROR(sysMount(source, target, "", MS_BIND, ""));
  if (readOnly) {
    Status st = sysMount("", target, "", MS_REMOUNT | MS_BIND | MS_RDONLY, "");
    if (!st.ok()) {
      // Never leave a writable bind behind when read-only was asked for.
      ::umount2(target.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW);
      return common::annotate(st, "read-only remount of bind mount");
    }
  }
  TNAS_LOG(Info).kv("source", source).kv("target", target).kv("ro", readOnly) << "bind-mounted";
  return absl::OkStatus();
}

Status LibmountMounter::bindMountWithFlags(const std::string& source, const std::string& target,
                                           const BindFlags& flags) {
  TNAS_RETURN_IF_ERROR(sysMount(source, target, "", MS_BIND, ""));
  Status st = sysMount("", target, "", MS_REMOUNT | MS_BIND | flags.msFlags, "");
  if (!st.ok()) {
    // Never leave a bind with weaker flags (writable, exec, suid) than were asked for.
    ::umount2(target.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW);
    return common::annotate(st, "remount of bind mount with " + flags.describe());
  }
  TNAS_LOG(Info).kv("source", source).kv("target", target).kv("flags", flags.describe())
      << "bind-mounted";
  return absl::OkStatus();
}

Status LibmountMounter::mountNfs(const NfsMountSpec& spec) {
  TNAS_ASSIGN_OR_RETURN(NfsMountArgs args,
                        buildNfsMountArgs(spec, options_.resolve, options_.localAddress));
  unsigned long flags = 0;
  std::string data;
  TNAS_RETURN_IF_ERROR(splitForMount(args.data, &flags, &data));
  if (args.readOnly) flags |= MS_RDONLY;
  TNAS_RETURN_IF_ERROR(sysMount(args.source, spec.target, args.fsType, flags, data));
  TNAS_LOG(Info).kv("source", args.source).kv("target", spec.target).kv("options", data)
      << "mounted NFS export";
  return absl::OkStatus();
}

Status LibmountMounter::unmount(const std::string& target, bool force) {
  TNAS_ASSIGN_OR_RETURN(auto entry, findByTarget(target));
  if (!entry) return absl::OkStatus();
  if (!force) {
    if (::umount2(target.c_str(), UMOUNT_NOFOLLOW) != 0) {
      return common::errnoStatus("unmount " + target, errno);
    }
    return absl::OkStatus();
  }
  // Forced: a plain unmount is only tried when the filesystem still answers; a dead one goes
  // straight to MNT_FORCE (aborts pending NFS RPCs). Both run with a deadline in a helper
  // thread; if neither finishes, MNT_DETACH (which never waits on the filesystem) detaches it.
  bool stale = isStale(target);
  int err = 0;
  auto umountCall = [target](int flags) {
    return [target, flags] { return ::umount2(target.c_str(), flags | UMOUNT_NOFOLLOW); };
  };
  if (!stale && callWithDeadline(umountCall(0), options_.staleDeadline, &err) == 0) {
    return absl::OkStatus();
  }
  if (callWithDeadline(umountCall(MNT_FORCE), options_.staleDeadline, &err) == 0) {
    TNAS_LOG(Warn).kv("target", target) << "force-unmounted";
    return absl::OkStatus();
  }
  if (::umount2(target.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) == 0) {
    TNAS_LOG(Warn).kv("target", target) << "lazily detached mount";
    return absl::OkStatus();
  }
  int detachErr = errno;
  auto still = findByTarget(target);
  if (still.ok() && !*still) return absl::OkStatus();  // a timed-out attempt finished meanwhile
  return common::errnoStatus("detach " + target, detachErr);
}

bool LibmountMounter::isStale(const std::string& target) {
  int err = 0;
  auto st = statWithDeadline(target, options_.staleDeadline, &err);
  if (st.ok()) return false;
  return err == ESTALE || err == EIO || err == ENOTCONN || err == ETIMEDOUT || err == EHOSTDOWN;
}

}  // namespace tnascsi::agent

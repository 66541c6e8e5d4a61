// Applying configfs operations and reading the LIO state back: see configfs_ops.h.
#include "test/guest/backing/configfs_ops.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/base/c_handle.h"

namespace tnascsi::sim {
namespace {

using Kind = ConfigfsOp::Kind;

// Writes one attribute. configfs attributes exist already (opened without O_CREAT); a stand-in
// tree creates its files.
Status writeAttr(const std::string& path, const std::string& value, bool create) {
  int flags = O_WRONLY | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0);
  int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) return common::errnoStatus("open " + path, errno);
  common::Cleanup closer([fd] { ::close(fd); });
  // configfs ignores zero-length writes; a lone newline stores an empty value.
  const std::string data = value.empty() ? std::string("\n") : value;
  ssize_t n = ::write(fd, data.data(), data.size());
  if (n < 0) return common::errnoStatus("write " + path, errno);
  if (static_cast<size_t>(n) != data.size()) {
    return absl::InternalError("short write to " + path);
  }
  return absl::OkStatus();
}

std::optional<std::string> readAttr(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  common::Cleanup closer([fd] { ::close(fd); });
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ' || out.back() == '\0')) {
    out.pop_back();
  }
  return out;
}

std::string attr(const std::string& path) {
  return readAttr(path).value_or("");
}

using Dir = common::CHandle<DIR, &::closedir>;

// Entries of a directory: (name, d_type resolved with lstat).
struct Entry {
  std::string name;
  bool dir = false;
  bool link = false;
};
std::vector<Entry> list(const std::string& path) {
  std::vector<Entry> out;
  Dir d(::opendir(path.c_str()));
  if (!d) return out;
  while (dirent* e = ::readdir(d.get())) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    if (::lstat((path + "/" + name).c_str(), &st) != 0) continue;
    out.push_back({name, S_ISDIR(st.st_mode), S_ISLNK(st.st_mode)});
  }
  return out;
}

std::string baseName(const std::string& p) {
  auto slash = p.find_last_of('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

ChapCredentials readChap(const std::string& dir) {
  // A cleared credential reads back as "NULL" (what the plan writes to clear it).
  auto cred = [&](const char* name) {
    std::string v = attr(dir + "/auth/" + name);
    return v == "NULL" ? std::string() : v;
  };
  return {cred("userid"), cred("password"), cred("userid_mutual"), cred("password_mutual")};
}

// Number from "lun_<n>", -1 otherwise.
int lunNumber(const std::string& name) {
  if (name.rfind("lun_", 0) != 0 || name.size() == 4) return -1;
  int n = 0;
  for (size_t i = 4; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9' || n > 100000) return -1;
    n = n * 10 + (name[i] - '0');
  }
  return n;
}

Target readTarget(const std::string& tpg) {
  Target t;
  for (const auto& e : list(tpg + "/np")) {
    if (e.dir) t.portals.insert(e.name);
  }
  for (const auto& e : list(tpg + "/lun")) {
    int n = lunNumber(e.name);
    if (n < 0 || !e.dir) continue;
    for (const auto& l : list(tpg + "/lun/" + e.name)) {
      if (!l.link) continue;
      char buf[4096];
      ssize_t len =
          ::readlink((tpg + "/lun/" + e.name + "/" + l.name).c_str(), buf, sizeof buf - 1);
      if (len > 0) t.luns[n] = baseName(std::string(buf, static_cast<size_t>(len)));
      break;
    }
    if (!t.luns.count(n)) t.luns[n] = "";  // a LUN without a device: removed and recreated
  }
  t.demoMode = attr(tpg + "/attrib/generate_node_acls") == "1";
  t.chap = attr(tpg + "/attrib/authentication") == "1";
  t.demoChap = readChap(tpg);
  for (const auto& e : list(tpg + "/acls")) {
    if (!e.dir) continue;
    Acl acl;
    for (const auto& m : list(tpg + "/acls/" + e.name)) {
      int n = lunNumber(m.name);
      if (n >= 0 && m.dir) acl.luns.insert(n);
    }
    acl.chap = readChap(tpg + "/acls/" + e.name);
    t.acls[e.name] = std::move(acl);
  }
  return t;
}

// mkdir -p of the parents of `rel` under `root`. On configfs the parents are default groups that
// already exist (or fabric/HBA groups whose creation is wanted); in a stand-in tree they are made.
Status makeParents(const std::string& root, const std::string& rel) {
  std::string path = root;
  size_t start = 0;
  for (size_t slash = rel.find('/'); slash != std::string::npos; slash = rel.find('/', start)) {
    path += "/" + rel.substr(start, slash - start);
    start = slash + 1;
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
      return common::errnoStatus("mkdir " + path, errno);
    }
  }
  return absl::OkStatus();
}

// configfs rmdir on a plain tree (see TreeKind::kStandIn).
int standInRmdir(const std::string& path) {
  static const std::set<std::string> kDefaultGroups = {
      "attrib", "auth", "param", "wwn", "np", "lun", "acls", "pr", "alua", "statistics"};
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return -1;
  for (const auto& e : list(path)) {
    if (e.link) return errno = ENOTEMPTY, -1;
    if (!e.dir) continue;
    if (!kDefaultGroups.count(e.name)) return errno = ENOTEMPTY, -1;
    for (const auto& inner : list(path + "/" + e.name)) {
      if (inner.dir || inner.link) return errno = ENOTEMPTY, -1;
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) return errno = ec.value(), -1;
  return 0;
}

}  // namespace

std::string describe(const ConfigfsOp& op) {
  switch (op.kind) {
    case Kind::kMkdir:
      return "mkdir " + op.path;
    case Kind::kRmdir:
      return "rmdir " + op.path;
    case Kind::kWrite:
      return "write " + op.path + " " + (op.secret ? std::string("<secret>") : op.value);
    case Kind::kSymlink:
      return "symlink " + op.path + " -> " + op.value;
    case Kind::kUnlink:
      return "unlink " + op.path;
  }
  return "?";
}

Status applyOps(const std::string& root, const std::vector<ConfigfsOp>& ops, TreeKind kind) {
  for (const auto& op : ops) {
    const std::string path = root + "/" + op.path;
    if (op.kind == Kind::kMkdir || op.kind == Kind::kWrite || op.kind == Kind::kSymlink) {
      TNAS_RETURN_IF_ERROR(makeParents(root, op.path));
    }
    int rc = 0;
    switch (op.kind) {
      case Kind::kMkdir:
        rc = ::mkdir(path.c_str(), 0755);
        if (rc != 0 && errno == EEXIST) rc = 0;
        break;
      case Kind::kRmdir:
        rc = kind == TreeKind::kStandIn ? standInRmdir(path) : ::rmdir(path.c_str());
        if (rc != 0 && errno == ENOENT) rc = 0;
        break;
      case Kind::kWrite: {
        Status s = writeAttr(path, op.value, kind == TreeKind::kStandIn);
        if (!s.ok()) return common::annotate(s, describe(op));
        break;
      }
      case Kind::kSymlink:
        rc = ::symlink((root + "/" + op.value).c_str(), path.c_str());
        if (rc != 0 && errno == EEXIST) rc = 0;
        break;
      case Kind::kUnlink:
        rc = ::unlink(path.c_str());
        if (rc != 0 && errno == ENOENT) rc = 0;
        break;
    }
    if (rc != 0) return common::errnoStatus(describe(op), errno);
  }
  return absl::OkStatus();
}

StatusOr<LioState> readLioState(const std::string& root) {
  struct stat st {};
  if (::stat(root.c_str(), &st) != 0) return common::errnoStatus("stat " + root, errno);
  LioState state;
  const std::string hba = root + "/core/fileio_0";
  for (const auto& e : list(hba)) {
    if (!e.dir) continue;
    Backstore bs;
    bs.file = attr(hba + "/" + e.name + "/udev_path");
    std::string serial = attr(hba + "/" + e.name + "/wwn/vpd_unit_serial");
    static const std::string kPrefix = "T10 VPD Unit Serial Number: ";
    if (serial.rfind(kPrefix, 0) == 0) serial = serial.substr(kPrefix.size());
    bs.unitSerial = serial;
    bs.companyId = attr(hba + "/" + e.name + "/wwn/company_id");
    state.backstores[e.name] = std::move(bs);
  }
  for (const auto& e : list(root + "/iscsi")) {
    if (!e.dir) continue;
    if (e.name.rfind("iqn.", 0) != 0 && e.name.rfind("eui.", 0) != 0 &&
        e.name.rfind("naa.", 0) != 0) {
      continue;
    }
    state.targets[e.name] = readTarget(root + "/iscsi/" + e.name + "/tpgt_1");
  }
  return state;
}

}  // namespace tnascsi::sim

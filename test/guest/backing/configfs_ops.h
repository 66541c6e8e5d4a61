// Operations on a configfs tree (or a stand-in directory tree in tests), the unit in which the
// reconcile plan is expressed, and the code that applies and reads them.
//
// Paths are relative to the LIO root (normally /sys/kernel/config/target). Not thread-safe; one
// backing process runs at a time.
#pragma once

#include <string>
#include <vector>

#include "common/base/status.h"
#include "test/guest/backing/lio_model.h"

namespace tnascsi::sim {

struct ConfigfsOp {
  enum class Kind { kMkdir, kRmdir, kWrite, kSymlink, kUnlink };
  Kind kind;
  std::string path;
  std::string value;    // kWrite: content; kSymlink: link target (relative to the root)
  bool secret = false;  // kWrite of a CHAP secret: never printed
  bool operator==(const ConfigfsOp&) const = default;
};

// "mkdir core/fileio_0/x", "write iscsi/…/enable 1", secrets shown as "<secret>".
std::string describe(const ConfigfsOp& op);

// kConfigfs: the real configfs, where rmdir of a group drops its attributes and default groups.
// kStandIn: a plain directory tree (tests); rmdir emulates configfs: it removes the directory with
// its attribute files and default groups (attrib, auth, param, wwn, np, lun, acls, …), and fails
// with ENOTEMPTY while a link or a user-created group remains below it.
enum class TreeKind { kConfigfs, kStandIn };

// Applies `ops` in order under `root`. mkdir of an existing directory is not an error (configfs
// creates default groups itself); rmdir/unlink of a missing entry is not an error (idempotent).
// Stops at the first failure and returns it (errno mapped, path named, secrets never included).
Status applyOps(const std::string& root, const std::vector<ConfigfsOp>& ops,
                TreeKind kind = TreeKind::kConfigfs);

// Reads the state this backing manages from the tree under `root`: fileio backstores and iSCSI
// targets (tpgt_1 only). Missing attributes read as empty. NotFound if `root` does not exist.
StatusOr<LioState> readLioState(const std::string& root);

}  // namespace tnascsi::sim

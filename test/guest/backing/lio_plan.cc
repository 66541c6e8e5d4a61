// Reconcile planning for LIO: see lio_plan.h.
#include "test/guest/backing/lio_plan.h"

#include <string>
#include <vector>

namespace tnascsi::sim {
namespace {

using Op = ConfigfsOp;
using Kind = ConfigfsOp::Kind;

std::string lunDir(const std::string& iqn, int lun) {
  return tpgPath(iqn) + "/lun/lun_" + std::to_string(lun);
}
std::string aclDir(const std::string& iqn, const std::string& initiator) {
  return tpgPath(iqn) + "/acls/" + initiator;
}
std::string mappedLunDir(const std::string& iqn, const std::string& initiator, int lun) {
  return aclDir(iqn, initiator) + "/lun_" + std::to_string(lun);
}

// The identity of a desired backstore matches the current one (empty desired company id: any).
bool identityMatches(const Backstore& current, const Backstore& desired) {
  return current.file == desired.file && current.unitSerial == desired.unitSerial &&
         (desired.companyId.empty() || current.companyId == desired.companyId);
}

class Planner {
 public:
  Planner(const LioState& current, const LioState& desired) : cur_(current), want_(desired) {
    for (const auto& [name, bs] : want_.backstores) {
      auto it = cur_.backstores.find(name);
      if (it == cur_.backstores.end() || !identityMatches(it->second, bs)) recreated_.insert(name);
    }
  }

  std::vector<Op> plan() {
    removals();
    creations();
    return std::move(ops_);
  }

 private:
  void mkdir(const std::string& p) { ops_.push_back({Kind::kMkdir, p, "", false}); }
  void rmdir(const std::string& p) { ops_.push_back({Kind::kRmdir, p, "", false}); }
  void write(const std::string& p, const std::string& v, bool secret = false) {
    ops_.push_back({Kind::kWrite, p, v, secret});
  }
  void symlink(const std::string& link, const std::string& target) {
    ops_.push_back({Kind::kSymlink, link, target, false});
  }
  void unlink(const std::string& p) { ops_.push_back({Kind::kUnlink, p, "", false}); }

  // A current LUN survives when the desired target maps the same number to the same, unchanged
  // backstore.
  bool lunKept(const std::string& iqn, int lun, const std::string& backstore) const {
    auto t = want_.targets.find(iqn);
    if (t == want_.targets.end()) return false;
    auto l = t->second.luns.find(lun);
    return l != t->second.luns.end() && l->second == backstore && !recreated_.count(backstore);
  }

  void removeMappedLun(const std::string& iqn, const std::string& initiator, int lun) {
    unlink(mappedLunDir(iqn, initiator, lun) + "/lun");
    rmdir(mappedLunDir(iqn, initiator, lun));
  }

  void removeAcl(const std::string& iqn, const std::string& initiator, const Acl& acl) {
    for (int lun : acl.luns) removeMappedLun(iqn, initiator, lun);
    rmdir(aclDir(iqn, initiator));
  }

  void removeLun(const std::string& iqn, int lun, const std::string& backstore) {
    unlink(lunDir(iqn, lun) + "/" + backstore);
    rmdir(lunDir(iqn, lun));
  }

  void removals() {
    for (const auto& [iqn, t] : cur_.targets) {
      auto w = want_.targets.find(iqn);
      if (w == want_.targets.end()) {
        write(tpgPath(iqn) + "/enable", "0");
        for (const auto& [ini, acl] : t.acls) removeAcl(iqn, ini, acl);
        for (const auto& [lun, bs] : t.luns) removeLun(iqn, lun, bs);
        for (const auto& portal : t.portals) rmdir(tpgPath(iqn) + "/np/" + portal);
        rmdir(tpgPath(iqn));
        rmdir("iscsi/" + iqn);
        continue;
      }
      const Target& want = w->second;
      for (const auto& [ini, acl] : t.acls) {
        auto wa = want.acls.find(ini);
        if (wa == want.acls.end() || want.demoMode) {
          removeAcl(iqn, ini, acl);
          continue;
        }
        for (int lun : acl.luns) {
          auto l = t.luns.find(lun);
          bool kept =
              wa->second.luns.count(lun) && l != t.luns.end() && lunKept(iqn, lun, l->second);
          if (!kept) removeMappedLun(iqn, ini, lun);
        }
      }
      for (const auto& [lun, bs] : t.luns) {
        if (!lunKept(iqn, lun, bs)) removeLun(iqn, lun, bs);
      }
      for (const auto& portal : t.portals) {
        if (!want.portals.count(portal)) rmdir(tpgPath(iqn) + "/np/" + portal);
      }
    }
    for (const auto& [name, bs] : cur_.backstores) {
      auto w = want_.backstores.find(name);
      if (w == want_.backstores.end() || recreated_.count(name)) rmdir(backstorePath(name));
    }
  }

  void createBackstore(const std::string& name, const Backstore& bs) {
    mkdir("core/fileio_0");
    mkdir(backstorePath(name));
    write(backstorePath(name) + "/control",
          "fd_dev_name=" + bs.file + ",fd_dev_size=" + std::to_string(bs.size));
    write(backstorePath(name) + "/udev_path", bs.file);
    write(backstorePath(name) + "/wwn/vpd_unit_serial", bs.unitSerial);
    if (!bs.companyId.empty()) write(backstorePath(name) + "/wwn/company_id", bs.companyId);
    write(backstorePath(name) + "/enable", "1");
    // After enable: emulate_tpu before enable crashes the kernel (guest-rig.md).
    write(backstorePath(name) + "/attrib/emulate_tpws", "1");
    write(backstorePath(name) + "/attrib/emulate_tpu", "1");
  }

  void writeChap(const std::string& dir, const ChapCredentials& want, const ChapCredentials& have,
                 bool fresh) {
    auto put = [&](const char* attr, const std::string& w, const std::string& h, bool secret) {
      // LIO clears a credential (and its "set" flag) only when written "NULL".
      if (fresh ? !w.empty() : w != h) write(dir + "/auth/" + attr, w.empty() ? "NULL" : w, secret);
    };
    put("userid", want.userid, have.userid, false);
    put("password", want.password, have.password, true);
    put("userid_mutual", want.useridMut, have.useridMut, false);
    put("password_mutual", want.passwordMut, have.passwordMut, true);
  }

  void createLun(const std::string& iqn, int lun, const std::string& backstore) {
    mkdir(lunDir(iqn, lun));
    symlink(lunDir(iqn, lun) + "/" + backstore, backstorePath(backstore));
  }

  void createMappedLun(const std::string& iqn, const std::string& initiator, int lun) {
    mkdir(mappedLunDir(iqn, initiator, lun));
    symlink(mappedLunDir(iqn, initiator, lun) + "/lun", lunDir(iqn, lun));
  }

  void creations() {
    for (const auto& [name, bs] : want_.backstores) {
      if (recreated_.count(name)) createBackstore(name, bs);
    }
    for (const auto& [iqn, want] : want_.targets) {
      auto c = cur_.targets.find(iqn);
      bool fresh = c == cur_.targets.end();
      static const Target kEmpty;
      const Target& have = fresh ? kEmpty : c->second;
      const std::string tpg = tpgPath(iqn);
      if (fresh) {
        mkdir("iscsi/" + iqn);
        mkdir(tpg);
      }
      for (const auto& portal : want.portals) {
        if (!have.portals.count(portal)) mkdir(tpg + "/np/" + portal);
      }
      for (const auto& [lun, bs] : want.luns) {
        auto l = have.luns.find(lun);
        bool kept = l != have.luns.end() && l->second == bs && !recreated_.count(bs);
        if (!kept) createLun(iqn, lun, bs);
      }
      if (fresh || have.demoMode != want.demoMode) {
        write(tpg + "/attrib/generate_node_acls", want.demoMode ? "1" : "0");
        write(tpg + "/attrib/cache_dynamic_acls", want.demoMode ? "1" : "0");
        write(tpg + "/attrib/demo_mode_write_protect", "0");
      }
      if (fresh || have.chap != want.chap) {
        write(tpg + "/attrib/authentication", want.chap ? "1" : "0");
      }
      if (want.demoMode) writeChap(tpg, want.demoChap, have.demoChap, fresh);
      for (const auto& [ini, acl] : want.acls) {
        if (want.demoMode) break;
        auto ca = have.acls.find(ini);
        bool aclFresh = ca == have.acls.end() || have.demoMode;
        static const Acl kNoAcl;
        const Acl& haveAcl = aclFresh ? kNoAcl : ca->second;
        if (aclFresh) mkdir(aclDir(iqn, ini));
        for (int lun : acl.luns) {
          auto l = have.luns.find(lun);
          bool kept = !aclFresh && haveAcl.luns.count(lun) && l != have.luns.end() &&
                      lunKept(iqn, lun, l->second);
          if (!kept) createMappedLun(iqn, ini, lun);
        }
        writeChap(aclDir(iqn, ini), acl.chap, haveAcl.chap, aclFresh);
      }
      if (fresh) write(tpg + "/enable", "1");
    }
  }

  const LioState& cur_;
  const LioState& want_;
  std::set<std::string> recreated_;  // desired backstores that must be (re)created
  std::vector<Op> ops_;
};

}  // namespace

std::string backstorePath(const std::string& name) {
  return "core/fileio_0/" + name;
}
std::string tpgPath(const std::string& iqn) {
  return "iscsi/" + iqn + "/tpgt_1";
}

std::vector<ConfigfsOp> planLio(const LioState& current, const LioState& desired) {
  return Planner(current, desired).plan();
}

}  // namespace tnascsi::sim

// Reconcile planning (lio_plan.h) applied to a stand-in configfs tree in a temp dir, then read
// back with readLioState: idempotency, minimal changes, ordering, secrets never described.
#include "test/guest/backing/lio_plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "test/guest/backing/configfs_ops.h"
#include "test/guest/backing/tests/temp_dir.h"

namespace tnascsi::sim {
namespace {

using Kind = ConfigfsOp::Kind;
const char kIqn[] = "iqn.2005-10.org.freenas.ctl:pvc-1";
const char kIni1[] = "iqn.1993-08.org.debian:01:aaa";
const char kIni2[] = "iqn.1993-08.org.debian:01:bbb";

LioState oneTarget(bool demo) {
  LioState s;
  s.backstores["pvc-1"] = {"/srv/tnas/zvol/tank/pvc-1", 1 << 20, "serial1", "0x589cfc"};
  Target t;
  t.portals = {"127.0.0.1:3260"};
  t.luns[0] = "pvc-1";
  t.demoMode = demo;
  if (!demo) t.acls[kIni1].luns = {0};
  s.targets[kIqn] = t;
  return s;
}

class LioPlanTest : public ::testing::Test {
 protected:
  // Plans from what the tree holds to `desired`, applies it, returns the ops.
  std::vector<ConfigfsOp> reconcile(const LioState& desired) {
    auto current = readLioState(dir_.path());
    EXPECT_TRUE(current.ok()) << current.status();
    auto ops = planLio(*current, desired);
    auto st = applyOps(dir_.path(), ops, TreeKind::kStandIn);
    EXPECT_TRUE(st.ok()) << st;
    return ops;
  }
  bool exists(const std::string& rel) {
    return std::filesystem::exists(std::filesystem::symlink_status(dir_.path() + "/" + rel));
  }
  testing::TempDir dir_;
};

size_t indexOf(const std::vector<ConfigfsOp>& ops, Kind kind, const std::string& pathSuffix) {
  for (size_t i = 0; i < ops.size(); ++i) {
    const auto& p = ops[i].path;
    if (ops[i].kind == kind && p.size() >= pathSuffix.size() &&
        p.compare(p.size() - pathSuffix.size(), pathSuffix.size(), pathSuffix) == 0) {
      return i;
    }
  }
  return ops.size();
}

TEST_F(LioPlanTest, CreatesAndReadsBackAndIsIdempotent) {
  LioState want = oneTarget(false);
  auto ops = reconcile(want);
  EXPECT_FALSE(ops.empty());
  EXPECT_TRUE(exists("core/fileio_0/pvc-1"));
  EXPECT_TRUE(exists(std::string("iscsi/") + kIqn + "/tpgt_1/np/127.0.0.1:3260"));
  EXPECT_TRUE(exists(std::string("iscsi/") + kIqn + "/tpgt_1/lun/lun_0/pvc-1"));
  EXPECT_TRUE(exists(std::string("iscsi/") + kIqn + "/tpgt_1/acls/" + kIni1 + "/lun_0/lun"));

  auto back = readLioState(dir_.path());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->backstores.at("pvc-1").file, "/srv/tnas/zvol/tank/pvc-1");
  EXPECT_EQ(back->backstores.at("pvc-1").unitSerial, "serial1");
  EXPECT_EQ(back->targets.at(kIqn).luns.at(0), "pvc-1");
  EXPECT_EQ(back->targets.at(kIqn).acls.count(kIni1), 1u);
  EXPECT_FALSE(back->targets.at(kIqn).demoMode);

  EXPECT_TRUE(planLio(*back, want).empty());
}

TEST_F(LioPlanTest, BackstoreEnabledBeforeTpuAndSerialBeforeEnable) {
  auto ops = reconcile(oneTarget(true));
  size_t serial = indexOf(ops, Kind::kWrite, "pvc-1/wwn/vpd_unit_serial");
  size_t enable = indexOf(ops, Kind::kWrite, "fileio_0/pvc-1/enable");
  size_t tpu = indexOf(ops, Kind::kWrite, "pvc-1/attrib/emulate_tpu");
  size_t lun = indexOf(ops, Kind::kSymlink, "lun_0/pvc-1");
  size_t tpgEnable = indexOf(ops, Kind::kWrite, "tpgt_1/enable");
  ASSERT_LT(tpgEnable, ops.size());
  EXPECT_LT(serial, enable);
  EXPECT_LT(enable, tpu);
  EXPECT_LT(tpu, lun);
  EXPECT_LT(lun, tpgEnable);
}

TEST_F(LioPlanTest, AddingAnInitiatorLeavesTheExistingAclAndLunAlone) {
  reconcile(oneTarget(false));
  LioState want = oneTarget(false);
  want.targets[kIqn].acls[kIni2].luns = {0};
  auto ops = reconcile(want);
  for (const auto& op : ops) {
    EXPECT_NE(op.kind, Kind::kRmdir) << describe(op);
    EXPECT_NE(op.kind, Kind::kUnlink) << describe(op);
    EXPECT_EQ(op.path.find(kIni1), std::string::npos) << describe(op);
    EXPECT_EQ(op.path.find("tpgt_1/lun/"), std::string::npos) << describe(op);
  }
  EXPECT_TRUE(exists(std::string("iscsi/") + kIqn + "/tpgt_1/acls/" + kIni2 + "/lun_0/lun"));
}

TEST_F(LioPlanTest, AnUnrelatedTargetChangeDoesNotTouchTheFirstTarget) {
  reconcile(oneTarget(false));
  LioState want = oneTarget(false);
  want.backstores["pvc-2"] = {"/srv/tnas/zvol/tank/pvc-2", 1 << 20, "serial2", ""};
  Target t2;
  t2.portals = {"127.0.0.1:3260"};
  t2.luns[0] = "pvc-2";
  t2.demoMode = true;
  want.targets["iqn.2005-10.org.freenas.ctl:pvc-2"] = t2;
  auto ops = reconcile(want);
  for (const auto& op : ops) EXPECT_EQ(op.path.find(kIqn), std::string::npos) << describe(op);
  EXPECT_TRUE(planLio(*readLioState(dir_.path()), want).empty());

  // And removing it again leaves pvc-1 as it was.
  ops = reconcile(oneTarget(false));
  EXPECT_FALSE(exists("iscsi/iqn.2005-10.org.freenas.ctl:pvc-2"));
  EXPECT_FALSE(exists("core/fileio_0/pvc-2"));
  for (const auto& op : ops) EXPECT_EQ(op.path.find(kIqn), std::string::npos) << describe(op);
}

TEST_F(LioPlanTest, RemovingEverythingLeavesOnlyTheHbaDirectory) {
  reconcile(oneTarget(false));
  auto ops = reconcile(LioState{});
  EXPECT_FALSE(exists("iscsi/" + std::string(kIqn)));
  EXPECT_FALSE(exists("core/fileio_0/pvc-1"));
  // Mapped LUN before its ACL, LUN before the backstore.
  EXPECT_LT(indexOf(ops, Kind::kUnlink, "lun_0/lun"), indexOf(ops, Kind::kRmdir, kIni1));
  EXPECT_LT(indexOf(ops, Kind::kRmdir, "lun/lun_0"), indexOf(ops, Kind::kRmdir, "fileio_0/pvc-1"));
}

TEST_F(LioPlanTest, SerialChangeRecreatesTheBackstoreAndItsLun) {
  reconcile(oneTarget(false));
  LioState want = oneTarget(false);
  want.backstores["pvc-1"].unitSerial = "serial9";
  auto ops = reconcile(want);
  EXPECT_LT(indexOf(ops, Kind::kRmdir, "fileio_0/pvc-1"), ops.size());
  EXPECT_LT(indexOf(ops, Kind::kSymlink, "lun_0/pvc-1"), ops.size());
  EXPECT_LT(indexOf(ops, Kind::kSymlink, "lun_0/lun"), ops.size());
  EXPECT_EQ(readLioState(dir_.path())->backstores.at("pvc-1").unitSerial, "serial9");
}

TEST_F(LioPlanTest, SwitchingToDemoModeDropsAclsAndSetsAttributes) {
  reconcile(oneTarget(false));
  auto ops = reconcile(oneTarget(true));
  auto back = readLioState(dir_.path());
  EXPECT_TRUE(back->targets.at(kIqn).demoMode);
  EXPECT_TRUE(back->targets.at(kIqn).acls.empty());
  EXPECT_FALSE(exists(std::string("iscsi/") + kIqn + "/tpgt_1/acls/" + kIni1));
  EXPECT_TRUE(exists(std::string("iscsi/") + kIqn + "/tpgt_1/lun/lun_0/pvc-1"));
  EXPECT_EQ(indexOf(ops, Kind::kRmdir, "lun/lun_0"), ops.size());
}

TEST_F(LioPlanTest, ChapChangesOnlyWriteTheChangedAttributesAndAreNeverDescribed) {
  LioState want = oneTarget(false);
  want.targets[kIqn].chap = true;
  want.targets[kIqn].acls[kIni1].chap = {"user", "secret-one-1234", "", ""};
  auto ops = reconcile(want);
  for (const auto& op : ops) EXPECT_EQ(describe(op).find("secret-one"), std::string::npos);
  want.targets[kIqn].acls[kIni1].chap = {"user", "secret-one-1234", "tuser", "secret-two-5678"};
  ops = reconcile(want);
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0].path,
            std::string("iscsi/") + kIqn + "/tpgt_1/acls/" + kIni1 + "/auth/userid_mutual");
  EXPECT_TRUE(ops[1].secret);
  EXPECT_EQ(describe(ops[1]).find("secret-two"), std::string::npos);
  EXPECT_TRUE(planLio(*readLioState(dir_.path()), want).empty());

  // Back to one-way: the mutual credentials are cleared with LIO's "NULL".
  want.targets[kIqn].acls[kIni1].chap = {"user", "secret-one-1234", "", ""};
  ops = reconcile(want);
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0].value, "NULL");
  EXPECT_EQ(ops[1].value, "NULL");
  EXPECT_TRUE(planLio(*readLioState(dir_.path()), want).empty());
}

TEST_F(LioPlanTest, ReadingAMissingRootIsNotFound) {
  auto st = readLioState(dir_.path() + "/nope");
  EXPECT_EQ(st.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace tnascsi::sim

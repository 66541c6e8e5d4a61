// Multipath staging decisions (issue #16) against the fake host: every portal logged in to, the
// dm-multipath map staged, mismatched paths and a missing map refused with the logins rolled back,
// unstage removing the map before the paths' disks and sessions, per-path self-healing and the
// "k of n paths down" condition.
#include <algorithm>

#include "agent/stage/attach_record.h"
#include "test/unit/agent/stage/stage_fixture.h"

namespace tnascsi::agent::stage::testing {
namespace {

constexpr char kAddr2[] = "192.0.2.11";

class MultipathTest : public StageTest {
 protected:
  MultipathTest() {
    std::lock_guard<std::mutex> lock(host_.kernel.mu);
    host_.kernel.targets[kIqn].moreAddresses = {kAddr2};
  }
  StageRequest mpRequest() const {
    StageRequest r = iscsiRequest();
    r.context["portals"] = std::string(kAddr2) + ":3260";
    r.context["multipath"] = "true";
    return r;
  }
  size_t sessionCount() const {
    std::lock_guard<std::mutex> lock(host_.kernel.mu);
    return host_.kernel.sessions.size();
  }
  int sidAt(const std::string& address) const {
    std::lock_guard<std::mutex> lock(host_.kernel.mu);
    for (const auto& [sid, s] : host_.kernel.sessions) {
      if (s.address == address) return sid;
    }
    return -1;
  }
  size_t journalIndex(const std::string& op) const {
    std::lock_guard<std::mutex> lock(host_.kernel.mu);
    const auto& j = host_.kernel.journal;
    return static_cast<size_t>(std::find(j.begin(), j.end(), op) - j.begin());
  }
};

TEST_F(MultipathTest, StagesTheMapHoldingEveryPathAndRecordsThePaths) {
  ASSERT_TRUE(volumes_->stage(mpRequest()).ok());
  EXPECT_EQ(sessionCount(), 2u);
  auto maps = host_.multipath.maps();
  ASSERT_EQ(maps.size(), 1u);
  EXPECT_EQ(maps[0].slaves.size(), 2u);
  auto mounted = host_.mounter.findByTarget(staging());
  ASSERT_TRUE(mounted.ok() && mounted->has_value());
  EXPECT_EQ((*mounted)->source, maps[0].devnode);  // the map, not one path's disk
  auto record = store_.load("pvc-1");
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_TRUE((*record)->multipath);
  ASSERT_EQ((*record)->paths.size(), 2u);
  EXPECT_EQ((*record)->paths[0].address, kAddr);
  EXPECT_EQ((*record)->paths[1].address, kAddr2);
  EXPECT_EQ((*record)->paths[1].sid, sidAt(kAddr2));
  EXPECT_EQ((*record)->mapUuid, maps[0].uuid);
  // Staging again is idempotent: no new logins, no second map.
  EXPECT_TRUE(volumes_->stage(mpRequest()).ok());
  EXPECT_EQ(host_.kernel.count("login"), 2);
  EXPECT_EQ(host_.multipath.maps().size(), 1u);
}

TEST_F(MultipathTest, WithoutTheParameterOnlyOnePortalIsUsed) {
  StageRequest r = mpRequest();
  r.context.erase("multipath");
  ASSERT_TRUE(volumes_->stage(r).ok());
  EXPECT_EQ(sessionCount(), 1u);
  EXPECT_TRUE(host_.multipath.maps().empty());
}

TEST_F(MultipathTest, PathsWithDifferentSerialsAreRefusedAndLoggedOut) {
  {
    std::lock_guard<std::mutex> lock(host_.kernel.mu);
    host_.kernel.targets[kIqn].serialVia[kAddr2] = "SER-OTHER";
  }
  Status s = volumes_->stage(mpRequest());
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_NE(s.message().find("SER-OTHER"), std::string::npos) << s;
  EXPECT_EQ(sessionCount(), 0u);
  EXPECT_TRUE(host_.multipath.maps().empty());
  EXPECT_TRUE(host_.kernel.formats.empty());
  auto record = store_.load("pvc-1");
  ASSERT_TRUE(record.ok());
  EXPECT_FALSE(record->has_value());
}

TEST_F(MultipathTest, PathsThatAreNotOneLunAreRefusedEvenWithoutASerialInTheContext) {
  {
    std::lock_guard<std::mutex> lock(host_.kernel.mu);
    host_.kernel.targets[kIqn].serialVia[kAddr2] = "SER-OTHER";
  }
  StageRequest r = mpRequest();
  r.context.erase("serial");
  r.context["naa"] = "naa.6589cfc000000aaa";  // both paths carry it
  Status s = volumes_->stage(r);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_NE(s.message().find("not one LUN"), std::string::npos) << s;
  EXPECT_EQ(sessionCount(), 0u);
}

TEST_F(MultipathTest, NoMapIsRefusedAndTheLoginsAreRolledBack) {
  {
    std::lock_guard<std::mutex> lock(host_.kernel.mu);
    host_.kernel.multipathd = false;
  }
  Status s = volumes_->stage(mpRequest());
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_NE(s.message().find("multipathd is not running"), std::string::npos) << s;
  EXPECT_EQ(sessionCount(), 0u);
  EXPECT_EQ(host_.kernel.count("logout"), 2);
  EXPECT_TRUE(host_.kernel.formats.empty());
  auto record = store_.load("pvc-1");
  ASSERT_TRUE(record.ok());
  EXPECT_FALSE(record->has_value());
}

TEST_F(MultipathTest, UnstageRemovesTheMapThenThePathDisksThenTheSessions) {
  ASSERT_TRUE(volumes_->stage(mpRequest()).ok());
  ASSERT_TRUE(volumes_->unstage("pvc-1", staging()).ok());
  EXPECT_TRUE(host_.multipath.maps().empty());
  EXPECT_EQ(sessionCount(), 0u);
  size_t removeMap = journalIndex("removeMap");
  size_t removeLun = journalIndex("removeLun");
  size_t logout = journalIndex("logout");
  ASSERT_LT(logout, host_.kernel.journal.size());
  EXPECT_LT(removeMap, removeLun);
  EXPECT_LT(removeLun, logout);
  EXPECT_EQ(host_.kernel.count("removeLun"), 2);
  EXPECT_EQ(host_.kernel.count("logout"), 2);
  auto record = store_.load("pvc-1");
  ASSERT_TRUE(record.ok());
  EXPECT_FALSE(record->has_value());
}

TEST_F(MultipathTest, UnstageKeepsEverythingWhileTheMapIsMountedElsewhere) {
  ASSERT_TRUE(volumes_->stage(mpRequest()).ok());
  auto maps = host_.multipath.maps();
  ASSERT_EQ(maps.size(), 1u);
  ASSERT_TRUE(host_.mounter.unmount(staging(), false).ok());
  ASSERT_TRUE(host_.mounter.mount(maps[0].devnode, root_ + "/elsewhere", "ext4", "").ok());
  Status s = volumes_->unstage("pvc-1", staging());
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(host_.multipath.maps().size(), 1u);
  EXPECT_EQ(sessionCount(), 2u);
}

TEST_F(MultipathTest, APathDownIsAbnormalWhileStatsStillAnswerAndTheHealerLogsInAgain) {
  ASSERT_TRUE(volumes_->stage(mpRequest()).ok());
  host_.kernel.dropSession(sidAt(kAddr2));
  auto st = volumes_->stats("pvc-1", staging());
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_TRUE(st->condition.abnormal);
  EXPECT_NE(st->condition.message.find("1 of 2 iSCSI paths down"), std::string::npos)
      << st->condition.message;
  EXPECT_GT(st->fs.totalBytes, 0u);  // I/O still flows through the map

  auto pass = healer_->runOnce();
  EXPECT_EQ(pass.relogins, 1);
  EXPECT_EQ(pass.abnormal, 0);
  EXPECT_EQ(sessionCount(), 2u);
  ASSERT_NE(sidAt(kAddr2), -1);
  auto health = health_.get("pvc-1");
  ASSERT_TRUE(health.has_value());
  EXPECT_FALSE(health->abnormal) << health->message;
  st = volumes_->stats("pvc-1", staging());
  ASSERT_TRUE(st.ok());
  EXPECT_FALSE(st->condition.abnormal) << st->condition.message;
  // The path's session survives the healer's sweep of unused owned sessions.
  healer_->runOnce();
  EXPECT_EQ(sessionCount(), 2u);
}

TEST_F(MultipathTest, EveryPathDownIsAbnormalWithoutTouchingTheDevice) {
  ASSERT_TRUE(volumes_->stage(mpRequest()).ok());
  host_.kernel.dropSession(sidAt(kAddr));
  host_.kernel.dropSession(sidAt(kAddr2));
  auto st = volumes_->stats("pvc-1", staging());
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(st->condition.abnormal);
  EXPECT_NE(st->condition.message.find("all 2 iSCSI paths are down"), std::string::npos)
      << st->condition.message;
  EXPECT_EQ(host_.kernel.count("stats"), 0);
}

TEST_F(MultipathTest, TheRecordKeepsEveryPathAndTheMapAcrossJson) {
  AttachRecord r;
  r.volumeId = "pvc-1";
  r.protocol = "iscsi";
  r.stagingPath = "/k/s";
  r.iqn = kIqn;
  r.portalAddress = kAddr;
  r.multipath = true;
  r.paths = {{kAddr, 3260, 3, "/dev/sda"}, {kAddr2, 3261, 4, "/dev/sdb"}};
  r.mapName = "3SER-0";
  r.mapUuid = "mpath-3SER-0";
  auto back = recordFromJson(recordToJson(r));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->multipath);
  ASSERT_EQ(back->paths.size(), 2u);
  EXPECT_EQ(back->paths[1].address, kAddr2);
  EXPECT_EQ(back->paths[1].port, 3261);
  EXPECT_EQ(back->paths[1].sid, 4);
  EXPECT_EQ(back->mapUuid, "mpath-3SER-0");
  EXPECT_TRUE(back->usesSession(sessionKey(kIqn, kAddr2, 3261)));
  EXPECT_FALSE(back->usesSession(sessionKey(kIqn, kAddr2, 3260)));
}

TEST_F(MultipathTest, ABadMultipathValueIsInvalid) {
  StageRequest r = mpRequest();
  r.context["multipath"] = "yes";
  EXPECT_EQ(volumes_->stage(r).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(sessionCount(), 0u);
}

}  // namespace
}  // namespace tnascsi::agent::stage::testing

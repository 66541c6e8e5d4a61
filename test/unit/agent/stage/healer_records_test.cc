// SelfHealer passes, attach-record persistence and volume-context parsing.
#include <sys/stat.h>

#include <fstream>
#include <thread>

#include "test/unit/agent/stage/stage_fixture.h"

namespace tnascsi::agent::stage::testing {
namespace {

using ::testing::HasSubstr;

TEST_F(StageTest, HealerLogsInAgainWhenTheSessionIsGone) {
  auto req = iscsiRequest();
  req.secrets = {{"chapUser", "u1"}, {"chapSecret", "pw-123456789012"}};
  {
    std::lock_guard<std::mutex> lock(host_.kernel.mu);
    host_.kernel.targets[kIqn].chapUser = "u1";
    host_.kernel.targets[kIqn].chapSecret = "pw-123456789012";
  }
  ASSERT_TRUE(volumes_->stage(req).ok());
  host_.kernel.dropSession(host_.kernel.sessionFor(kIqn)->sid);
  auto pass = healer_->runOnce();
  EXPECT_EQ(pass.relogins, 1);
  EXPECT_EQ(pass.abnormal, 0);
  EXPECT_TRUE(host_.kernel.sessionFor(kIqn).has_value());
  EXPECT_EQ(host_.kernel.loginRequests.back().chap.secret, "pw-123456789012");
  auto cond = health_.get("pvc-1");
  ASSERT_TRUE(cond.has_value());
  EXPECT_FALSE(cond->abnormal) << cond->message;
}

TEST_F(StageTest, HealerReportsAFailedReLogin) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  host_.kernel.dropSession(host_.kernel.sessionFor(kIqn)->sid);
  host_.kernel.failures["login"] = absl::UnavailableError("portal down");
  auto pass = healer_->runOnce();
  EXPECT_EQ(pass.abnormal, 1);
  EXPECT_TRUE(health_.get("pvc-1")->abnormal);
  EXPECT_THAT(health_.get("pvc-1")->message, HasSubstr("re-login failed"));
}

TEST_F(StageTest, HealerRescansAMissingLunPrecisely) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  host_.kernel.dropDevice(host_.kernel.devnodeFor(kIqn, 0));
  auto pass = healer_->runOnce();
  EXPECT_EQ(pass.rescans, 1);
  EXPECT_EQ(host_.kernel.count("preciseScan"), 1);
  EXPECT_FALSE(host_.kernel.devnodeFor(kIqn, 0).empty());
  EXPECT_FALSE(health_.get("pvc-1")->abnormal);
}

TEST_F(StageTest, HealerReportsAFailedSessionWithoutTouchingIt) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  {
    std::lock_guard<std::mutex> lock(host_.kernel.mu);
    host_.kernel.sessions.begin()->second.state = "FAILED";
  }
  auto pass = healer_->runOnce();
  EXPECT_EQ(pass.abnormal, 1);
  EXPECT_EQ(pass.relogins, 0);
  EXPECT_EQ(host_.kernel.count("logout"), 0);
  EXPECT_THAT(health_.get("pvc-1")->message, HasSubstr("FAILED"));
}

TEST_F(StageTest, HealerSkipsBusyVolumes) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  host_.kernel.dropSession(host_.kernel.sessionFor(kIqn)->sid);
  auto token = inflight_->tryAcquire("pvc-1");
  auto pass = healer_->runOnce();
  EXPECT_EQ(pass.busy, 1);
  EXPECT_EQ(pass.relogins, 0);
}

TEST_F(StageTest, HealerCleansAnAbandonedAttachRecord) {
  // A crash between login and the end of staging: an "attaching" record and an owned session.
  host_.kernel.failures["mount"] = absl::InternalError("boom");
  ASSERT_FALSE(volumes_->stage(iscsiRequest()).ok());  // rollback removes it: recreate by hand
  host_.kernel.failures.clear();
  LoginRequest login{kIqn, kAddr, 3260, -1, {}};
  ASSERT_TRUE(host_.initiator.login(login).ok());
  ASSERT_TRUE(store_.markSessionOwned(sessionKey(kIqn, kAddr, 3260)).ok());
  AttachRecord r;
  r.volumeId = "pvc-9";
  r.protocol = "iscsi";
  r.phase = AttachRecord::Phase::kAttaching;
  r.stagingPath = staging("pvc-9");
  r.iqn = kIqn;
  r.portalAddress = kAddr;
  r.lun = 0;
  r.serial = "SER-0";
  r.updatedAt =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.wallNow().time_since_epoch()).count();
  ASSERT_TRUE(store_.save(r).ok());
  EXPECT_EQ(healer_->runOnce().cleaned, 0);  // too young: a stage may be running
  clock_.advance(std::chrono::minutes(11));
  auto pass = healer_->runOnce();
  EXPECT_EQ(pass.cleaned, 1);
  EXPECT_FALSE(store_.load("pvc-9")->has_value());
  EXPECT_FALSE(host_.kernel.sessionFor(kIqn).has_value());
}

TEST_F(StageTest, HealerFinishesAnInterruptedUnstage) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  host_.kernel.failures["logout"] = absl::UnavailableError("reconnecting");
  ASSERT_FALSE(volumes_->unstage("pvc-1", staging()).ok());
  host_.kernel.failures.clear();
  auto pass = healer_->runOnce();
  EXPECT_EQ(pass.cleaned, 1);
  EXPECT_FALSE(host_.kernel.sessionFor(kIqn).has_value());
  EXPECT_FALSE(store_.load("pvc-1")->has_value());
}

TEST_F(StageTest, HealerReleasesOwnedSessionsNobodyNeedsButNeverForeignOnes) {
  fakes::FakeTarget other;
  other.iqn = "iqn.2005-10.org.freenas.ctl:foreign";
  other.address = "192.0.2.11";
  other.luns[0] = fakes::makeLun(0, "F-0", {});
  host_.kernel.addTarget(other);
  ASSERT_TRUE(host_.initiator.login({other.iqn, other.address, 3260, -1, {}}).ok());
  ASSERT_TRUE(host_.initiator.login({kIqn, kAddr, 3260, -1, {}}).ok());
  ASSERT_TRUE(store_.markSessionOwned(sessionKey(kIqn, kAddr, 3260)).ok());  // ours, orphaned
  auto pass = healer_->runOnce();
  EXPECT_EQ(pass.sessionsReleased, 1);
  EXPECT_FALSE(host_.kernel.sessionFor(kIqn).has_value());
  EXPECT_TRUE(host_.kernel.sessionFor(other.iqn).has_value());
}

TEST_F(StageTest, HealerReportsStaleNfs) {
  ASSERT_TRUE(volumes_->stage(nfsRequest()).ok());
  host_.kernel.staleMounts.insert(staging("nfs-1"));
  EXPECT_EQ(healer_->runOnce().abnormal, 1);
  EXPECT_TRUE(health_.get("nfs-1")->abnormal);
}

TEST_F(StageTest, HealerThreadRunsAndStops) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  host_.kernel.dropDevice(host_.kernel.devnodeFor(kIqn, 0));
  healer_->start(std::chrono::milliseconds(5));
  for (int i = 0; i < 400 && host_.kernel.count("preciseScan") == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  healer_->stop();
  EXPECT_GE(host_.kernel.count("preciseScan"), 1);
}

// ------------------------------------------------------------------ records

TEST_F(StageTest, RecordsRoundTripWithPrivateMode) {
  AttachRecord r;
  r.volumeId = "tank/k8s/pvc-1";
  r.protocol = "iscsi";
  r.phase = AttachRecord::Phase::kStaged;
  r.stagingPath = staging();
  r.fsType = "xfs";
  r.iqn = kIqn;
  r.portalAddress = kAddr;
  r.portalPort = 3261;
  r.lun = 7;
  r.serial = "S";
  r.naa = "naa.1";
  r.sid = 4;
  r.devnode = "/dev/sdq";
  r.chap = {"u", "p", "ui", "pi"};
  ASSERT_TRUE(store_.save(r).ok());
  struct stat st {};
  ASSERT_EQ(::stat(store_.pathFor(r.volumeId).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto back = store_.load(r.volumeId);
  ASSERT_TRUE(back.ok() && back->has_value());
  EXPECT_EQ((*back)->portalPort, 3261);
  EXPECT_EQ((*back)->lun, 7);
  EXPECT_EQ((*back)->fsType, "xfs");
  EXPECT_EQ((*back)->chap.secretIn, "pi");
  EXPECT_EQ((*back)->phase, AttachRecord::Phase::kStaged);
  ASSERT_TRUE(store_.remove(r.volumeId).ok());
  EXPECT_TRUE(store_.remove(r.volumeId).ok());
  EXPECT_FALSE(store_.load(r.volumeId)->has_value());
}

TEST_F(StageTest, CorruptRecordsAreQuarantinedNotFatal) {
  ASSERT_TRUE(volumes_->stage(nfsRequest("nfs-ok")).ok());
  std::string bad = store_.pathFor("broken");
  std::ofstream(bad) << "{ this is not json";
  std::ofstream(store_.pathFor("half")) << "{\"formatVersion\":1,\"volumeId\":\"half\"}";
  auto all = store_.loadAll();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().volumeId, "nfs-ok");
  EXPECT_TRUE(std::filesystem::exists(bad + ".corrupt"));
  EXPECT_FALSE(std::filesystem::exists(bad));
  EXPECT_FALSE(store_.load("broken")->has_value());
}

TEST(VolumeContext, PortalsParse) {
  EXPECT_EQ(parsePortal("10.0.0.5")->port, 3260);
  EXPECT_EQ(parsePortal("10.0.0.5:3261")->port, 3261);
  EXPECT_EQ(parsePortal("[fd00::5]:3262")->host, "fd00::5");
  EXPECT_EQ(parsePortal("fd00::5")->host, "fd00::5");
  EXPECT_EQ(parsePortal("nas.example.com:3260")->host, "nas.example.com");
  EXPECT_FALSE(parsePortal("10.0.0.5:99999").ok());
  EXPECT_FALSE(parsePortal("10.0.0.5:x").ok());
  EXPECT_FALSE(parsePortal("-oProxy").ok());
  EXPECT_FALSE(parsePortal("a b").ok());
}

TEST(VolumeContext, SessionKeysRoundTrip) {
  std::string iqn, addr;
  int port = 0;
  ASSERT_TRUE(parseSessionKey(sessionKey("iqn.x:y", "fd00::5", 3260), &iqn, &addr, &port));
  EXPECT_EQ(iqn, "iqn.x:y");
  EXPECT_EQ(addr, "fd00::5");
  EXPECT_EQ(port, 3260);
  EXPECT_FALSE(parseSessionKey("nonsense", &iqn, &addr, &port));
}

}  // namespace
}  // namespace tnascsi::agent::stage::testing

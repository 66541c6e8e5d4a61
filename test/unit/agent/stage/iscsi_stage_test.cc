// NodeVolumes iSCSI stage/unstage against the fake host: every success and refusal path.
#include <unistd.h>

#include <filesystem>
#include <mutex>

#include "common/log/log.h"
#include "test/unit/agent/stage/stage_fixture.h"

namespace tnascsi::agent::stage::testing {
namespace {

using fakes::FakeLun;
using ::testing::HasSubstr;

TEST_F(StageTest, StagesBlankLunFormatsMountsAndRecords) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  std::string dev = host_.kernel.devnodeFor(kIqn, 0);
  ASSERT_FALSE(dev.empty());
  ASSERT_EQ(host_.kernel.formats.size(), 1u);
  EXPECT_EQ(host_.kernel.formats[0].first, "ext4");
  auto m = host_.mounter.findByTarget(staging());
  ASSERT_TRUE(m.ok() && m->has_value());
  EXPECT_EQ((*m)->source, dev);
  EXPECT_EQ((*m)->fsType, "ext4");
  auto rec = store_.load("pvc-1");
  ASSERT_TRUE(rec.ok() && rec->has_value());
  EXPECT_EQ((*rec)->phase, AttachRecord::Phase::kStaged);
  EXPECT_EQ((*rec)->portalAddress, kAddr);
  EXPECT_EQ((*rec)->devnode, dev);
  EXPECT_TRUE(store_.isSessionOwned(sessionKey(kIqn, kAddr, 3260)));
}

TEST_F(StageTest, StageIsIdempotent) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  EXPECT_EQ(host_.kernel.count("login"), 1);
  EXPECT_EQ(host_.kernel.count("format"), 1);
  EXPECT_EQ(host_.kernel.count("mount"), 1);
}

TEST_F(StageTest, ExistingMatchingFilesystemIsMountedNotFormatted) {
  host_.kernel.lunOf(kIqn, 0).content = {ProbeResult::Kind::kFilesystem, "ext4", "u"};
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  EXPECT_EQ(host_.kernel.count("format"), 0);
  EXPECT_TRUE(host_.kernel.isMounted(staging()));
}

TEST_F(StageTest, XfsGetsNouuidAndMkfsOptions) {
  auto req = iscsiRequest();
  req.fsType = "xfs";
  req.context["mkfsOptions"] = "-m reflink=1";
  req.mountFlags = {"noatime"};
  ASSERT_TRUE(volumes_->stage(req).ok());
  ASSERT_EQ(host_.kernel.formats.size(), 1u);
  EXPECT_EQ(host_.kernel.formats[0].second, (std::vector<std::string>{"-m", "reflink=1"}));
  auto m = host_.mounter.findByTarget(staging());
  EXPECT_EQ((*m)->options, "noatime,nouuid");
}

TEST_F(StageTest, SerialMismatchIsRefusedAndNothingIsTouched) {
  host_.kernel.lunOf(kIqn, 0).serial = "SOMEONE-ELSE";
  Status st = volumes_->stage(iscsiRequest());
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr("serial"));
  EXPECT_EQ(host_.kernel.count("probe"), 0);
  EXPECT_EQ(host_.kernel.count("format"), 0);
  EXPECT_EQ(host_.kernel.count("mount"), 0);
  EXPECT_EQ(host_.kernel.count("removeLun"), 0);  // a device that is not ours is never deleted
  EXPECT_FALSE(host_.kernel.sessionFor(kIqn).has_value());  // our own login was undone
  EXPECT_FALSE(store_.load("pvc-1")->has_value());
}

TEST_F(StageTest, NaaMismatchIsRefused) {
  auto req = iscsiRequest();
  req.context.erase("serial");
  req.context["naa"] = "naa.6589CFC000000FFF";
  EXPECT_EQ(volumes_->stage(req).code(), StatusCode::kFailedPrecondition);
  req.context["naa"] = "NAA.6589CFC000000AAA";  // case-insensitive match
  EXPECT_TRUE(volumes_->stage(req).ok());
}

TEST_F(StageTest, SerialDecidesWhenBothSidesHaveOneAndNaaIsTheFallback) {
  // A matching serial wins over a differing NAA (targets derive NAAs differently).
  auto req = iscsiRequest();
  req.context["naa"] = "naa.6589CFC000000FFF";
  EXPECT_TRUE(volumes_->stage(req).ok());
  ASSERT_TRUE(volumes_->unstage("pvc-1", staging()).ok());
  // A LUN that reports no serial is judged by its NAA, and refused without one that matches.
  host_.kernel.lunOf(kIqn, 0).serial = "";
  EXPECT_EQ(volumes_->stage(req).code(), StatusCode::kFailedPrecondition);
  req.context["naa"] = "naa.6589cfc000000aaa";
  EXPECT_TRUE(volumes_->stage(req).ok());
  ASSERT_TRUE(volumes_->unstage("pvc-1", staging()).ok());
  // Neither a serial on the device nor an NAA to fall back on: refused.
  req.context.erase("naa");
  Status st = volumes_->stage(req);
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(st.message()), HasSubstr("no unit serial"));
}

TEST_F(StageTest, MissingIdentityInContextIsInvalid) {
  auto req = iscsiRequest();
  req.context.erase("serial");
  EXPECT_EQ(volumes_->stage(req).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(host_.kernel.count("login"), 0);
}

struct RefusedContent {
  ProbeResult probe;
  std::string expect;
};

class ForeignContentTest : public StageTest,
                           public ::testing::WithParamInterface<RefusedContent> {};

TEST_P(ForeignContentTest, IsNeverFormatted) {
  host_.kernel.lunOf(kIqn, 0).content = GetParam().probe;
  Status st = volumes_->stage(iscsiRequest());
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr(GetParam().expect));
  EXPECT_EQ(host_.kernel.count("format"), 0);
  EXPECT_EQ(host_.kernel.count("mount"), 0);
  EXPECT_FALSE(store_.load("pvc-1")->has_value());
}

INSTANTIATE_TEST_SUITE_P(
    Refusals, ForeignContentTest,
    ::testing::Values(
        RefusedContent{{ProbeResult::Kind::kFilesystem, "xfs", ""}, "xfs filesystem"},
        RefusedContent{{ProbeResult::Kind::kPartitionTable, "gpt", ""}, "partition table"},
        RefusedContent{{ProbeResult::Kind::kPartitionTable, "dos", ""}, "dos"},
        RefusedContent{{ProbeResult::Kind::kOther, "LVM2_member", ""}, "LVM2_member"},
        RefusedContent{{ProbeResult::Kind::kOther, "linux_raid_member", ""}, "linux_raid"},
        RefusedContent{{ProbeResult::Kind::kOther, "crypto_LUKS", ""}, "crypto_LUKS"}));

TEST_F(StageTest, BlockVolumeHasNoMkfsAndNoStagingMount) {
  auto req = iscsiRequest();
  req.block = true;
  ASSERT_TRUE(volumes_->stage(req).ok());
  EXPECT_EQ(host_.kernel.count("probe"), 0);
  EXPECT_EQ(host_.kernel.count("format"), 0);
  EXPECT_EQ(host_.kernel.count("mount"), 0);
  auto rec = store_.load("pvc-1");
  ASSERT_TRUE(rec->has_value());
  EXPECT_TRUE((*rec)->block);
  EXPECT_EQ((*rec)->phase, AttachRecord::Phase::kStaged);
}

TEST_F(StageTest, StagingPathHoldingAnotherDeviceIsRefused) {
  std::filesystem::create_directories(staging());
  ASSERT_TRUE(host_.mounter.mount("/dev/other", staging(), "ext4", "").ok());
  Status st = volumes_->stage(iscsiRequest());
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st;
  EXPECT_EQ(host_.kernel.count("format"), 0);
}

TEST_F(StageTest, StagedFromAnotherLunIsRefused) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  auto other = iscsiRequest("pvc-1", 1);
  EXPECT_EQ(volumes_->stage(other).code(), StatusCode::kFailedPrecondition);
}

TEST_F(StageTest, StagedAtAnotherPathIsRefused) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  auto req = iscsiRequest();
  req.stagingPath = staging("elsewhere");
  EXPECT_EQ(volumes_->stage(req).code(), StatusCode::kFailedPrecondition);
}

TEST_F(StageTest, ChapIsPassedAndNeverLogged) {
  {
    std::lock_guard<std::mutex> lock(host_.kernel.mu);
    host_.kernel.targets[kIqn].chapUser = "user1";
    host_.kernel.targets[kIqn].chapSecret = "s3cr3t-chap-value";
  }
  std::string logged;
  std::mutex logMu;
  common::setLogSinkForTest([&](const std::string& line) {
    std::lock_guard<std::mutex> lock(logMu);
    logged += line;
  });
  auto req = iscsiRequest();
  req.secrets = {{"chapUser", "user1"}, {"chapSecret", "wrong-secret-value"}};
  Status bad = volumes_->stage(req);
  EXPECT_EQ(bad.code(), StatusCode::kUnauthenticated) << bad;
  EXPECT_EQ(host_.kernel.count("login"), 1);  // permanent: no retry on other portals
  req.secrets["chapSecret"] = "s3cr3t-chap-value";
  ASSERT_TRUE(volumes_->stage(req).ok());
  common::setLogSinkForTest(nullptr);
  EXPECT_EQ(host_.kernel.loginRequests.back().chap.secret, "s3cr3t-chap-value");
  EXPECT_EQ(logged.find("s3cr3t"), std::string::npos);
  EXPECT_EQ(logged.find("wrong-secret"), std::string::npos);
  EXPECT_EQ(std::string(bad.message()).find("wrong-secret"), std::string::npos);
}

TEST_F(StageTest, ChapSecretsMustBeComplete) {
  auto req = iscsiRequest();
  req.secrets = {{"chapUser", "user1"}};
  EXPECT_EQ(volumes_->stage(req).code(), StatusCode::kInvalidArgument);
  req.secrets = {{"chapMutualUser", "u"}, {"chapMutualSecret", "p"}};
  EXPECT_EQ(volumes_->stage(req).code(), StatusCode::kInvalidArgument);
}

TEST_F(StageTest, FallsBackToTheNextPortal) {
  auto req = iscsiRequest();
  req.context["portal"] = "192.0.2.99:3260";
  req.context["portals"] = std::string(kAddr) + ":3260";
  ASSERT_TRUE(volumes_->stage(req).ok());
  EXPECT_EQ(host_.kernel.count("login"), 2);
  EXPECT_EQ((*store_.load("pvc-1"))->portalAddress, kAddr);
}

TEST_F(StageTest, UnreachableTargetIsUnavailableAndLeavesNoRecord) {
  {
    std::lock_guard<std::mutex> lock(host_.kernel.mu);
    host_.kernel.targets[kIqn].reachable = false;
  }
  Status st = volumes_->stage(iscsiRequest());
  EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st;
  EXPECT_FALSE(store_.load("pvc-1")->has_value());
}

TEST_F(StageTest, ARecoveringSessionIsUnavailable) {
  ASSERT_TRUE(host_.initiator.login({kIqn, kAddr, 3260, -1, {}}).ok());
  {
    std::lock_guard<std::mutex> lock(host_.kernel.mu);
    host_.kernel.sessions.begin()->second.state = "FAILED";
  }
  EXPECT_EQ(volumes_->stage(iscsiRequest()).code(), StatusCode::kUnavailable);
  EXPECT_EQ(host_.kernel.count("mount"), 0);
  EXPECT_EQ(host_.kernel.count("logout"), 0);     // not ours
  EXPECT_EQ(host_.kernel.count("removeLun"), 0);  // nor its LUNs
  EXPECT_FALSE(store_.load("pvc-1")->has_value());
}

TEST_F(StageTest, LunThatNeverAppearsIsDeadlineExceeded) {
  host_.kernel.failures["waitForLun"] = absl::DeadlineExceededError("udev timeout");
  EXPECT_EQ(volumes_->stage(iscsiRequest()).code(), StatusCode::kDeadlineExceeded);
  EXPECT_FALSE(host_.kernel.sessionFor(kIqn).has_value());
}

TEST_F(StageTest, MkfsFailureRollsBackTheLogin) {
  host_.kernel.failures["format"] = absl::InternalError("mkfs.ext4 failed");
  EXPECT_EQ(volumes_->stage(iscsiRequest()).code(), StatusCode::kInternal);
  EXPECT_FALSE(host_.kernel.sessionFor(kIqn).has_value());
  EXPECT_FALSE(store_.load("pvc-1")->has_value());
}

TEST_F(StageTest, LunAppearsThroughPreciseScan) {
  host_.kernel.scanOnLogin = false;
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  EXPECT_EQ(host_.kernel.count("preciseScan"), 1);
}

TEST_F(StageTest, BadRequestsAreInvalidArgument) {
  auto check = [&](StageRequest req, const std::string& why) {
    Status st = volumes_->stage(req);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << why << ": " << st;
  };
  auto req = iscsiRequest();
  req.fsType = "btrfs";
  check(req, "fs type");
  req = iscsiRequest();
  req.mountFlags = {"noatime", "exec,suid"};
  check(req, "mount flag");
  req = iscsiRequest();
  req.context["protocol"] = "smb";
  check(req, "protocol");
  req = iscsiRequest();
  req.context["lun"] = "x";
  check(req, "lun");
  req = iscsiRequest();
  req.context["iqn"] = "not-an-iqn";
  check(req, "iqn");
  req = iscsiRequest();
  req.context["portal"] = "[fd00::1";
  check(req, "portal");
  EXPECT_EQ(host_.kernel.count("login"), 0);
  Status flag = volumes_->stage([&] {
    auto r = iscsiRequest();
    r.mountFlags = {"uid=0"};
    return r;
  }());
  EXPECT_THAT(std::string(flag.message()), HasSubstr("uid=0"));
}

TEST_F(StageTest, PathEscapesAreInvalidArgument) {
  std::filesystem::create_directory_symlink("/tmp", kubelet_ + "/plugins/escape");
  std::vector<std::string> bad = {"relative/path",
                                  kubelet_ + "/plugins/../../etc",
                                  kubelet_ + "/plugins/./staging/x",
                                  kubelet_ + "//plugins/x",
                                  kubelet_ + "/plugins/staging/x/",
                                  "/etc/kubelet-lookalike",
                                  kubelet_ + "-evil/plugins/x",
                                  kubelet_,
                                  kubelet_ + "/plugins/escape/x",
                                  kubelet_ + "/plugins/escape",
                                  ""};
  for (const auto& path : bad) {
    auto req = iscsiRequest();
    req.stagingPath = path;
    Status st = volumes_->stage(req);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << path << ": " << st;
  }
  EXPECT_EQ(host_.kernel.count("login"), 0);
  auto ok = iscsiRequest();
  ok.stagingPath = kubelet_ + "/plugins/staging/new/deeper";  // not existing yet, but inside
  EXPECT_NE(volumes_->stage(ok).code(), StatusCode::kInvalidArgument);
}

TEST_F(StageTest, MalformedVolumeIdsAreInvalidArgument) {
  for (std::string id : {std::string(""), std::string("../x"), std::string("/abs"),
                         std::string("a b"), std::string("a\nb"), std::string(300, 'a'),
                         std::string(".hidden"), std::string("x/../y")}) {
    auto req = iscsiRequest();
    req.volumeId = id;
    EXPECT_EQ(volumes_->stage(req).code(), StatusCode::kInvalidArgument) << id;
    EXPECT_EQ(volumes_->unstage(id, staging()).code(), StatusCode::kInvalidArgument) << id;
  }
}

TEST_F(StageTest, ConcurrentCallOnTheSameVolumeIsAborted) {
  auto token = inflight_->tryAcquire("pvc-1");
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(volumes_->stage(iscsiRequest()).code(), StatusCode::kAborted);
  EXPECT_EQ(volumes_->unstage("pvc-1", staging()).code(), StatusCode::kAborted);
  EXPECT_EQ(volumes_->publish(publishRequest()).code(), StatusCode::kAborted);
  EXPECT_EQ(volumes_->unpublish("pvc-1", target()).code(), StatusCode::kAborted);
  EXPECT_EQ(volumes_->expand("pvc-1", staging()).status().code(), StatusCode::kAborted);
  EXPECT_EQ(host_.kernel.count("login"), 0);
}

// ------------------------------------------------------------------ unstage

TEST_F(StageTest, UnstageUndoesEverything) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  ASSERT_TRUE(volumes_->unstage("pvc-1", staging()).ok());
  EXPECT_FALSE(host_.kernel.isMounted(staging()));
  EXPECT_EQ(host_.kernel.count("flush"), 1);
  EXPECT_EQ(host_.kernel.count("removeLun"), 1);
  EXPECT_FALSE(host_.kernel.sessionFor(kIqn).has_value());
  EXPECT_FALSE(store_.load("pvc-1")->has_value());
  EXPECT_FALSE(store_.isSessionOwned(sessionKey(kIqn, kAddr, 3260)));
  EXPECT_TRUE(volumes_->unstage("pvc-1", staging()).ok());  // repeated
  EXPECT_EQ(host_.kernel.count("logout"), 1);
}

TEST_F(StageTest, UnstageOfUnknownVolumeIsOk) {
  EXPECT_TRUE(volumes_->unstage("never-staged", staging("never-staged")).ok());
}

TEST_F(StageTest, UnstageAfterDeviceVanished) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  host_.kernel.dropDevice(host_.kernel.devnodeFor(kIqn, 0));
  ASSERT_TRUE(volumes_->unstage("pvc-1", staging()).ok());
  EXPECT_FALSE(host_.kernel.sessionFor(kIqn).has_value());  // the session does not leak
  EXPECT_FALSE(store_.load("pvc-1")->has_value());
}

TEST_F(StageTest, UnstageAfterSessionVanished) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  host_.kernel.dropSession(host_.kernel.sessionFor(kIqn)->sid);
  ASSERT_TRUE(volumes_->unstage("pvc-1", staging()).ok());
  EXPECT_EQ(host_.kernel.count("logout"), 0);
  EXPECT_FALSE(store_.load("pvc-1")->has_value());
  EXPECT_FALSE(store_.isSessionOwned(sessionKey(kIqn, kAddr, 3260)));
}

TEST_F(StageTest, UnstageAfterAgentRestartUsesTheRecord) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  rebuild();
  ASSERT_TRUE(volumes_->unstage("pvc-1", staging()).ok());
  EXPECT_FALSE(host_.kernel.sessionFor(kIqn).has_value());
  EXPECT_EQ(host_.kernel.count("removeLun"), 1);
}

TEST_F(StageTest, UnstageKeepsASessionAnotherLunStillUses) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest("pvc-1", 0)).ok());
  ASSERT_TRUE(volumes_->stage(iscsiRequest("pvc-2", 1)).ok());
  EXPECT_EQ(host_.kernel.count("login"), 1);  // one session carries both LUNs
  ASSERT_TRUE(volumes_->unstage("pvc-1", staging("pvc-1")).ok());
  EXPECT_TRUE(host_.kernel.sessionFor(kIqn).has_value());
  EXPECT_FALSE(host_.kernel.devnodeFor(kIqn, 1).empty());
  EXPECT_EQ(host_.kernel.count("logout"), 0);
  ASSERT_TRUE(volumes_->unstage("pvc-2", staging("pvc-2")).ok());
  EXPECT_FALSE(host_.kernel.sessionFor(kIqn).has_value());
}

TEST_F(StageTest, UnstageNeverLogsOutASessionItDidNotCreate) {
  LoginRequest login{kIqn, kAddr, 3260, -1, {}};
  ASSERT_TRUE(host_.initiator.login(login).ok());  // someone else's session
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  EXPECT_FALSE(store_.isSessionOwned(sessionKey(kIqn, kAddr, 3260)));
  ASSERT_TRUE(volumes_->unstage("pvc-1", staging()).ok());
  EXPECT_TRUE(host_.kernel.sessionFor(kIqn).has_value());
  EXPECT_EQ(host_.kernel.count("logout"), 0);
  EXPECT_EQ(host_.kernel.count("removeLun"), 1);  // our LUN still goes away
}

TEST_F(StageTest, UnstageWhilePublishedIsRefused) {
  auto req = iscsiRequest();
  req.block = true;
  ASSERT_TRUE(volumes_->stage(req).ok());
  auto pub = publishRequest();
  pub.block = true;
  ASSERT_TRUE(volumes_->publish(pub).ok());
  Status st = volumes_->unstage("pvc-1", staging());
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st;
  EXPECT_EQ(host_.kernel.count("removeLun"), 0);
  ASSERT_TRUE(volumes_->unpublish("pvc-1", target()).ok());
  EXPECT_TRUE(volumes_->unstage("pvc-1", staging()).ok());
}

TEST_F(StageTest, UnstageWhileAFilesystemIsPublishedKeepsTheStagingMount) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  ASSERT_TRUE(volumes_->publish(publishRequest()).ok());
  EXPECT_EQ(volumes_->unstage("pvc-1", staging()).code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(host_.kernel.isMounted(staging()));
  EXPECT_EQ((*store_.load("pvc-1"))->phase, AttachRecord::Phase::kStaged);
}

TEST_F(StageTest, LogoutFailureKeepsTheRecordForRetry) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  host_.kernel.failures["logout"] = absl::UnavailableError("session reconnecting");
  EXPECT_EQ(volumes_->unstage("pvc-1", staging()).code(), StatusCode::kUnavailable);
  auto rec = store_.load("pvc-1");
  ASSERT_TRUE(rec->has_value());
  EXPECT_EQ((*rec)->phase, AttachRecord::Phase::kDetaching);
  host_.kernel.failures.clear();
  EXPECT_TRUE(volumes_->unstage("pvc-1", staging()).ok());
  EXPECT_FALSE(host_.kernel.sessionFor(kIqn).has_value());
}

}  // namespace
}  // namespace tnascsi::agent::stage::testing

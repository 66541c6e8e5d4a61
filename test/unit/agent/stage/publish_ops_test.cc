// NodeVolumes publish/unpublish/expand/stats and the NFS flows against the fake host.
#include <sys/stat.h>

#include <filesystem>

#include "test/unit/agent/stage/stage_fixture.h"

namespace tnascsi::agent::stage::testing {
namespace {

using ::testing::HasSubstr;

bool isDir(const std::string& p) {
  return std::filesystem::is_directory(p);
}
bool exists(const std::string& p) {
  return std::filesystem::exists(std::filesystem::symlink_status(p));
}

TEST_F(StageTest, PublishBindMountsTheStagingDirectory) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  ASSERT_TRUE(volumes_->publish(publishRequest()).ok());
  EXPECT_TRUE(isDir(target()));
  auto m = host_.mounter.findByTarget(target());
  ASSERT_TRUE(m.ok() && m->has_value());
  EXPECT_EQ((*m)->source, host_.kernel.devnodeFor(kIqn, 0));
  EXPECT_FALSE((*m)->readOnly());
  ASSERT_TRUE(volumes_->publish(publishRequest()).ok());  // idempotent
  EXPECT_EQ(host_.kernel.count("bindMount"), 1);
}

TEST_F(StageTest, PublishHonoursReadOnlyAndRefusesAConflictingRepeat) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  ASSERT_TRUE(volumes_->publish(publishRequest("pvc-1", true)).ok());
  EXPECT_TRUE((*host_.mounter.findByTarget(target()))->readOnly());
  EXPECT_EQ(volumes_->publish(publishRequest("pvc-1", false)).code(), StatusCode::kAlreadyExists);
}

TEST_F(StageTest, PublishOntoAForeignMountIsAlreadyExists) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  std::filesystem::create_directories(target());
  ASSERT_TRUE(host_.mounter.mount("tmpfs", target(), "tmpfs", "rw").ok());
  EXPECT_EQ(volumes_->publish(publishRequest()).code(), StatusCode::kAlreadyExists);
}

TEST_F(StageTest, PublishOfAnUnstagedVolumeIsFailedPrecondition) {
  EXPECT_EQ(volumes_->publish(publishRequest()).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  auto req = publishRequest();
  req.stagingPath = staging("other");
  EXPECT_EQ(volumes_->publish(req).code(), StatusCode::kFailedPrecondition);
  // staging mount disappeared behind our back
  ASSERT_TRUE(host_.mounter.unmount(staging(), false).ok());
  EXPECT_EQ(volumes_->publish(publishRequest()).code(), StatusCode::kFailedPrecondition);
}

TEST_F(StageTest, PublishRejectsHostilePaths) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  for (std::string bad : {std::string("/etc/passwd"), kubelet_ + "/pods/../../x", staging()}) {
    auto req = publishRequest();
    req.targetPath = bad;
    EXPECT_EQ(volumes_->publish(req).code(), StatusCode::kInvalidArgument) << bad;
  }
  auto req = publishRequest();
  req.mountFlags = {"suid"};
  EXPECT_EQ(volumes_->publish(req).code(), StatusCode::kInvalidArgument);
}

TEST_F(StageTest, BlockPublishBindsTheDeviceOntoAFile) {
  auto stage = iscsiRequest();
  stage.block = true;
  ASSERT_TRUE(volumes_->stage(stage).ok());
  auto pub = publishRequest();
  pub.block = true;
  ASSERT_TRUE(volumes_->publish(pub).ok());
  EXPECT_TRUE(std::filesystem::is_regular_file(target()));
  EXPECT_EQ((*host_.mounter.findByTarget(target()))->source, host_.kernel.devnodeFor(kIqn, 0));
  pub.block = false;
  EXPECT_EQ(volumes_->publish(pub).code(), StatusCode::kInvalidArgument);
}

TEST_F(StageTest, BlockPublishWithTheDeviceGoneIsUnavailable) {
  auto stage = iscsiRequest();
  stage.block = true;
  ASSERT_TRUE(volumes_->stage(stage).ok());
  host_.kernel.dropDevice(host_.kernel.devnodeFor(kIqn, 0));
  auto pub = publishRequest();
  pub.block = true;
  EXPECT_EQ(volumes_->publish(pub).code(), StatusCode::kUnavailable);
}

TEST_F(StageTest, UnpublishUnmountsAndRemovesTheTarget) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  ASSERT_TRUE(volumes_->publish(publishRequest()).ok());
  ASSERT_TRUE(volumes_->unpublish("pvc-1", target()).ok());
  EXPECT_FALSE(host_.kernel.isMounted(target()));
  EXPECT_FALSE(exists(target()));
  EXPECT_TRUE(volumes_->unpublish("pvc-1", target()).ok());  // repeated
  EXPECT_TRUE(host_.kernel.isMounted(staging()));            // staging untouched
}

TEST_F(StageTest, UnpublishForcesAStaleMount) {
  ASSERT_TRUE(volumes_->stage(nfsRequest()).ok());
  ASSERT_TRUE(volumes_->publish(publishRequest("nfs-1")).ok());
  host_.kernel.staleMounts.insert(target("nfs-1"));
  ASSERT_TRUE(volumes_->unpublish("nfs-1", target("nfs-1")).ok());
  EXPECT_EQ(host_.kernel.count("forceUnmount"), 1);
  EXPECT_FALSE(exists(target("nfs-1")));
}

TEST_F(StageTest, ExpandRescansAndGrowsFilesystems) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  host_.kernel.lunOf(kIqn, 0).sizeBytes = 5ull << 30;
  auto size = volumes_->expand("pvc-1", target());
  ASSERT_TRUE(size.ok()) << size.status();
  EXPECT_EQ(*size, 5ull << 30);
  EXPECT_EQ(host_.kernel.count("rescanLun"), 1);
  EXPECT_EQ(host_.kernel.count("growOnline"), 1);
}

TEST_F(StageTest, ExpandOfBlockOnlyRescans) {
  auto stage = iscsiRequest();
  stage.block = true;
  ASSERT_TRUE(volumes_->stage(stage).ok());
  host_.kernel.lunOf(kIqn, 0).sizeBytes = 3ull << 30;
  auto size = volumes_->expand("pvc-1", target());
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 3ull << 30);
  EXPECT_EQ(host_.kernel.count("growOnline"), 0);
}

TEST_F(StageTest, ExpandOfNfsIsANoOpAndUnknownVolumeIsNotFound) {
  ASSERT_TRUE(volumes_->stage(nfsRequest()).ok());
  auto size = volumes_->expand("nfs-1", target("nfs-1"));
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 0u);
  EXPECT_EQ(host_.kernel.count("rescanLun"), 0);
  EXPECT_EQ(volumes_->expand("nope", target()).status().code(), StatusCode::kNotFound);
}

TEST_F(StageTest, ExpandGrowFailureIsReported) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  host_.kernel.failures["growOnline"] = absl::InternalError("resize failed");
  EXPECT_EQ(volumes_->expand("pvc-1", target()).status().code(), StatusCode::kInternal);
}

TEST_F(StageTest, StatsOfAFilesystemVolume) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  ASSERT_TRUE(volumes_->publish(publishRequest()).ok());
  auto st = volumes_->stats("pvc-1", target());
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_FALSE(st->condition.abnormal) << st->condition.message;
  EXPECT_EQ(st->fs.totalBytes, 1ull << 30);
  EXPECT_GT(st->fs.totalInodes, 0u);
}

TEST_F(StageTest, StatsOfABlockVolumeIsItsSize) {
  auto stage = iscsiRequest();
  stage.block = true;
  ASSERT_TRUE(volumes_->stage(stage).ok());
  auto pub = publishRequest();
  pub.block = true;
  ASSERT_TRUE(volumes_->publish(pub).ok());
  auto st = volumes_->stats("pvc-1", target());
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_TRUE(st->block);
  EXPECT_EQ(st->sizeBytes, 1ull << 30);
}

TEST_F(StageTest, StatsReportAbnormalConditions) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  ASSERT_TRUE(volumes_->publish(publishRequest()).ok());
  {
    std::lock_guard<std::mutex> lock(host_.kernel.mu);
    host_.kernel.sessions.begin()->second.state = "FAILED";
  }
  auto st = volumes_->stats("pvc-1", target());
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(st->condition.abnormal);
  EXPECT_THAT(st->condition.message, HasSubstr("FAILED"));
  {
    std::lock_guard<std::mutex> lock(host_.kernel.mu);
    host_.kernel.sessions.begin()->second.state = "LOGGED_IN";
  }
  host_.kernel.staleMounts.insert(target());
  st = volumes_->stats("pvc-1", target());
  EXPECT_TRUE(st->condition.abnormal);
  host_.kernel.staleMounts.clear();
  host_.kernel.dropDevice(host_.kernel.devnodeFor(kIqn, 0));
  st = volumes_->stats("pvc-1", target());
  EXPECT_TRUE(st->condition.abnormal);
  EXPECT_THAT(st->condition.message, HasSubstr("missing"));
  host_.kernel.dropSession(host_.kernel.sessionFor(kIqn)->sid);
  st = volumes_->stats("pvc-1", target());
  EXPECT_TRUE(st->condition.abnormal);
  EXPECT_THAT(st->condition.message, HasSubstr("gone"));
}

// Found by the real-kernel fault suite: the disk under a staged filesystem was deleted and a rescan
// brought the LUN back as another disk; the filesystem still sits on the dead one.
TEST_F(StageTest, StatsReportAFilesystemLeftOnADeletedDisk) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  ASSERT_TRUE(volumes_->publish(publishRequest()).ok());
  std::string old = host_.kernel.devnodeFor(kIqn, 0);
  host_.kernel.dropDevice(old);
  {
    std::lock_guard<std::mutex> lock(host_.kernel.mu);
    ASSERT_NE(host_.kernel.createDeviceLocked(host_.kernel.sessions.begin()->first, 0), nullptr);
  }
  std::string now = host_.kernel.devnodeFor(kIqn, 0);
  ASSERT_NE(now, old);
  auto st = volumes_->stats("pvc-1", target());
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_TRUE(st->condition.abnormal);
  EXPECT_THAT(st->condition.message, HasSubstr(old));
  EXPECT_THAT(st->condition.message, HasSubstr(now));
  EXPECT_TRUE(volumes_->unpublish("pvc-1", target()).ok());
  EXPECT_TRUE(volumes_->unstage("pvc-1", staging()).ok());
  EXPECT_TRUE(host_.kernel.devnodeFor(kIqn, 0).empty());
}

TEST_F(StageTest, StatsOfUnknownVolumeOrPathIsNotFound) {
  EXPECT_EQ(volumes_->stats("pvc-1", target()).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  EXPECT_EQ(volumes_->stats("pvc-1", target()).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(volumes_->stats("pvc-1", "/etc").status().code(), StatusCode::kInvalidArgument);
}

// ------------------------------------------------------------------ NFS

TEST_F(StageTest, NfsStageMountsTheExport) {
  auto req = nfsRequest();
  req.mountFlags = {"nconnect=4", "soft"};
  req.context["nfsVersion"] = "4.1";
  ASSERT_TRUE(volumes_->stage(req).ok());
  auto m = host_.mounter.findByTarget(staging("nfs-1"));
  ASSERT_TRUE(m.ok() && m->has_value());
  EXPECT_EQ((*m)->source, "192.0.2.20:/mnt/tank/k8s/nfs-1");
  EXPECT_THAT((*m)->options, HasSubstr("nconnect=4"));
  EXPECT_THAT((*m)->options, HasSubstr("vers=4.1"));
  ASSERT_TRUE(volumes_->stage(req).ok());  // idempotent
  EXPECT_EQ(host_.kernel.count("mountNfs"), 1);
  EXPECT_EQ((*store_.load("nfs-1"))->protocol, "nfs");
}

TEST_F(StageTest, NfsRefusals) {
  auto req = nfsRequest();
  req.block = true;
  EXPECT_EQ(volumes_->stage(req).code(), StatusCode::kInvalidArgument);
  req = nfsRequest();
  req.mountFlags = {"vers=3"};
  EXPECT_EQ(volumes_->stage(req).code(), StatusCode::kInvalidArgument);
  req = nfsRequest();
  req.context["share"] = "relative";
  EXPECT_EQ(volumes_->stage(req).code(), StatusCode::kInvalidArgument);
  req = nfsRequest();
  req.context["nfsVersion"] = "2";
  EXPECT_EQ(volumes_->stage(req).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(host_.kernel.count("mountNfs"), 0);
  std::filesystem::create_directories(staging("nfs-1"));
  ASSERT_TRUE(host_.mounter.mount("other:/x", staging("nfs-1"), "nfs4", "").ok());
  EXPECT_EQ(volumes_->stage(nfsRequest()).code(), StatusCode::kFailedPrecondition);
}

TEST_F(StageTest, NfsStaleStagingMountIsRemountedOnStage) {
  ASSERT_TRUE(volumes_->stage(nfsRequest()).ok());
  host_.kernel.staleMounts.insert(staging("nfs-1"));
  ASSERT_TRUE(volumes_->stage(nfsRequest()).ok());
  EXPECT_EQ(host_.kernel.count("forceUnmount"), 1);
  EXPECT_EQ(host_.kernel.count("mountNfs"), 2);
}

TEST_F(StageTest, NfsUnstageUnmountsEvenWhenStale) {
  ASSERT_TRUE(volumes_->stage(nfsRequest()).ok());
  host_.kernel.staleMounts.insert(staging("nfs-1"));
  ASSERT_TRUE(volumes_->unstage("nfs-1", staging("nfs-1")).ok());
  EXPECT_FALSE(host_.kernel.isMounted(staging("nfs-1")));
  EXPECT_FALSE(store_.load("nfs-1")->has_value());
  auto st = volumes_->stats("nfs-1", staging("nfs-1"));
  EXPECT_EQ(st.status().code(), StatusCode::kNotFound);
}

TEST_F(StageTest, NfsStatsReportStaleness) {
  ASSERT_TRUE(volumes_->stage(nfsRequest()).ok());
  ASSERT_TRUE(volumes_->publish(publishRequest("nfs-1")).ok());
  auto st = volumes_->stats("nfs-1", target("nfs-1"));
  ASSERT_TRUE(st.ok());
  EXPECT_FALSE(st->condition.abnormal);
  host_.kernel.staleMounts.insert(target("nfs-1"));
  st = volumes_->stats("nfs-1", target("nfs-1"));
  EXPECT_TRUE(st->condition.abnormal);
  EXPECT_EQ(host_.kernel.count("stats"), 1);  // a stale mount is never statvfs'd
}

}  // namespace
}  // namespace tnascsi::agent::stage::testing

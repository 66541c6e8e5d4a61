// Hostile node requests against the fake host (issue #11): unpublish, unstage and stats of paths
// that are not the volume's own (foreign mounts, files and sockets under the kubelet dir) change
// nothing on disk or in the mount table; NFS unstage is refused while published; long volume ids
// get a record file that fits NAME_MAX; an unreadable record is not an OK unstage; a missing LUN
// is an error; errors never echo unbounded input; a symlinked target never leads outside.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "test/unit/agent/stage/stage_fixture.h"

namespace tnascsi::agent::stage::testing {
namespace {

namespace fs = std::filesystem;

bool exists(const std::string& p) {
  return fs::exists(fs::symlink_status(p));
}

class HostileTest : public StageTest {
 protected:
  // Someone else's things under the kubelet dir: a config file, another driver's registration
  // socket, the agent's own socket, another pod's mount.
  void SetUp() override {
    config_file_ = kubelet_ + "/config.yaml";
    std::ofstream(config_file_) << "kind: KubeletConfiguration\n";
    fs::create_directories(kubelet_ + "/plugins_registry");
    for (std::string s : {kubelet_ + "/plugins_registry/other.csi.sock", kubelet_ + "/csi.sock"}) {
      int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      ASSERT_LT(s.size(), sizeof addr.sun_path);
      std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", s.c_str());
      ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << s;
      ::close(fd);
      sockets_.push_back(s);
    }
    pod_mount_ = kubelet_ + "/pods/p9/volumes/kubernetes.io~empty-dir/cache";
    fs::create_directories(pod_mount_);
    ASSERT_TRUE(host_.mounter.mount("tmpfs", pod_mount_, "tmpfs", "rw").ok());
  }

  size_t mountCount() const {
    std::lock_guard<std::mutex> lock(host_.kernel.mu);
    return host_.kernel.mounts.size();
  }
  void expectForeignThingsUntouched() const {
    EXPECT_TRUE(exists(config_file_));
    for (const auto& s : sockets_) EXPECT_TRUE(exists(s)) << s;
    EXPECT_TRUE(exists(pod_mount_));
    EXPECT_TRUE(host_.kernel.isMounted(pod_mount_));
  }

  std::string config_file_, pod_mount_;
  std::vector<std::string> sockets_;
};

TEST_F(HostileTest, UnpublishOfFilesAndSocketsUnderTheKubeletDirRemovesNothing) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  for (const std::string& victim : {config_file_, sockets_[0], sockets_[1]}) {
    for (std::string vol : {"pvc-1", "never-staged"}) {
      Status st = volumes_->unpublish(vol, victim);
      EXPECT_TRUE(st.ok()) << victim << ": " << st;  // nothing mounted there: OK, and left alone
    }
  }
  expectForeignThingsUntouched();
  EXPECT_EQ(host_.kernel.count("unmount") + host_.kernel.count("forceUnmount"), 0);
}

TEST_F(HostileTest, UnpublishOfAnotherPodsMountOrStagingMountIsRefused) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest("pvc-1", 0)).ok());
  size_t before = mountCount();
  // A never-published (and never-staged) volume naming pvc-1's staging mount or a pod's mount.
  for (std::string vol : {"pvc-2", "pvc-1"}) {
    Status st = volumes_->unpublish(vol, pod_mount_);
    EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << vol << ": " << st;
  }
  Status st = volumes_->unpublish("pvc-2", staging("pvc-1"));
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st;
  EXPECT_EQ(mountCount(), before);
  EXPECT_TRUE(host_.kernel.isMounted(staging("pvc-1")));
  EXPECT_TRUE(fs::is_directory(staging("pvc-1")));
  expectForeignThingsUntouched();
}

TEST_F(HostileTest, UnstageOfANeverStagedVolumeLeavesOtherMountsAlone) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest("pvc-1", 0)).ok());
  ASSERT_TRUE(volumes_->stage(iscsiRequest("pvc-2", 1)).ok());
  size_t before = mountCount();
  EXPECT_EQ(volumes_->unstage("pvc-9", pod_mount_).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(volumes_->unstage("pvc-9", staging("pvc-1")).code(), StatusCode::kFailedPrecondition);
  // A staged volume naming another volume's staging mount: the other mount is left alone.
  EXPECT_EQ(volumes_->unstage("pvc-1", staging("pvc-2")).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(mountCount(), before);
  EXPECT_TRUE(host_.kernel.isMounted(staging("pvc-2")));
  // Nothing mounted at the path: OK.
  EXPECT_TRUE(volumes_->unstage("pvc-9", staging("pvc-9")).ok());
  EXPECT_TRUE(volumes_->unstage("pvc-9", config_file_).ok());
  expectForeignThingsUntouched();
}

TEST_F(HostileTest, UnpublishRemovesOnlyWhatPublishCreated) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  fs::create_directories(target());  // kubelet made the target directory itself
  ASSERT_TRUE(volumes_->publish(publishRequest()).ok());
  ASSERT_TRUE(volumes_->unpublish("pvc-1", target()).ok());
  EXPECT_FALSE(host_.kernel.isMounted(target()));
  EXPECT_TRUE(fs::is_directory(target()));  // not ours to remove
  EXPECT_TRUE((*store_.load("pvc-1"))->targets.empty());
  fs::remove(target());
  ASSERT_TRUE(volumes_->publish(publishRequest()).ok());  // now publish creates it
  EXPECT_EQ((*store_.load("pvc-1"))->targets.size(), 1u);
  ASSERT_TRUE(volumes_->unpublish("pvc-1", target()).ok());
  EXPECT_FALSE(exists(target()));
}

TEST_F(HostileTest, StatsAnswerOnlyForTheVolumesOwnPaths) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest("pvc-1", 0)).ok());
  ASSERT_TRUE(volumes_->stage(iscsiRequest("pvc-2", 1)).ok());
  ASSERT_TRUE(volumes_->publish(publishRequest("pvc-1")).ok());
  EXPECT_TRUE(volumes_->stats("pvc-1", target("pvc-1")).ok());
  EXPECT_TRUE(volumes_->stats("pvc-1", staging("pvc-1")).ok());
  for (const std::string& foreign : {staging("pvc-2"), pod_mount_, config_file_, sockets_[0]}) {
    auto st = volumes_->stats("pvc-1", foreign);
    EXPECT_EQ(st.status().code(), StatusCode::kNotFound) << foreign << ": " << st.status();
  }
  EXPECT_EQ(host_.kernel.count("stats"), 2);
}

TEST_F(HostileTest, NfsUnstageWhilePublishedIsRefused) {
  ASSERT_TRUE(volumes_->stage(nfsRequest()).ok());
  ASSERT_TRUE(volumes_->publish(publishRequest("nfs-1")).ok());
  Status st = volumes_->unstage("nfs-1", staging("nfs-1"));
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st;
  EXPECT_TRUE(host_.kernel.isMounted(staging("nfs-1")));
  EXPECT_TRUE(host_.kernel.isMounted(target("nfs-1")));
  ASSERT_TRUE(volumes_->unpublish("nfs-1", target("nfs-1")).ok());
  EXPECT_TRUE(volumes_->unstage("nfs-1", staging("nfs-1")).ok());
  EXPECT_FALSE(host_.kernel.isMounted(staging("nfs-1")));
}

// Two NFS volumes of one server share the client's superblock, so their mounts have the same
// device numbers (seen in the guest with a volume and its clone): neither may count as a bind of
// the other's staging mount.
TEST_F(HostileTest, NfsVolumesOfOneServerDoNotHoldEachOtherBusy) {
  ASSERT_TRUE(volumes_->stage(nfsRequest("nfs-1")).ok());
  ASSERT_TRUE(volumes_->stage(nfsRequest("nfs-2")).ok());
  ASSERT_TRUE(volumes_->publish(publishRequest("nfs-1")).ok());
  ASSERT_TRUE(volumes_->publish(publishRequest("nfs-2")).ok());
  Status st = volumes_->unpublish("nfs-2", target("nfs-2"));
  ASSERT_TRUE(st.ok()) << st;
  st = volumes_->unstage("nfs-2", staging("nfs-2"));
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_FALSE(host_.kernel.isMounted(staging("nfs-2")));
  EXPECT_TRUE(host_.kernel.isMounted(staging("nfs-1")));
  EXPECT_TRUE(host_.kernel.isMounted(target("nfs-1")));
  // The published one is still refused.
  EXPECT_EQ(volumes_->unstage("nfs-1", staging("nfs-1")).code(), StatusCode::kFailedPrecondition);
}

TEST_F(HostileTest, LongVolumeIdsFitNameMaxAndUnstage) {
  // The validator accepts 256 bytes; '/' and ':' encode to three bytes each.
  std::string a = "vol" + std::string(253, ':');
  std::string b = "vol" + std::string(252, ':') + "/";
  ASSERT_TRUE(validateVolumeId(a).ok());
  ASSERT_TRUE(validateVolumeId(b).ok());
  EXPECT_LE(fs::path(store_.pathFor(a)).filename().string().size(), 255u);
  EXPECT_NE(store_.pathFor(a), store_.pathFor(b));
  for (const auto& id : {a, b}) {
    auto req = nfsRequest(id == a ? "long-a" : "long-b");  // its own export and staging path
    req.volumeId = id;
    Status st = volumes_->stage(req);
    ASSERT_TRUE(st.ok()) << st;
    auto rec = store_.load(id);
    ASSERT_TRUE(rec.ok() && rec->has_value());
    EXPECT_EQ((*rec)->volumeId, id);
  }
  EXPECT_EQ(store_.loadAll()->size(), 2u);
  EXPECT_TRUE(volumes_->unstage(a, staging("long-a")).ok());
  EXPECT_FALSE(host_.kernel.isMounted(staging("long-a")));
  EXPECT_TRUE(host_.kernel.isMounted(staging("long-b")));
  EXPECT_FALSE(store_.load(a)->has_value());
}

// Session ownership markers are named the same way: a long IQN (223 bytes of '.' and ':' that
// encode to three bytes each) still gets a marker, and ownedSessions() returns its key.
TEST_F(HostileTest, LongSessionKeysFitNameMax) {
  std::string key = sessionKey("iqn." + std::string(219, ':'), "fd00::10", 3260);
  ASSERT_TRUE(store_.markSessionOwned(key).ok());
  EXPECT_TRUE(store_.isSessionOwned(key));
  auto owned = store_.ownedSessions();
  ASSERT_TRUE(owned.ok());
  EXPECT_EQ(*owned, std::vector<std::string>{key});
  ASSERT_TRUE(store_.clearSessionOwned(key).ok());
  EXPECT_FALSE(store_.isSessionOwned(key));
}

TEST_F(HostileTest, AnUnreadableRecordIsNotAnOkUnstage) {
  ASSERT_TRUE(volumes_->stage(nfsRequest()).ok());
  std::string file = store_.pathFor("nfs-1");
  fs::rename(file, file + ".saved");
  fs::create_directory(file);  // read() fails with EISDIR
  Status st = volumes_->unstage("nfs-1", staging("nfs-1"));
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(host_.kernel.isMounted(staging("nfs-1")));
  fs::remove(file);
  fs::rename(file + ".saved", file);
  EXPECT_TRUE(volumes_->unstage("nfs-1", staging("nfs-1")).ok());
}

TEST_F(HostileTest, AMissingLunIsAnErrorNotLunZero) {
  auto req = iscsiRequest();
  req.context.erase("lun");
  Status st = volumes_->stage(req);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st;
  EXPECT_THAT(std::string(st.message()), ::testing::HasSubstr("lun"));
  EXPECT_EQ(host_.kernel.count("login"), 0);
}

TEST_F(HostileTest, ErrorsDoNotEchoUnboundedInput) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  std::string huge = kubelet_ + "/pods/" + std::string(10000, 'x');
  auto pub = publishRequest();
  pub.targetPath = huge;
  Status st = volumes_->publish(pub);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_LT(st.message().size(), 600u);
  EXPECT_LT(volumes_->unpublish("pvc-1", huge).message().size(), 600u);
  EXPECT_LT(volumes_->stats("pvc-1", huge).status().message().size(), 600u);
  auto stage = iscsiRequest("pvc-2", 1);
  stage.fsType = std::string(10000, 'f');
  EXPECT_LT(volumes_->stage(stage).message().size(), 600u);
  stage = iscsiRequest("pvc-2", 1);
  stage.mountFlags = {std::string(10000, 'o')};
  EXPECT_LT(volumes_->stage(stage).message().size(), 600u);
  // A long path that is below the kubelet dir and acceptable as a string: the resolver's errors
  // are bounded too.
  std::string deep = kubelet_ + "/pods/" + std::string(250, 'd') + "/" + std::string(250, 'e');
  fs::create_directories(kubelet_ + "/pods/" + std::string(250, 'd'));
  std::ofstream(kubelet_ + "/pods/" + std::string(250, 'd') + "/" + std::string(250, 'e')) << "x";
  pub.targetPath = deep;
  st = volumes_->publish(pub);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st;
  EXPECT_LT(st.message().size(), 600u);
}

TEST_F(HostileTest, ASymlinkedTargetOrStagingParentNeverLeadsOutside) {
  std::string outside = root_ + "/outside";
  fs::create_directories(outside);
  fs::create_directories(kubelet_ + "/pods/p2");
  fs::create_symlink(outside, kubelet_ + "/pods/p2/volumes");
  fs::create_symlink(outside, kubelet_ + "/plugins/staging/evil");
  auto stage = iscsiRequest();
  stage.stagingPath = kubelet_ + "/plugins/staging/evil/pvc-1";
  EXPECT_EQ(volumes_->stage(stage).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(host_.kernel.count("login"), 0);
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  auto pub = publishRequest();
  pub.targetPath = kubelet_ + "/pods/p2/volumes/pvc-1/mount";
  EXPECT_EQ(volumes_->publish(pub).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(fs::is_empty(outside));
  EXPECT_EQ(host_.kernel.count("bindMount"), 0);
  EXPECT_EQ((*store_.load("pvc-1"))->findTarget(pub.targetPath), nullptr);
}

}  // namespace
}  // namespace tnascsi::agent::stage::testing

// The stage flows against the real kernel where this host allows: iSCSI is faked (no target
// here), but the LUN is a real loop device, so BlkidFilesystems probes and runs mkfs for real and
// LibmountMounter mounts, binds, remounts read-only and unmounts for real — in a private mount
// namespace. Needs root and loop devices; skips cleanly otherwise.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "agent/block/blkid_filesystems.h"
#include "agent/mount/libmount_mounter.h"
#include "agent/stage/node_volumes.h"
#include "test/fakes/agent/kernel/fake_kernel.h"
#include "test/fakes/agent/kernel/manual_clock.h"

namespace tnascsi::agent::stage {
namespace {

bool gReady = false;
std::string gWhy = "not set up";

class PrivateNamespace : public ::testing::Environment {
 public:
  void SetUp() override {
    if (::geteuid() != 0) {
      gWhy = "needs root";
    } else if (::unshare(CLONE_NEWNS) != 0 ||
               ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      gWhy = "cannot create a private mount namespace";
    } else {
      gReady = true;
    }
  }
};
const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new PrivateNamespace);

constexpr char kIqn[] = "iqn.2005-10.org.freenas.ctl:real";

class RealFlowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!gReady) GTEST_SKIP() << gWhy;
    char tmpl[] = "/tmp/tnas-realflow-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    kubelet_ = root_ + "/kubelet";
    std::filesystem::create_directories(kubelet_ + "/plugins/staging");
    std::string img = root_ + "/lun.img";
    { std::ofstream(img).close(); }
    std::filesystem::resize_file(img, 320ull << 20);  // xfs needs ≥ 300 MB
    FILE* p = ::popen(("losetup --find --show " + img + " 2>/dev/null").c_str(), "r");
    char buf[64] = {};
    if (p != nullptr) {
      if (std::fgets(buf, sizeof buf, p) == nullptr) buf[0] = 0;
      ::pclose(p);
    }
    loop_ = buf;
    while (!loop_.empty() && loop_.back() == '\n') loop_.pop_back();
    if (loop_.empty()) GTEST_SKIP() << "no loop device available";

    store_ = std::make_unique<AttachRecordStore>(root_ + "/state");
    ASSERT_TRUE(store_->init().ok());
    fakes::FakeTarget t;
    t.iqn = kIqn;
    t.address = "192.0.2.10";
    t.luns[0] = fakes::makeLun(0, "REAL-0");
    t.luns[0].devnode = loop_;
    host_.kernel.addTarget(t);
    config_.kubeletDir = kubelet_;
    config_.resolve = [](const std::string& h) -> StatusOr<std::string> { return h; };
    StageEnv env{host_.initiator, host_.blocks, filesystems_, mounter_, clock_, *store_, inflight_};
    attacher_ = std::make_unique<IscsiAttacher>(env, config_);
    volumes_ = std::make_unique<NodeVolumes>(env, config_, *attacher_, health_);
  }
  void TearDown() override {
    if (root_.empty()) return;
    ::umount2((kubelet_ + "/pods/p/mount").c_str(), MNT_DETACH);
    ::umount2((kubelet_ + "/pods/p/dev").c_str(), MNT_DETACH);
    ::umount2((kubelet_ + "/plugins/staging/v").c_str(), MNT_DETACH);
    ::umount2((kubelet_ + "/plugins/staging/race/v").c_str(), MNT_DETACH);
    if (!loop_.empty()) std::system(("losetup -d " + loop_ + " >/dev/null 2>&1").c_str());
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  StageRequest request(const std::string& fsType) const {
    StageRequest r;
    r.volumeId = "v";
    r.stagingPath = kubelet_ + "/plugins/staging/v";
    r.fsType = fsType;
    r.context = {{"protocol", "iscsi"},
                 {"portal", "192.0.2.10"},
                 {"iqn", kIqn},
                 {"lun", "0"},
                 {"serial", "REAL-0"}};
    return r;
  }

  std::string root_, kubelet_, loop_;
  fakes::FakeHost host_;
  BlkidFilesystems filesystems_;
  LibmountMounter mounter_;
  fakes::ManualClock clock_;
  common::InFlight inflight_;
  VolumeHealth health_;
  StageConfig config_;
  std::unique_ptr<AttachRecordStore> store_;
  std::unique_ptr<IscsiAttacher> attacher_;
  std::unique_ptr<NodeVolumes> volumes_;
};

TEST_F(RealFlowTest, FormatsMountsPublishesReadOnlyAndCleansUp) {
  ASSERT_TRUE(volumes_->stage(request("ext4")).ok());
  auto probe = filesystems_.probe(loop_);
  ASSERT_TRUE(probe.ok());
  EXPECT_EQ(probe->type, "ext4");
  auto staged = mounter_.findByTarget(kubelet_ + "/plugins/staging/v");
  ASSERT_TRUE(staged.ok() && staged->has_value());
  EXPECT_EQ((*staged)->fsType, "ext4");
  { std::ofstream(kubelet_ + "/plugins/staging/v/data") << "kept"; }
  ASSERT_TRUE(volumes_->stage(request("ext4")).ok());  // idempotent, no second mkfs

  PublishRequest pub{"v", kubelet_ + "/plugins/staging/v", kubelet_ + "/pods/p/mount", false, true,
                     {}};
  ASSERT_TRUE(volumes_->publish(pub).ok());
  EXPECT_TRUE(std::filesystem::exists(kubelet_ + "/pods/p/mount/data"));
  int fd = ::open((kubelet_ + "/pods/p/mount/new").c_str(), O_CREAT | O_WRONLY, 0600);
  EXPECT_LT(fd, 0) << "read-only publish is writable";
  if (fd >= 0) ::close(fd);
  ASSERT_TRUE(volumes_->publish(pub).ok());  // idempotent on the real mount table

  auto stats = volumes_->stats("v", kubelet_ + "/pods/p/mount");
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_FALSE(stats->condition.abnormal) << stats->condition.message;
  EXPECT_GT(stats->fs.totalBytes, 200ull << 20);
  EXPECT_GT(stats->fs.totalInodes, 0u);

  EXPECT_EQ(volumes_->unstage("v", kubelet_ + "/plugins/staging/v").code(),
            StatusCode::kFailedPrecondition);  // still published
  ASSERT_TRUE(volumes_->unpublish("v", kubelet_ + "/pods/p/mount").ok());
  EXPECT_FALSE(std::filesystem::exists(kubelet_ + "/pods/p/mount"));
  ASSERT_TRUE(volumes_->unstage("v", kubelet_ + "/plugins/staging/v").ok());
  EXPECT_FALSE(mounter_.findByTarget(kubelet_ + "/plugins/staging/v")->has_value());
}

TEST_F(RealFlowTest, ARealForeignFilesystemIsNeverFormatted) {
  ASSERT_EQ(std::system(("mkfs.xfs -q -f " + loop_ + " >/dev/null 2>&1").c_str()), 0);
  Status st = volumes_->stage(request("ext4"));
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st;
  auto probe = filesystems_.probe(loop_);
  ASSERT_TRUE(probe.ok());
  EXPECT_EQ(probe->type, "xfs");                      // untouched
  ASSERT_TRUE(volumes_->stage(request("xfs")).ok());  // the right type mounts (with nouuid)
  auto staged = mounter_.findByTarget(kubelet_ + "/plugins/staging/v");
  ASSERT_TRUE(staged.ok() && staged->has_value());
  EXPECT_EQ((*staged)->fsType, "xfs");
  ASSERT_TRUE(volumes_->unstage("v", kubelet_ + "/plugins/staging/v").ok());
}

TEST_F(RealFlowTest, RawBlockPublishBindsTheDeviceAndBlocksUnstage) {
  auto req = request("");
  req.block = true;
  ASSERT_TRUE(volumes_->stage(req).ok());
  PublishRequest pub{"v", kubelet_ + "/plugins/staging/v", kubelet_ + "/pods/p/dev", true, false,
                     {}};
  ASSERT_TRUE(volumes_->publish(pub).ok());
  EXPECT_TRUE(std::filesystem::is_block_file(kubelet_ + "/pods/p/dev"));
  auto stats = volumes_->stats("v", kubelet_ + "/pods/p/dev");
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->sizeBytes, 320ull << 20);
  Status busy = volumes_->unstage("v", kubelet_ + "/plugins/staging/v");
  EXPECT_EQ(busy.code(), StatusCode::kFailedPrecondition) << busy;
  ASSERT_TRUE(volumes_->unpublish("v", kubelet_ + "/pods/p/dev").ok());
  EXPECT_FALSE(std::filesystem::exists(kubelet_ + "/pods/p/dev"));
  ASSERT_TRUE(volumes_->unstage("v", kubelet_ + "/plugins/staging/v").ok());
}

// Mount targets in mountinfo below `dir` (a decoy outside the kubelet dir).
int mountsBelow(LibmountMounter& mounter, const std::string& dir) {
  auto all = mounter.list();
  if (!all.ok()) return -1;
  int n = 0;
  for (const auto& m : all.value()) n += m.target.rfind(dir + "/", 0) == 0 || m.target == dir;
  return n;
}

// Swaps `dir` with `link` (a symlink to a decoy outside the kubelet dir) with
// renameat2(RENAME_EXCHANGE) in a loop until stopped; leaves `dir` a directory again.
class Swapper {
 public:
  Swapper(std::string dir, std::string link) : dir_(std::move(dir)), link_(std::move(link)) {
    thread_ = std::thread([this] {
      while (!stop_) {
        if (::renameat2(AT_FDCWD, dir_.c_str(), AT_FDCWD, link_.c_str(), RENAME_EXCHANGE) == 0) {
          ++swaps_;
        }
      }
    });
  }
  long stop() {
    stop_ = true;
    thread_.join();
    if (std::filesystem::is_symlink(dir_)) {
      ::renameat2(AT_FDCWD, dir_.c_str(), AT_FDCWD, link_.c_str(), RENAME_EXCHANGE);
    }
    return swaps_;
  }

 private:
  std::string dir_, link_;
  std::atomic<bool> stop_{false};
  std::atomic<long> swaps_{0};
  std::thread thread_;
};

// Issue #11's attack on the real kernel: while a thread keeps exchanging a directory on the
// target path with a symlink to a decoy outside the kubelet dir, 1,000 publishes and unpublishes
// (and staging under a swapped staging parent) never put a mount in the decoy, and once the
// swapping stops the volume unpublishes and unstages cleanly.
TEST_F(RealFlowTest, RenameExchangeRaceNeverMountsOutsideTheKubeletDir) {
  std::string decoy = root_ + "/decoy";
  std::filesystem::create_directories(decoy);
  std::string stagingParent = kubelet_ + "/plugins/staging/race";
  std::filesystem::create_directories(stagingParent);
  std::filesystem::create_symlink(decoy, kubelet_ + "/plugins/staging/swap");
  auto stage = request("ext4");
  stage.stagingPath = stagingParent + "/v";
  // Staging under a swapped parent: refused or staged inside, never in the decoy.
  int staged = 0;
  {
    Swapper swapper(stagingParent, kubelet_ + "/plugins/staging/swap");
    for (int i = 0; i < 200 && staged == 0; ++i) staged += volumes_->stage(stage).ok();
    EXPECT_GT(swapper.stop(), 0);
  }
  EXPECT_EQ(mountsBelow(mounter_, decoy), 0);
  ASSERT_TRUE(volumes_->stage(stage).ok());  // the layout is back: staged (or still staged)

  std::string pod = kubelet_ + "/pods/p";
  std::filesystem::create_directories(pod + "/volumes");
  std::filesystem::create_symlink(decoy, pod + "/swap");
  PublishRequest pub{"v", stage.stagingPath, pod + "/volumes/v/mount", false, false, {}};
  int published = 0, unpublished = 0;
  Swapper swapper(pod + "/volumes", pod + "/swap");
  for (int i = 0; i < 1000; ++i) {
    published += volumes_->publish(pub).ok();
    unpublished += volumes_->unpublish("v", pub.targetPath).ok();
  }
  long swaps = swapper.stop();
  std::printf("swaps %ld, publishes ok %d, unpublishes ok %d of 1000\n", swaps, published,
              unpublished);
  EXPECT_GT(swaps, 0);
  EXPECT_GT(published, 0);
  EXPECT_EQ(mountsBelow(mounter_, decoy), 0) << "a bind landed outside the kubelet dir";
  EXPECT_TRUE(std::filesystem::is_empty(decoy));
  // Everything is this volume's again at its own path: unpublish until no bind is left, then
  // unstage.
  for (int i = 0; i < 16 && mountsBelow(mounter_, pod) > 0; ++i) {
    EXPECT_TRUE(volumes_->unpublish("v", pub.targetPath).ok());
  }
  EXPECT_EQ(mountsBelow(mounter_, pod), 0);
  Status unstaged = volumes_->unstage("v", stage.stagingPath);
  EXPECT_TRUE(unstaged.ok()) << unstaged;
  EXPECT_EQ(mountsBelow(mounter_, kubelet_), 0);
}

}  // namespace
}  // namespace tnascsi::agent::stage

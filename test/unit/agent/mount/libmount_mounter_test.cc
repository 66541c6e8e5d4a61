// LibmountMounter against the real kernel: tmpfs, bind, read-only remount, a loop device with
// ext4, findByDevice, unmount (plain and forced), isStale. Runs in a private mount namespace
// (unshare at start-up, before any thread exists) so nothing leaks to the host. Needs root;
// skips cleanly otherwise.
#include "agent/mount/libmount_mounter.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "agent/mount/path_probe.h"

namespace tnascsi::agent {
namespace {

bool gPrivateNs = false;
std::string gSkipReason;

class PrivateNamespace : public ::testing::Environment {
 public:
  void SetUp() override {
    if (::geteuid() != 0) {
      gSkipReason = "needs root";
      return;
    }
    if (::unshare(CLONE_NEWNS) != 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      gSkipReason = "cannot create a private mount namespace";
      return;
    }
    gPrivateNs = true;
  }
};

const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new PrivateNamespace);

int run(const std::string& cmd) {
  return std::system((cmd + " >/dev/null 2>&1").c_str());
}

class LibmountTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!gPrivateNs) GTEST_SKIP() << gSkipReason;
    char tmpl[] = "/tmp/tnas-mount-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    for (auto d : {"a", "b", "c"}) std::filesystem::create_directory(dir_ + "/" + d);
  }
  void TearDown() override {
    if (dir_.empty()) return;
    for (auto d : {"c", "b", "a"}) ::umount2((dir_ + "/" + d).c_str(), MNT_DETACH);
    if (!loop_.empty()) run("losetup -d " + loop_);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string attachLoop(const std::string& fs) {
    std::string img = dir_ + "/img";
    { std::ofstream(img).close(); }
    std::filesystem::resize_file(img, 64ull << 20);
    if (run("mkfs." + fs + " -q " + img) != 0) return "";
    FILE* p = ::popen(("losetup --find --show " + img + " 2>/dev/null").c_str(), "r");
    if (p == nullptr) return "";
    char buf[64] = {};
    if (std::fgets(buf, sizeof buf, p) == nullptr) buf[0] = 0;
    ::pclose(p);
    loop_ = buf;
    while (!loop_.empty() && (loop_.back() == '\n')) loop_.pop_back();
    return loop_;
  }
  // Handles below dir_, as the flows get them (BeneathRoot).
  ResolvedPath dirAt(const std::string& path) {
    auto r = BeneathRoot(dir_).resolve(path, BeneathRoot::Want::kDirectory);
    EXPECT_TRUE(r.ok()) << r.status();
    return std::move(r).value();
  }
  ResolvedPath fileAt(const std::string& path) {
    auto r = BeneathRoot(dir_).resolve(path, BeneathRoot::Want::kFile);
    EXPECT_TRUE(r.ok()) << r.status();
    return std::move(r).value();
  }
  ResolvedPath at(const std::string& path) {
    auto r = BeneathRoot(dir_).resolve(path, BeneathRoot::Want::kParent);
    EXPECT_TRUE(r.ok()) << r.status();
    return std::move(r).value();
  }
  ResolvedPath existing(const std::string& path) {
    auto r = BeneathRoot(dir_).resolve(path, BeneathRoot::Want::kExisting);
    EXPECT_TRUE(r.ok()) << r.status();
    return std::move(r).value();
  }
  std::string dir_;
  std::string loop_;
  LibmountMounter mounter_;
};

TEST_F(LibmountTest, MountFindAndUnmountTmpfs) {
  std::string a = dir_ + "/a";
  ASSERT_TRUE(mounter_.mount("tmpfs", dirAt(a), "tmpfs", "size=1m,noexec,nosuid").ok());
  auto e = mounter_.findByTarget(a);
  ASSERT_TRUE(e.ok() && e->has_value()) << e.status();
  EXPECT_EQ((*e)->fsType, "tmpfs");
  EXPECT_NE((*e)->options.find("noexec"), std::string::npos);
  EXPECT_FALSE((*e)->readOnly());
  EXPECT_FALSE(mounter_.isStale(a));
  ASSERT_TRUE(mounter_.unmount(at(a), false).ok());
  EXPECT_FALSE(mounter_.findByTarget(a)->has_value());
  EXPECT_TRUE(mounter_.unmount(at(a), false).ok());  // nothing mounted: OK
}

TEST_F(LibmountTest, BindAndReadOnlyRemount) {
  std::string a = dir_ + "/a", b = dir_ + "/b", c = dir_ + "/c";
  ASSERT_TRUE(mounter_.mount("tmpfs", dirAt(a), "tmpfs", "size=1m").ok());
  { std::ofstream(a + "/file") << "data"; }
  ASSERT_TRUE(mounter_.bindMount(a, dirAt(b), false).ok());
  ASSERT_TRUE(mounter_.bindMount(a, dirAt(c), true).ok());
  EXPECT_TRUE(std::filesystem::exists(b + "/file"));
  EXPECT_FALSE((*mounter_.findByTarget(b))->readOnly());
  EXPECT_TRUE((*mounter_.findByTarget(c))->readOnly());
  int fd = ::open((c + "/new").c_str(), O_CREAT | O_WRONLY, 0600);
  EXPECT_LT(fd, 0);
  EXPECT_EQ(errno, EROFS);
  if (fd >= 0) ::close(fd);
  ASSERT_TRUE(mounter_.unmount(at(c), true).ok());  // forced path on a live mount
  ASSERT_TRUE(mounter_.unmount(at(b), false).ok());
}

TEST_F(LibmountTest, BindWithFlagsSetsExactlyThePerMountFlags) {
  std::string a = dir_ + "/a", b = dir_ + "/b", c = dir_ + "/c";
  // The source carries nosuid and noexec; a bind would inherit them without the remount.
  ASSERT_TRUE(mounter_.mount("tmpfs", dirAt(a), "tmpfs", "size=1m,nosuid,noexec").ok());
  auto want = bindFlagsFor({"nodev,noatime", "size=2m"}, false);
  ASSERT_TRUE(mounter_.bindMountWithFlags(existing(a), dirAt(b), want).ok());
  auto e = mounter_.findByTarget(b);
  ASSERT_TRUE(e.ok() && e->has_value());
  EXPECT_TRUE(bindFlagsMatch(want, (*e)->options)) << (*e)->options;
  EXPECT_EQ((*e)->options.find("noexec"), std::string::npos) << (*e)->options;
  EXPECT_NE((*e)->options.find("noatime"), std::string::npos) << (*e)->options;

  auto ro = bindFlagsFor({"noexec"}, true);
  ASSERT_TRUE(mounter_.bindMountWithFlags(existing(a), dirAt(c), ro).ok());
  auto r = mounter_.findByTarget(c);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_TRUE(bindFlagsMatch(ro, (*r)->options)) << (*r)->options;
  EXPECT_FALSE(bindFlagsMatch(want, (*r)->options));
  int fd = ::open((c + "/new").c_str(), O_CREAT | O_WRONLY, 0600);
  EXPECT_LT(fd, 0);
  EXPECT_EQ(errno, EROFS);
  if (fd >= 0) ::close(fd);
  // The source mount keeps its own flags.
  EXPECT_NE((*mounter_.findByTarget(a))->options.find("noexec"), std::string::npos);
  ASSERT_TRUE(mounter_.unmount(at(c), false).ok());
  ASSERT_TRUE(mounter_.unmount(at(b), false).ok());
}

TEST_F(LibmountTest, BindWithFlagsOfAnUnopenedSourceLeavesNothing) {
  auto st = mounter_.bindMountWithFlags(at(dir_ + "/missing"), dirAt(dir_ + "/b"),
                                        bindFlagsFor({}, true));
  EXPECT_FALSE(st.ok());
  EXPECT_FALSE(mounter_.findByTarget(dir_ + "/b")->has_value());
}

TEST_F(LibmountTest, LoopDeviceExt4FindByDevice) {
  std::string dev = attachLoop("ext4");
  if (dev.empty()) GTEST_SKIP() << "no loop device or mkfs.ext4";
  std::string a = dir_ + "/a", b = dir_ + "/b";
  ASSERT_TRUE(mounter_.mount(dev, dirAt(a), "ext4", "noatime").ok());
  ASSERT_TRUE(mounter_.bindMount(a, dirAt(b), true).ok());
  auto byDev = mounter_.findByDevice(dev);
  ASSERT_TRUE(byDev.ok()) << byDev.status();
  ASSERT_EQ(byDev->size(), 2u);
  EXPECT_EQ((*byDev)[0].target, a);
  EXPECT_EQ((*byDev)[1].target, b);
  EXPECT_EQ((*byDev)[0].fsType, "ext4");
  ASSERT_TRUE(mounter_.unmount(at(b), false).ok());
  ASSERT_TRUE(mounter_.unmount(at(a), false).ok());
  EXPECT_TRUE(mounter_.findByDevice(dev)->empty());
  EXPECT_EQ(mounter_.findByDevice(dir_ + "/a").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(mounter_.findByDevice("/dev/does-not-exist").status().code(), StatusCode::kNotFound);
}

TEST_F(LibmountTest, BindADeviceNodeOntoAFile) {
  std::string dev = attachLoop("ext4");
  if (dev.empty()) GTEST_SKIP() << "no loop device";
  std::string f = dir_ + "/blockfile";
  { std::ofstream(f).close(); }
  ASSERT_TRUE(mounter_.bindMount(dev, fileAt(f), false).ok());
  struct stat st {};
  ASSERT_EQ(::stat(f.c_str(), &st), 0);
  EXPECT_TRUE(S_ISBLK(st.st_mode));
  EXPECT_TRUE(mounter_.findByTarget(f)->has_value());
  auto byDev = mounter_.findByDevice(dev);
  ASSERT_TRUE(byDev.ok());
  ASSERT_EQ(byDev->size(), 1u);  // the bound node counts as a use of the device
  EXPECT_EQ(byDev->front().target, f);
  ASSERT_TRUE(mounter_.unmount(at(f), false).ok());
  EXPECT_TRUE(mounter_.findByDevice(dev)->empty());
}

// The mounts go onto the directory that was resolved, not onto whatever the path names by the
// time of the mount: a directory swapped for a symlink to a place outside the root in between
// (the renameat2 race of issue #11) does not redirect them.
TEST_F(LibmountTest, MountsLandOnTheResolvedDirectoryNotOnASymlinkSwappedIn) {
  std::string a = dir_ + "/a", kubelet = dir_ + "/b", decoy = dir_ + "/c";
  ASSERT_TRUE(mounter_.mount("tmpfs", dirAt(a), "tmpfs", "size=1m").ok());
  BeneathRoot root(kubelet);
  auto vol = root.resolve(kubelet + "/vol", BeneathRoot::Want::kDirectory);
  auto blk = root.resolve(kubelet + "/blk", BeneathRoot::Want::kFile);
  ASSERT_TRUE(vol.ok() && blk.ok());
  for (std::string name : {"/vol", "/blk"}) {
    std::filesystem::rename(kubelet + name, kubelet + name + ".real");
    std::filesystem::create_symlink(decoy, kubelet + name);
  }
  ASSERT_TRUE(mounter_.bindMountWithFlags(existing(a), *vol, bindFlagsFor({"nodev"}, true)).ok());
  std::string dev = attachLoop("ext4");
  if (!dev.empty()) {
    ASSERT_TRUE(mounter_.bindMount(dev, *blk, false).ok());
  }
  EXPECT_FALSE(mounter_.findByTarget(decoy)->has_value());
  EXPECT_FALSE(mounter_.findByTarget(kubelet + "/vol")->has_value());
  EXPECT_TRUE(mounter_.findByTarget(kubelet + "/vol.real")->has_value());
  EXPECT_EQ(mounter_.findByTarget(kubelet + "/blk.real")->has_value(), !dev.empty());
  // Through the symlink's name nothing is unmounted (the name is never followed).
  auto viaLink = root.resolve(kubelet + "/vol", BeneathRoot::Want::kParent);
  ASSERT_TRUE(viaLink.ok());
  EXPECT_TRUE(mounter_.unmount(*viaLink, false).ok());
  EXPECT_TRUE(mounter_.findByTarget(kubelet + "/vol.real")->has_value());
  EXPECT_TRUE(mounter_.unmount(at(kubelet + "/vol.real"), false).ok());
  if (!dev.empty()) {
    EXPECT_TRUE(mounter_.unmount(at(kubelet + "/blk.real"), false).ok());
  }
  EXPECT_FALSE(mounter_.findByTarget(kubelet + "/vol.real")->has_value());
  EXPECT_TRUE(mounter_.unmount(at(a), false).ok());
}

TEST_F(LibmountTest, ForcedUnmountDetachesABusyMount) {
  std::string a = dir_ + "/a";
  ASSERT_TRUE(mounter_.mount("tmpfs", dirAt(a), "tmpfs", "size=1m").ok());
  int fd = ::open((a + "/busy").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ::chdir(a.c_str());
  Status plain = mounter_.unmount(at(a), false);
  EXPECT_EQ(plain.code(), StatusCode::kUnavailable) << plain;  // EBUSY
  EXPECT_TRUE(mounter_.findByTarget(a)->has_value());
  EXPECT_TRUE(mounter_.unmount(at(a), true).ok());
  EXPECT_FALSE(mounter_.findByTarget(a)->has_value());
  ::chdir("/");
  ::close(fd);
}

TEST_F(LibmountTest, MountErrorsAreMapped) {
  Status st = mounter_.mount("/dev/does-not-exist", dirAt(dir_ + "/a"), "ext4", "");
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.code(), StatusCode::kUnknown);
  EXPECT_FALSE(mounter_.isStale(dir_ + "/a"));
}

TEST(PathProbe, StatWithDeadline) {
  auto st = statWithDeadline("/", std::chrono::milliseconds(2000));
  ASSERT_TRUE(st.ok());
  int err = 0;
  auto missing = statWithDeadline("/definitely/not/here", std::chrono::milliseconds(2000), &err);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(err, ENOENT);
}

}  // namespace
}  // namespace tnascsi::agent

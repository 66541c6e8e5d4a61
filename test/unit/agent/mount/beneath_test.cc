// BeneathRoot: resolution below a root never leaves it (symlinks out, "..", a final symlink),
// creates what is missing only below it, and keeps doing so while another thread swaps a directory
// for a symlink to a place outside with renameat2(RENAME_EXCHANGE). Runs unprivileged on a temp
// dir, with openat2 and with the component walk older kernels get.
#include "agent/mount/beneath.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdio.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

namespace tnascsi::agent {
namespace {

namespace fs = std::filesystem;
using Want = BeneathRoot::Want;

std::string fdPath(int fd) {
  std::error_code ec;
  return fs::read_symlink(procFdPath(fd), ec).string();
}

class BeneathTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tnas-beneath-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    root_ = dir_ + "/kubelet";
    outside_ = dir_ + "/outside";
    fs::create_directories(root_ + "/pods/p1");
    fs::create_directories(outside_);
    beneath_ = std::make_unique<BeneathRoot>(root_);
    beneath_->forceComponentWalk(GetParam());
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  bool outsideIsEmpty() const { return fs::is_empty(outside_); }

  std::string dir_, root_, outside_;
  std::unique_ptr<BeneathRoot> beneath_;
};

TEST_P(BeneathTest, CreatesDirectoriesAndFilesBelowTheRoot) {
  auto d = beneath_->resolve(root_ + "/pods/p1/volumes/v/mount", Want::kDirectory);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_TRUE(d->created());
  EXPECT_TRUE(d->isDirectory());
  EXPECT_EQ(fdPath(d->fd()), root_ + "/pods/p1/volumes/v/mount");
  EXPECT_EQ(fdPath(d->parentFd()), root_ + "/pods/p1/volumes/v");
  auto again = beneath_->resolve(root_ + "/pods/p1/volumes/v/mount", Want::kDirectory);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created());
  auto f = beneath_->resolve(root_ + "/pods/p1/dev/blk", Want::kFile);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE(f->created() && f->isRegularFile());
  auto parent = beneath_->resolve(root_ + "/pods/p1/missing", Want::kParent);
  ASSERT_TRUE(parent.ok());
  EXPECT_FALSE(parent->exists());
  EXPECT_EQ(parent->fd(), -1);
  EXPECT_EQ(parent->viaParent(), procFdPath(parent->parentFd()) + "/missing");
  EXPECT_EQ(beneath_->resolve(root_ + "/pods/p1/missing", Want::kExisting).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(beneath_->resolve(root_ + "/nope/x", Want::kParent).status().code(),
            StatusCode::kNotFound);
}

TEST_P(BeneathTest, NeverLeavesTheRoot) {
  fs::create_symlink(outside_, root_ + "/pods/escape");            // absolute, out
  fs::create_symlink("../../outside", root_ + "/pods/relescape");  // relative, out
  for (std::string p : {root_ + "/pods/escape/mount", root_ + "/pods/relescape/mount",
                        root_ + "/pods/escape/a/b/c"}) {
    for (Want w : {Want::kDirectory, Want::kFile, Want::kExisting, Want::kParent}) {
      auto r = beneath_->resolve(p, w);
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << p << " " << r.status();
    }
  }
  // A final symlink is never followed, whatever it points at.
  fs::create_symlink(outside_, root_ + "/pods/p1/link");
  for (Want w : {Want::kDirectory, Want::kFile, Want::kExisting}) {
    EXPECT_EQ(beneath_->resolve(root_ + "/pods/p1/link", w).status().code(),
              StatusCode::kInvalidArgument);
  }
  auto p = beneath_->resolve(root_ + "/pods/p1/link", Want::kParent);
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->exists());  // not looked at
  EXPECT_EQ(p->viaParent(), procFdPath(p->parentFd()) + "/link");
  // Strings that are not below the root, or not normalised.
  for (std::string bad : {dir_ + "/outside/x", root_, root_ + "/pods/../../outside/x",
                          root_ + "/pods//p1", root_ + "/./pods", root_ + "x/pods"}) {
    EXPECT_EQ(beneath_->resolve(bad, Want::kDirectory).status().code(),
              StatusCode::kInvalidArgument)
        << bad;
  }
  // A file where a directory is wanted (and the other way round).
  { std::ofstream(root_ + "/pods/p1/file") << "x"; }
  EXPECT_EQ(beneath_->resolve(root_ + "/pods/p1/file", Want::kDirectory).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(beneath_->resolve(root_ + "/pods/p1/file/x", Want::kDirectory).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(beneath_->resolve(root_ + "/pods/p1", Want::kFile).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(outsideIsEmpty());
}

// Symlinks that stay below the root are followed by openat2 (RESOLVE_BENEATH); the component
// walk older kernels get follows none.
TEST_P(BeneathTest, SymlinksInsideTheRootOnlyWithOpenat2) {
  fs::create_directories(root_ + "/real");
  fs::create_symlink("../real", root_ + "/pods/inside");
  auto r = beneath_->resolve(root_ + "/pods/inside/x", Want::kParent);
  if (GetParam()) {
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status();
  } else {
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(fdPath(r->parentFd()), root_ + "/real");
  }
}

TEST_P(BeneathTest, ErrorsShowABoundedPath) {
  std::string longPath = root_ + "/" + std::string(300, 'a') + "/" + std::string(9000, 'b');
  auto r = beneath_->resolve(longPath, Want::kDirectory);
  ASSERT_FALSE(r.ok());
  EXPECT_LT(r.status().message().size(), 2 * kShownPathBytes) << r.status().message().size();
  EXPECT_EQ(bounded("abc", 2), "ab...");
  EXPECT_EQ(bounded("abc", 3), "abc");
}

// The race of issue #11: a thread keeps exchanging a directory on the path with a symlink to a
// place outside the root while directories and files are created along that path. Every
// resolution that succeeds names an object below the root, and nothing is ever created outside.
TEST_P(BeneathTest, ARenameExchangeRaceNeverSendsAnythingOutside) {
  std::string vols = root_ + "/pods/p1/volumes";
  std::string swap = root_ + "/pods/p1/swap";
  fs::create_directories(vols);
  fs::create_symlink(outside_, swap);
  std::atomic<bool> stop{false};
  std::atomic<long> swaps{0};
  std::thread swapper([&] {
    while (!stop) {
      if (::renameat2(AT_FDCWD, vols.c_str(), AT_FDCWD, swap.c_str(), RENAME_EXCHANGE) == 0) {
        ++swaps;
      }
    }
  });
  int ok = 0, refused = 0;
  for (int i = 0; i < 3000; ++i) {
    bool dir = i % 2 == 0;
    std::string p = vols + "/v" + std::to_string(i % 7) + (dir ? "/mount" : "/dev");
    auto r = beneath_->resolve(p, dir ? Want::kDirectory : Want::kFile);
    if (!r.ok()) {
      ++refused;
      continue;
    }
    ++ok;
    std::string at = fdPath(r->fd());
    EXPECT_EQ(at.rfind(root_ + "/", 0), 0u) << at;
  }
  stop = true;
  swapper.join();
  EXPECT_GT(swaps.load(), 0);
  EXPECT_GT(ok, 0);
  EXPECT_TRUE(outsideIsEmpty()) << "created outside the root (" << refused << " refused)";
}

INSTANTIATE_TEST_SUITE_P(Walks, BeneathTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "ComponentWalk" : "Openat2";
                         });

}  // namespace
}  // namespace tnascsi::agent

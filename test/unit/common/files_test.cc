// Tests for readFile / writeFileAtomic / readSecretFile / makeDirs and UniqueFd.
#include "common/base/files.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "common/base/unique_fd.h"

namespace tnascsi::common {
namespace {

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tnas-files-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(FilesTest, AtomicWriteReplacesContentAndLeavesNoTemp) {
  std::string p = dir_ + "/record.json";
  ASSERT_TRUE(writeFileAtomic(p, "one").ok());
  ASSERT_TRUE(writeFileAtomic(p, "two", 0640).ok());
  EXPECT_EQ(*readFile(p), "two");
  struct stat st {};
  ASSERT_EQ(stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  int entries = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir_)) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST_F(FilesTest, MissingFileIsNotFound) {
  EXPECT_EQ(readFile(dir_ + "/nope").status().code(), StatusCode::kNotFound);
}

TEST_F(FilesTest, AtomicWriteIntoMissingDirectoryFails) {
  EXPECT_FALSE(writeFileAtomic(dir_ + "/no/such/dir/file", "x").ok());
}

TEST_F(FilesTest, SecretIsTrimmedAndNeverInErrors) {
  std::string p = dir_ + "/key";
  ASSERT_TRUE(writeFileAtomic(p, "1-abcdef\n").ok());
  EXPECT_EQ(*readSecretFile(p), "1-abcdef");
  ASSERT_TRUE(writeFileAtomic(p, "\n\n").ok());
  auto empty = readSecretFile(p);
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
  auto missing = readSecretFile(dir_ + "/absent");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("absent"), std::string::npos);
}

TEST_F(FilesTest, MakeDirsCreatesMissingAncestorsWithMode) {
  const std::string p = dir_ + "/a/b//c/";
  ASSERT_TRUE(makeDirs(p, 0700).ok());
  struct stat st {};
  ASSERT_EQ(::stat((dir_ + "/a/b/c").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_TRUE(makeDirs(dir_ + "/a/b", 0700).ok());  // exists already
  ASSERT_TRUE(writeFileAtomic(dir_ + "/a/file", "x").ok());
  auto blocked = makeDirs(dir_ + "/a/file/d");
  EXPECT_EQ(blocked.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(blocked.message().find(dir_ + "/a/file is not a directory"), std::string::npos);
  EXPECT_EQ(makeDirs(dir_ + "/a/file").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(makeDirs("").code(), StatusCode::kInvalidArgument);
}

TEST_F(FilesTest, SecretLosesAllTrailingAsciiWhitespace) {
  const std::string p = dir_ + "/key";
  ASSERT_TRUE(writeFileAtomic(p, " 1-ab cd \t\r\n\v\f").ok());
  EXPECT_EQ(*readSecretFile(p), " 1-ab cd");  // leading blanks are part of the secret
}

bool isOpen(int fd) {
  return ::fcntl(fd, F_GETFD) != -1;
}

TEST(UniqueFdTest, ClosesOnceOnScopeResetAndMove) {
  int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(raw, 0);
  {
    UniqueFd a(raw);
    EXPECT_TRUE(a);
    UniqueFd b(std::move(a));
    EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): moved-from is empty
    EXPECT_EQ(b.get(), raw);
    EXPECT_TRUE(isOpen(raw));
  }
  EXPECT_FALSE(isOpen(raw));

  UniqueFd c(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const int first = c.get();
  c.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  EXPECT_FALSE(isOpen(first));  // the new fd was opened first, so it differs
  const int kept = c.release();
  EXPECT_FALSE(c);
  EXPECT_TRUE(isOpen(kept));
  ::close(kept);

  UniqueFd d(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  UniqueFd e(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const int dFd = d.get();
  const int eFd = e.get();
  d = std::move(e);
  EXPECT_EQ(d.get(), eFd);
  EXPECT_FALSE(isOpen(dFd));
  EXPECT_EQ(UniqueFd().get(), -1);
}

}  // namespace
}  // namespace tnascsi::common

// Tests for readFile / writeFileAtomic / readSecretFile.
#include "common/base/files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

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

}  // namespace
}  // namespace tnascsi::common

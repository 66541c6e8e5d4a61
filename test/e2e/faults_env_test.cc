// The fault scenarios' own tools must be right: the data pattern is a pure function of (seed,
// offset), file checksums agree with the pattern's and catch one changed byte, the background
// writer streams exactly the pattern, runCommand reports exit status and output, and waitUntil
// times out.
#include "test/e2e/faults_env.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace tnascsi::e2e {
namespace {

class FaultsEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tnas-faults-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(FaultsEnvTest, PatternDependsOnlyOnSeedAndOffset) {
  std::vector<char> whole(1000), part(300);
  fillPattern(whole.data(), whole.size(), 9, 0);
  fillPattern(part.data(), part.size(), 9, 333);
  EXPECT_TRUE(std::equal(part.begin(), part.end(), whole.begin() + 333));
  fillPattern(part.data(), part.size(), 10, 333);
  EXPECT_FALSE(std::equal(part.begin(), part.end(), whole.begin() + 333));
}

TEST_F(FaultsEnvTest, FileChecksumMatchesPatternAndCatchesOneByte) {
  std::string path = dir_ + "/a.bin", err;
  ASSERT_TRUE(writePatternFile(path, 300000, 4, &err)) << err;
  EXPECT_EQ(fileChecksum(path, 300000, &err), patternChecksum(4, 300000));
  EXPECT_NE(patternChecksum(4, 300000), patternChecksum(5, 300000));
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    char c = 0;
    f.seekg(123456);
    f.get(c);
    f.seekp(123456);
    f.put(static_cast<char>(c ^ 0x01));
  }
  EXPECT_NE(fileChecksum(path, 300000, &err), patternChecksum(4, 300000));
  EXPECT_TRUE(fileChecksum(path, 400000, &err).empty());
  EXPECT_NE(err.find("short"), std::string::npos);
  EXPECT_TRUE(fileChecksum(dir_ + "/missing", 1, &err).empty());
}

TEST_F(FaultsEnvTest, WriterStreamsThePattern) {
  PatternWriter w(dir_ + "/w.bin", 21, 4096);
  w.start();
  ASSERT_GE(waitUntil([&] { return w.bytesSynced() >= 64 * 1024; }, 30, 10), 0);
  w.stop();
  uint64_t n = w.bytesSynced();
  EXPECT_EQ(n % 4096, 0u);
  EXPECT_TRUE(w.error().empty()) << w.error();
  std::string err;
  EXPECT_EQ(fileChecksum(dir_ + "/w.bin", n, &err), patternChecksum(21, n)) << err;
  PatternWriter bad(dir_ + "/no/such/dir/w.bin", 1, 4096);
  bad.start();
  bad.stop();
  EXPECT_NE(bad.error().find("open"), std::string::npos);
}

TEST_F(FaultsEnvTest, RunCommandAndWaitUntil) {
  std::string out;
  EXPECT_EQ(runCommand({"sh", "-c", "echo hello; echo oops >&2; exit 3"}, &out), 3);
  EXPECT_NE(out.find("hello"), std::string::npos);
  EXPECT_NE(out.find("oops"), std::string::npos);
  EXPECT_EQ(runCommand({"/no/such/binary"}, &out), 127);
  EXPECT_EQ(waitUntil([] { return false; }, 0.2, 20), -1);
  EXPECT_GE(waitUntil([] { return true; }, 0.2, 20), 0);
}

}  // namespace
}  // namespace tnascsi::e2e

// The e2e checks themselves must be right: pattern write/checksum round trip and mismatch, mount
// and file listing.
#include "test/e2e/node_checks.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace tnascsi::e2e {
namespace {

TEST(NodeChecks, PatternChecksumRoundTripsAndDetectsChange) {
  char tmpl[] = "/tmp/tnas-e2e-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl, path = dir + "/data.bin", err;
  std::string sum = writePattern(path, 3 << 20, 7, &err);
  ASSERT_FALSE(sum.empty()) << err;
  EXPECT_EQ(checksum(path, 3 << 20, &err), sum);
  EXPECT_NE(writePattern(dir + "/other.bin", 3 << 20, 8, &err), sum);  // seed matters
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(1 << 20);
    f.put('\x5a');
  }
  EXPECT_NE(checksum(path, 3 << 20, &err), sum);
  EXPECT_TRUE(checksum(path, 4 << 20, &err).empty());  // short file is an error
  EXPECT_NE(err.find("short"), std::string::npos);
  auto files = filesIn(dir);
  EXPECT_EQ(files.size(), 2u);
  EXPECT_TRUE(filesIn(dir + "/missing").empty());
  EXPECT_TRUE(mountsUnder(dir).empty());
  EXPECT_FALSE(mountsUnder("/proc").empty() && mountsUnder("/sys").empty() &&
               mountsUnder("/dev").empty());  // something is always mounted below those
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tnascsi::e2e

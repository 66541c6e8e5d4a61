// Tests for the mkfs option allow-list and argv building.
#include "agent/block/mkfs_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tnascsi::agent {
namespace {

using ::testing::ElementsAre;

TEST(MkfsOptionsTest, BuildsExt4Argv) {
  auto argv =
      buildMkfsArgv("/usr/sbin/mkfs.ext4", "ext4",
                    {"-L", "data", "-m", "0", "-E", "lazy_itable_init=0,nodiscard"}, "/dev/sdb");
  ASSERT_TRUE(argv.ok()) << argv.status();
  EXPECT_THAT(*argv, ElementsAre("/usr/sbin/mkfs.ext4", "-F", "-q", "-L", "data", "-m", "0", "-E",
                                 "lazy_itable_init=0,nodiscard", "/dev/sdb"));
}

TEST(MkfsOptionsTest, BuildsXfsArgv) {
  auto argv =
      buildMkfsArgv("/usr/sbin/mkfs.xfs", "xfs", {"-m", "reflink=1,crc=1", "-K"}, "/dev/sdc");
  ASSERT_TRUE(argv.ok()) << argv.status();
  EXPECT_THAT(*argv,
              ElementsAre("/usr/sbin/mkfs.xfs", "-q", "-m", "reflink=1,crc=1", "-K", "/dev/sdc"));
}

struct BadCase {
  std::string fs;
  std::vector<std::string> options;
};

class MkfsRejectTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(MkfsRejectTest, Rejected) {
  Status st = validateMkfsOptions(GetParam().fs, GetParam().options);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st;
}

INSTANTIATE_TEST_SUITE_P(
    Table, MkfsRejectTest,
    ::testing::Values(BadCase{"btrfs", {}}, BadCase{"ext4", {"-F"}},         // not allowed
                      BadCase{"ext4", {"-L"}},                               // missing value
                      BadCase{"ext4", {"-L", "a;rm -rf /"}},                 // bad label
                      BadCase{"ext4", {"-L", "seventeen-chars-x"}},          // too long
                      BadCase{"ext4", {"-E", "lazy_itable_init=0,evil=1"}},  // unknown key
                      BadCase{"ext4", {"-m", "-5"}},                         // not a number
                      BadCase{"ext4", {"-d", "/etc"}},                       // populate from dir
                      BadCase{"xfs", {"-f"}},                                // force
                      BadCase{"xfs", {"-m", "reflink=1,,crc=1"}},            // empty item
                      BadCase{"xfs", {"-L", "thirteen-char"}},               // > 12
                      BadCase{"xfs", {"-d", "file=/tmp/x"}},                 // unknown key
                      BadCase{"xfs", {"/dev/sda"}}));                        // extra device

TEST(MkfsOptionsTest, RelativeDeviceRejected) {
  EXPECT_FALSE(buildMkfsArgv("/usr/sbin/mkfs.ext4", "ext4", {}, "sdb").ok());
}

}  // namespace
}  // namespace tnascsi::agent

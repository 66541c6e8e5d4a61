// The access driver's own helpers must be right: the secrets file reader refuses short, missing
// or equal secrets, and the mountinfo reader finds a mount point's per-mount options.
#include "test/e2e/access.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace tnascsi::e2e {
namespace {

class SecretsFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tnas-access-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& text) {
    std::string p = dir_ + "/secrets";
    std::ofstream(p) << text;
    return p;
  }
  std::string dir_;
};

TEST_F(SecretsFile, ReadsEveryKey) {
  AccessSecrets s;
  std::string err;
  ASSERT_TRUE(
      readAccessSecrets(write("chapUser=u1\nchapSecret=aaaaaaaaaaaa\nchapMutualUser=u2\n"
                              "chapMutualSecret=bbbbbbbbbbbbbbbb\nwrongSecret=cccccccccccccc\n"),
                        &s, &err))
      << err;
  EXPECT_EQ(s.user, "u1");
  EXPECT_EQ(s.secret, "aaaaaaaaaaaa");
  EXPECT_EQ(s.mutualUser, "u2");
  EXPECT_EQ(s.mutualSecret, "bbbbbbbbbbbbbbbb");
  EXPECT_EQ(s.wrongSecret, "cccccccccccccc");
}

TEST_F(SecretsFile, RefusesBadFiles) {
  AccessSecrets s;
  std::string err;
  EXPECT_FALSE(readAccessSecrets(dir_ + "/missing", &s, &err));
  AccessSecrets t;
  EXPECT_FALSE(readAccessSecrets(
      write("chapSecret=short\nchapMutualSecret=bbbbbbbbbbbb\nwrongSecret=cccccccccccc\n"), &t,
      &err));
  EXPECT_NE(err.find("12-16"), std::string::npos);
  AccessSecrets u;
  EXPECT_FALSE(readAccessSecrets(
      write("chapSecret=aaaaaaaaaaaa\nchapMutualSecret=bbbbbbbbbbbb\nwrongSecret=aaaaaaaaaaaa\n"),
      &u, &err));
  EXPECT_NE(err.find("differ"), std::string::npos);
  AccessSecrets v;
  EXPECT_FALSE(readAccessSecrets(write("chapSecret=aaaaaaaaaaaa\n"), &v, &err));
}

TEST(PerMountOptions, ReadsTheMountInfoOptionsField) {
  // /proc is a mount point everywhere these tests run; its options start with rw or ro.
  std::string opts = perMountOptions("/proc");
  ASSERT_FALSE(opts.empty());
  EXPECT_TRUE(opts.rfind("rw", 0) == 0 || opts.rfind("ro", 0) == 0) << opts;
  EXPECT_EQ(opts.find(' '), std::string::npos);
  EXPECT_EQ(perMountOptions("/no/such/mount/point"), "");
}

}  // namespace
}  // namespace tnascsi::e2e

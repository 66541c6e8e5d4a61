// StorageClass parameters nfsRootMode/nfsRootUid/nfsRootGid/nfsRootStripAcl: what is accepted,
// what is refused (INVALID_ARGUMENT naming the parameter and what to write instead), and that
// they belong to NFS only and change the StorageClass fingerprint.
#include <gtest/gtest.h>

#include "controller/provision/parameters.h"

namespace tnascsi::controller::provision {
namespace {

StatusOr<VolumeParameters> nfs(std::map<std::string, std::string> extra) {
  extra["protocol"] = "nfs";
  return parseVolumeParameters(extra);
}

TEST(NfsRootPermissions, AbsentByDefault) {
  auto p = nfs({});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_FALSE(p->nfs.root.any());
  EXPECT_FALSE(p->nfs.root.stripAcl);
}

TEST(NfsRootPermissions, ParsesOctalModesAndNumericIds) {
  struct Case {
    std::string mode;
    uint32_t want;
  } cases[] = {{"0775", 0775}, {"775", 0775}, {"0777", 0777}, {"001", 01}, {"0700", 0700}};
  for (const auto& c : cases) {
    auto p = nfs({{"nfsRootMode", c.mode}});
    ASSERT_TRUE(p.ok()) << c.mode << ": " << p.status();
    ASSERT_TRUE(p->nfs.root.mode.has_value()) << c.mode;
    EXPECT_EQ(*p->nfs.root.mode, c.want) << c.mode;
    EXPECT_FALSE(p->nfs.root.uid.has_value());
  }
  auto p = nfs({{"nfsRootUid", "1000"},
                {"nfsRootGid", "2147483647"},
                {"nfsRootMode", "0770"},
                {"nfsRootStripAcl", "true"}});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->nfs.root.uid, 1000);
  EXPECT_EQ(p->nfs.root.gid, 2147483647);
  EXPECT_TRUE(p->nfs.root.stripAcl);
  auto ownerOnly = nfs({{"nfsRootGid", "0"}});
  ASSERT_TRUE(ownerOnly.ok()) << ownerOnly.status();
  EXPECT_TRUE(ownerOnly->nfs.root.any());
  EXPECT_FALSE(ownerOnly->nfs.root.mode.has_value());
  EXPECT_EQ(ownerOnly->nfs.root.gid, 0);
}

TEST(NfsRootPermissions, RefusesWithTheParameterNamedAndTheFix) {
  struct Case {
    std::map<std::string, std::string> params;
    std::string mentions;
    std::string hint;
  } cases[] = {
      {{{"nfsRootMode", "1777"}}, "nfsRootMode", "sticky"},
      {{{"nfsRootMode", "4755"}}, "nfsRootMode", "001 to 777"},
      {{{"nfsRootMode", "0000"}}, "nfsRootMode", "000"},
      {{{"nfsRootMode", "000"}}, "nfsRootMode", "001 to 777"},
      {{{"nfsRootMode", "0789"}}, "nfsRootMode", "octal"},
      {{{"nfsRootMode", "rwxrwxr-x"}}, "nfsRootMode", "e.g. \"0775\""},
      {{{"nfsRootMode", "0o775"}}, "nfsRootMode", "octal"},
      {{{"nfsRootMode", "75"}}, "nfsRootMode", "3 digits"},
      {{{"nfsRootMode", "00775"}}, "nfsRootMode", "3 digits"},
      {{{"nfsRootMode", ""}}, "nfsRootMode", "octal"},
      {{{"nfsRootMode", " 775"}}, "nfsRootMode", "octal"},
      {{{"nfsRootUid", "-1"}}, "nfsRootUid", "0 to 2147483647"},
      {{{"nfsRootUid", "2147483648"}}, "nfsRootUid", "0 to 2147483647"},
      {{{"nfsRootUid", "99999999999"}}, "nfsRootUid", "0 to 2147483647"},
      {{{"nfsRootGid", "www-data"}}, "nfsRootGid", "names are not accepted"},
      {{{"nfsRootGid", "1e3"}}, "nfsRootGid", "numeric"},
      {{{"nfsRootStripAcl", "yes"}}, "nfsRootStripAcl", "true, false"},
      {{{"nfsRootStripAcl", "true"}}, "nfsRootStripAcl", "needs 'nfsRootMode'"},
      {{{"nfsRootStripAcl", "true"}, {"nfsRootUid", "5"}}, "nfsRootStripAcl", "nfsRootMode"},
  };
  for (const auto& c : cases) {
    auto p = nfs(c.params);
    ASSERT_FALSE(p.ok()) << c.mentions << " " << c.hint;
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument) << p.status();
    EXPECT_NE(p.status().message().find("'" + c.mentions + "'"), std::string::npos) << p.status();
    EXPECT_NE(p.status().message().find(c.hint), std::string::npos) << p.status();
  }
}

TEST(NfsRootPermissions, RefusedOnIscsi) {
  for (const char* key : {"nfsRootMode", "nfsRootUid", "nfsRootGid", "nfsRootStripAcl"}) {
    auto p = parseVolumeParameters({{"protocol", "iscsi"}, {key, "0775"}});
    ASSERT_FALSE(p.ok()) << key;
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(p.status().message().find(std::string(key) + "' is not valid with protocol 'iscsi'"),
              std::string::npos)
        << p.status();
  }
}

TEST(NfsRootPermissions, PartOfTheFingerprint) {
  auto plain = nfs({});
  auto a = nfs({{"nfsRootMode", "0775"}});
  auto b = nfs({{"nfsRootMode", "0770"}});
  ASSERT_TRUE(plain.ok() && a.ok() && b.ok());
  EXPECT_NE(plain->fingerprint, a->fingerprint);
  EXPECT_NE(a->fingerprint, b->fingerprint);
}

}  // namespace
}  // namespace tnascsi::controller::provision

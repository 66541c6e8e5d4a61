// StorageClass parameter parsing and CHAP secret validation (table-driven).
#include "controller/provision/parameters.h"

#include <gtest/gtest.h>

namespace tnascsi::controller::provision {
namespace {

TEST(Parameters, DefaultsForIscsi) {
  auto p = parseVolumeParameters({{"protocol", "iscsi"}});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->protocol, Protocol::kIscsi);
  EXPECT_EQ(p->iscsi.volblocksize, 16384u);
  EXPECT_TRUE(p->iscsi.sparse);
  EXPECT_EQ(p->iscsi.extentBlocksize, 512);
  EXPECT_EQ(p->fsType, "ext4");
  EXPECT_FALSE(p->iscsi.compression.has_value());
}

TEST(Parameters, ParsesEveryIscsiParameter) {
  auto p = parseVolumeParameters({{"protocol", "iscsi"},
                                  {"backend", "fast"},
                                  {"csi.storage.k8s.io/fstype", "xfs"},
                                  {"volblocksize", "64K"},
                                  {"sparse", "false"},
                                  {"compression", "zstd-3"},
                                  {"deduplication", "verify"},
                                  {"sync", "always"},
                                  {"extentBlocksize", "4096"},
                                  {"extentInsecureTpc", "false"},
                                  {"extentXen", "true"},
                                  {"extentRpm", "7200"},
                                  {"mkfsOptions", "-m 0 -E nodiscard"},
                                  {"portals", "10.0.0.5:3260, 10.0.1.5:3260"},
                                  {"multipath", "true"},
                                  {"csi.storage.k8s.io/pvc/name", "data"}});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->backend, "fast");
  EXPECT_EQ(p->fsType, "xfs");
  EXPECT_EQ(p->iscsi.volblocksize, 65536u);
  EXPECT_FALSE(p->iscsi.sparse);
  EXPECT_EQ(*p->iscsi.compression, "ZSTD-3");
  EXPECT_EQ(*p->iscsi.dedup, "VERIFY");
  EXPECT_EQ(*p->iscsi.sync, "ALWAYS");
  EXPECT_EQ(p->iscsi.extentBlocksize, 4096);
  EXPECT_FALSE(p->iscsi.extentInsecureTpc);
  EXPECT_TRUE(p->iscsi.extentXen);
  EXPECT_EQ(p->iscsi.extentRpm, "7200");
  EXPECT_EQ(p->iscsi.portals, (std::vector<std::string>{"10.0.0.5:3260", "10.0.1.5:3260"}));
  EXPECT_TRUE(p->iscsi.multipath);
  EXPECT_EQ(p->pvcName, "data");
}

TEST(Parameters, NfsDefaultsAndMapall) {
  auto p = parseVolumeParameters({{"protocol", "nfs"}});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p->nfs.maprootUser, "root");
  EXPECT_EQ(p->nfs.version, "4.2");
  auto mapall = parseVolumeParameters({{"protocol", "nfs"},
                                       {"nfsMapallUser", "apps"},
                                       {"nfsMapallGroup", "apps"},
                                       {"nfsNetworks", "10.0.0.0/24,10.1.0.0/16"},
                                       {"nfsVersion", "3"},
                                       {"nfsReservation", "true"},
                                       {"nfsSecurity", "krb5p"}});
  ASSERT_TRUE(mapall.ok()) << mapall.status();
  EXPECT_FALSE(mapall->nfs.maprootUser.has_value()) << "mapall excludes the default maproot";
  EXPECT_EQ(*mapall->nfs.mapallUser, "apps");
  EXPECT_EQ(mapall->nfs.networks.size(), 2u);
  EXPECT_TRUE(mapall->nfs.reservation);
  EXPECT_EQ(mapall->nfs.security, "KRB5P");
}

TEST(Parameters, NfsExportPerNode) {
  auto off = parseVolumeParameters({{"protocol", "nfs"}});
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->nfs.exportPerNode);
  auto on = parseVolumeParameters({{"protocol", "nfs"}, {"nfsExportPerNode", "true"}});
  ASSERT_TRUE(on.ok()) << on.status();
  EXPECT_TRUE(on->nfs.exportPerNode);
  EXPECT_NE(on->fingerprint, off->fingerprint) << "a different StorageClass";
}

TEST(Parameters, RejectsWithTheParameterNamed) {
  struct Case {
    std::map<std::string, std::string> params;
    std::string mentions;
  } cases[] = {
      {{}, "protocol"},
      {{{"protocol", "smb"}}, "protocol"},
      {{{"protocol", "iscsi"}, {"volblocksize", "3K"}}, "volblocksize"},
      {{{"protocol", "iscsi"}, {"sparse", "yes"}}, "sparse"},
      {{{"protocol", "iscsi"}, {"compression", "brotli"}}, "compression"},
      {{{"protocol", "iscsi"}, {"extentBlocksize", "8192"}}, "extentBlocksize"},
      {{{"protocol", "iscsi"}, {"extentRpm", "fast"}}, "extentRpm"},
      {{{"protocol", "iscsi"}, {"multipath", "yes"}}, "multipath"},
      {{{"protocol", "nfs"}, {"multipath", "true"}}, "multipath"},
      {{{"protocol", "iscsi"}, {"mkfsOptions", "-F"}}, "mkfsOptions"},
      {{{"protocol", "iscsi"}, {"mkfsOptions", "-m $(reboot)"}}, "mkfsOptions"},
      {{{"protocol", "iscsi"}, {"csi.storage.k8s.io/fstype", "btrfs"}}, "fstype"},
      {{{"protocol", "iscsi"}, {"nfsHosts", "a"}}, "nfsHosts"},
      {{{"protocol", "nfs"}, {"volblocksize", "16K"}}, "volblocksize"},
      {{{"protocol", "nfs"}, {"nfsVersion", "5"}}, "nfsVersion"},
      {{{"protocol", "nfs"}, {"nfsMapallUser", "a"}, {"nfsMaprootUser", "root"}}, "nfsMapallUser"},
      {{{"protocol", "nfs"}, {"nfsMapallGroup", "a"}}, "nfsMapallGroup"},
      {{{"protocol", "nfs"}, {"nfsExportPerNode", "yes"}}, "nfsExportPerNode"},
      {{{"protocol", "nfs"}, {"nfsExportPerNode", "true"}, {"nfsHosts", "10.0.0.1"}},
       "nfsExportPerNode"},
      {{{"protocol", "nfs"}, {"nfsExportPerNode", "true"}, {"nfsNetworks", "10.0.0.0/8"}},
       "nfsExportPerNode"},
      {{{"protocol", "iscsi"}, {"nfsExportPerNode", "true"}}, "nfsExportPerNode"},
      {{{"protocol", "iscsi"}, {"typo", "1"}}, "typo"},
      {{{"protocol", "iscsi"}, {"backend", "Bad Name"}}, "backend"},
  };
  for (const auto& c : cases) {
    auto p = parseVolumeParameters(c.params);
    ASSERT_FALSE(p.ok()) << c.mentions;
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument) << c.mentions;
    EXPECT_NE(p.status().message().find(c.mentions), std::string::npos) << p.status();
  }
}

TEST(Parameters, FingerprintIgnoresMetadataButNotSettings) {
  auto a = parseVolumeParameters({{"protocol", "iscsi"}, {"csi.storage.k8s.io/pvc/name", "a"}});
  auto b = parseVolumeParameters({{"protocol", "iscsi"}, {"csi.storage.k8s.io/pvc/name", "b"}});
  auto c = parseVolumeParameters({{"protocol", "iscsi"}, {"sparse", "false"}});
  EXPECT_EQ(a->fingerprint, b->fingerprint);
  EXPECT_NE(a->fingerprint, c->fingerprint);
}

TEST(Chap, AcceptsOneWayAndMutual) {
  auto none = parseChapSecrets({{"unrelated", "x"}});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->enabled());
  auto oneWay = parseChapSecrets({{"chapUser", "u"}, {"chapSecret", "123456789012"}});
  ASSERT_TRUE(oneWay.ok());
  EXPECT_TRUE(oneWay->enabled());
  EXPECT_FALSE(oneWay->mutual());
  auto mutual = parseChapSecrets({{"chapUser", "u"},
                                  {"chapSecret", "1234567890123456"},
                                  {"chapMutualUser", "t"},
                                  {"chapMutualSecret", "abcdefghijkl"}});
  ASSERT_TRUE(mutual.ok());
  EXPECT_TRUE(mutual->mutual());
}

TEST(Chap, RejectsBeforeAnyCallWithoutLeakingTheSecret) {
  const std::string secret = "s3cr3t-value";
  struct Case {
    std::map<std::string, std::string> secrets;
  } cases[] = {
      {{{"chapUser", "u"}}},
      {{{"chapSecret", "123456789012"}}},
      {{{"chapUser", "u"}, {"chapSecret", "short"}}},
      {{{"chapUser", "u"}, {"chapSecret", "12345678901234567"}}},
      {{{"chapUser", "u"}, {"chapSecret", "1234567890#1"}}},
      {{{"chapUser", "u"}, {"chapSecret", " 12345678901"}}},
      {{{"chapUser", "u"}, {"chapSecret", std::string("12345\n789012")}}},
      {{{"chapUser", "u"}, {"chapSecret", std::string("12345") + "\x7f" + "789012"}}},
      {{{"chapUser", "u\r"}, {"chapSecret", secret}}},
      {{{"chapUser", "u"},
        {"chapSecret", secret},
        {"chapMutualUser", "t"},
        {"chapMutualSecret", std::string("abcde\tghijkl")}}},
      {{{"chapMutualUser", "t"}, {"chapMutualSecret", secret}}},
      {{{"chapUser", "u"},
        {"chapSecret", secret},
        {"chapMutualUser", "t"},
        {"chapMutualSecret", secret}}},
      {{{"chapUser", "u"}, {"chapSecret", secret}, {"chapMutualUser", "t"}}},
  };
  for (const auto& c : cases) {
    auto parsed = parseChapSecrets(c.secrets);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
    for (const auto& [k, v] : c.secrets) {
      if (k.find("Secret") != std::string::npos && v.size() > 4) {
        EXPECT_EQ(parsed.status().message().find(v), std::string::npos) << "secret leaked";
      }
    }
  }
}

}  // namespace
}  // namespace tnascsi::controller::provision

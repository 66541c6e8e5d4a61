// Version string parsing (every format of reference §1.7) and the capability table (§9).
#include "controller/truenas/version.h"

#include <gtest/gtest.h>

namespace tnascsi::controller::truenas {
namespace {

struct VersionCase {
  const char* text;
  int major, minor, patch;
  const char* update;
  bool nightly;
};

class VersionParseTest : public ::testing::TestWithParam<VersionCase> {};

TEST_P(VersionParseTest, Parses) {
  const VersionCase& c = GetParam();
  StatusOr<Version> v = parseTrueNasVersion(c.text);
  ASSERT_TRUE(v.ok()) << c.text << ": " << v.status();
  EXPECT_EQ(v->major, c.major) << c.text;
  EXPECT_EQ(v->minor, c.minor) << c.text;
  EXPECT_EQ(v->patch, c.patch) << c.text;
  EXPECT_EQ(v->update, c.update) << c.text;
  EXPECT_EQ(v->nightly, c.nightly) << c.text;
  EXPECT_EQ(v->raw, c.text);
}

INSTANTIATE_TEST_SUITE_P(
    AllFormats, VersionParseTest,
    ::testing::Values(VersionCase{"TrueNAS-SCALE-24.10.2", 24, 10, 2, "", false},
                      VersionCase{"TrueNAS-SCALE-24.10.2.1", 24, 10, 2, "", false},
                      VersionCase{"TrueNAS-25.04.2", 25, 4, 2, "", false},
                      VersionCase{"TrueNAS-25.10.0", 25, 10, 0, "", false},
                      VersionCase{"TrueNAS-25.10-MASTER-20250601-123456", 25, 10, 0, "", true},
                      VersionCase{"TrueNAS-26.04.0-MASTER-20260101", 26, 4, 0, "", true},
                      VersionCase{"TrueNAS-13.0-U6.8", 13, 0, 0, "U6.8", false},
                      VersionCase{"TrueNAS-13.3-U1.2", 13, 3, 0, "U1.2", false},
                      VersionCase{"FreeNAS-11.3-U5", 11, 3, 0, "U5", false},
                      VersionCase{"25.04.2", 25, 4, 2, "", false},
                      VersionCase{"24.10.2", 24, 10, 2, "", false},
                      VersionCase{"TrueNAS-SCALE-22.12.4.2", 22, 12, 4, "", false},
                      VersionCase{"TrueNAS-26.0.0-BETA.1", 26, 0, 0, "", false},
                      VersionCase{" TrueNAS-25.04.0 ", 25, 4, 0, "", false}));

TEST(VersionParseTest, RejectsGarbage) {
  for (const char* bad : {"", "TrueNAS", "TrueNAS-SCALE-", "abc.def", "25", "TrueNAS-x.y"}) {
    EXPECT_EQ(parseTrueNasVersion(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

Capabilities capsOf(const char* version, ProductType product) {
  StatusOr<Version> v = parseTrueNasVersion(version);
  EXPECT_TRUE(v.ok());
  return capabilitiesFor(*v, product);
}

TEST(CapabilitiesTest, Core13) {
  Capabilities c = capsOf("TrueNAS-13.0-U6.8", ProductType::kCore);
  EXPECT_TRUE(c.nfsPathsList);
  EXPECT_FALSE(c.datasetUserProperties);
  EXPECT_FALSE(c.poolSnapshotNamespace);
  EXPECT_FALSE(c.targetDeleteExtents);
  EXPECT_FALSE(c.loginEx);
  EXPECT_FALSE(c.serviceControl);
  EXPECT_EQ(c.maxExtentNameLength, 0u);
  EXPECT_FALSE(c.snapshotDeleteRecursive);
  EXPECT_FALSE(c.cloneDatasetProperties);
  EXPECT_TRUE(c.nfsSecurityNeedsV4);
  EXPECT_FALSE(c.compressionOnAndInherit);
  EXPECT_EQ(c.rootGroupName, "wheel");
  EXPECT_FALSE(c.unknownNewerVersion);
}

TEST(CapabilitiesTest, CoreDetectedByVersionWhenProductUnknown) {
  EXPECT_TRUE(capsOf("TrueNAS-13.3-U1.2", ProductType::kUnknown).nfsPathsList);
}

TEST(CapabilitiesTest, Scale2410) {
  Capabilities c = capsOf("TrueNAS-SCALE-24.10.2", ProductType::kScale);
  EXPECT_FALSE(c.nfsPathsList);
  EXPECT_TRUE(c.datasetUserProperties);
  EXPECT_FALSE(c.poolSnapshotNamespace);
  EXPECT_FALSE(c.targetDeleteExtents);
  EXPECT_TRUE(c.targetDeleteRemovesOrphanInitiators);
  EXPECT_TRUE(c.portalDiscoveryAuth);
  EXPECT_FALSE(c.loginEx);
  EXPECT_FALSE(c.revokesKeyOnPlainTransport);
  EXPECT_EQ(c.maxDatasetNameLength, 200u);
  EXPECT_EQ(c.maxNfsHostsPerShare, 0u);
}

TEST(CapabilitiesTest, Fangtooth2504) {
  Capabilities c = capsOf("TrueNAS-25.04.2", ProductType::kCommunityEdition);
  EXPECT_FALSE(c.poolSnapshotNamespace);
  EXPECT_TRUE(c.targetDeleteExtents);
  EXPECT_FALSE(c.targetDeleteRemovesOrphanInitiators);
  EXPECT_TRUE(c.loginEx);
  EXPECT_TRUE(c.revokesKeyOnPlainTransport);
  EXPECT_FALSE(c.serviceControl);
  EXPECT_FALSE(c.legacyJobsOption);
  EXPECT_EQ(c.maxNfsHostsPerShare, 0u) << "25.04.2.6 reverted the 42-entry limiter";
  EXPECT_EQ(c.maxDatasetNameLength, 200u);
  EXPECT_FALSE(c.extentProductId);
}

TEST(CapabilitiesTest, Goldeye2510) {
  Capabilities c = capsOf("TrueNAS-25.10.0", ProductType::kCommunityEdition);
  EXPECT_TRUE(c.poolSnapshotNamespace);
  EXPECT_TRUE(c.serviceControl);
  EXPECT_TRUE(c.legacyJobsOption);
  EXPECT_TRUE(c.extentProductId);
  EXPECT_TRUE(c.datasetRename);
  EXPECT_EQ(c.maxDatasetNameLength, 255u);
  EXPECT_EQ(c.maxNfsHostsPerShare, 42u);
  EXPECT_EQ(c.rootGroupName, "root");
  EXPECT_FALSE(c.unknownNewerVersion);
  // Nightly of the same release behaves the same.
  EXPECT_TRUE(capsOf("TrueNAS-25.10-MASTER-20250601", ProductType::kScale).poolSnapshotNamespace);
}

TEST(CapabilitiesTest, EnterpriseSameAsCommunity) {
  Capabilities a = capsOf("TrueNAS-25.04.2", ProductType::kScaleEnterprise);
  EXPECT_TRUE(a.loginEx);
  EXPECT_FALSE(a.nfsPathsList);
}

TEST(CapabilitiesTest, UnknownNewerGetsNewestKnownBehaviourAndFlag) {
  Capabilities c = capsOf("TrueNAS-27.04.0", ProductType::kCommunityEdition);
  EXPECT_TRUE(c.unknownNewerVersion);
  EXPECT_TRUE(c.poolSnapshotNamespace);
  EXPECT_TRUE(c.serviceControl);
  EXPECT_TRUE(c.loginEx);
  Capabilities point = capsOf("TrueNAS-25.10.6", ProductType::kCommunityEdition);
  EXPECT_FALSE(point.unknownNewerVersion);
}

}  // namespace
}  // namespace tnascsi::controller::truenas

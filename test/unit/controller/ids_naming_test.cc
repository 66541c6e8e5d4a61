// Volume/snapshot ids (format, strict parsing, length) and naming (limits, hashing, determinism).
#include <gtest/gtest.h>

#include <set>

#include "controller/provision/naming.h"
#include "controller/provision/volume_id.h"

namespace tnascsi::controller::provision {
namespace {

TEST(VolumeId, RoundTripsAndNamesItsParts) {
  VolumeId id{"default", Protocol::kIscsi, "tank/k8s/pvc-1"};
  EXPECT_EQ(id.str(), "default/iscsi/tank/k8s/pvc-1");
  auto parsed = parseVolumeId(id.str());
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, id);
  VolumeId nfs{"b-2", Protocol::kNfs, "pool/a"};
  EXPECT_EQ(parseVolumeId(nfs.str()), nfs);
}

TEST(VolumeId, RejectsMalformedIds) {
  const char* bad[] = {"",
                       "default",
                       "default/iscsi",
                       "default/iscsi/",
                       "default/iscsi/tank",         // one component
                       "default/smb/tank/x",         // unknown protocol
                       "Default/iscsi/tank/x",       // upper-case backend
                       "-x/iscsi/tank/x",            // backend starts with '-'
                       "default/iscsi/tank//x",      // empty component
                       "default/iscsi/tank/x/",      // trailing slash
                       "default/iscsi/tank/x@snap",  // snapshot id is not a volume id
                       "default/iscsi/tank/x y",     // space
                       "some-fake-volume-id"};
  for (const char* id : bad) EXPECT_FALSE(parseVolumeId(id).has_value()) << id;
  EXPECT_FALSE(parseVolumeId("default/iscsi/tank/" + std::string(120, 'a')).has_value());
}

TEST(SnapshotId, RoundTripsAndRejectsMalformed) {
  SnapshotId id{{"default", Protocol::kNfs, "tank/k8s/v"}, "snap-1"};
  EXPECT_EQ(id.str(), "default/nfs/tank/k8s/v@snap-1");
  EXPECT_EQ(id.zfsName(), "tank/k8s/v@snap-1");
  EXPECT_EQ(parseSnapshotId(id.str()), id);
  for (const char* bad : {"default/nfs/tank/k8s/v", "default/nfs/tank/k8s/v@",
                          "default/nfs/tank/k8s/v@a@b", "x@y", "default/nfs/tank/k8s/v@a/b"}) {
    EXPECT_FALSE(parseSnapshotId(bad).has_value()) << bad;
  }
}

TEST(Naming, KeepsValidShortNamesVerbatim) {
  EXPECT_EQ(leafName("pvc-0a1b2c3d-1111-2222-3333-444455556666", 64),
            "pvc-0a1b2c3d-1111-2222-3333-444455556666");
}

TEST(Naming, HashesLossyOrLongNamesDeterministically) {
  struct Case {
    std::string name;
    size_t max;
  } cases[] = {{"PVC-Upper", 64},
               {"has_underscore", 64},
               {"-leading", 64},
               {std::string(100, 'a'), 64},
               {"pvc-0a1b2c3d-1111-2222-3333-444455556666", 30},
               {"___", 40}};
  for (const auto& c : cases) {
    std::string leaf = leafName(c.name, c.max);
    EXPECT_LE(leaf.size(), c.max) << c.name;
    EXPECT_EQ(leaf, leafName(c.name, c.max)) << "deterministic";
    EXPECT_EQ(leaf.substr(leaf.size() - 16), shortHash(c.name)) << c.name;
    for (char ch : leaf) {
      EXPECT_TRUE((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.')
          << leaf;
    }
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(leaf.front()))) << leaf;
  }
}

TEST(Naming, CaseAndTruncationNeverCollide) {
  std::set<std::string> leaves;
  for (const char* name : {"pvc-a", "PVC-A", "Pvc-a", "pvc_a"}) leaves.insert(leafName(name, 64));
  EXPECT_EQ(leaves.size(), 4u);
  std::string longA = std::string(80, 'x') + "a", longB = std::string(80, 'x') + "b";
  EXPECT_NE(leafName(longA, 64), leafName(longB, 64));
}

TEST(Naming, MaxLeafHonoursDatasetTargetExtentAndIdLimits) {
  NamingLimits limits;
  auto leaf = maxVolumeLeafLength("default", "tank/k8s", limits);
  ASSERT_TRUE(leaf.ok());
  EXPECT_LE(*leaf, 64u);
  // Volume id + "@" + minimum snapshot leaf fits 128.
  std::string id = "default/iscsi/tank/k8s/" + std::string(*leaf, 'a');
  EXPECT_LE(id.size() + 1 + kMinLeafLength, kMaxIdLength);
  // A long parent shrinks the leaf; a too-long parent is refused with the parent named.
  auto shorter = maxVolumeLeafLength("default", "tank/" + std::string(50, 'p'), limits);
  ASSERT_TRUE(shorter.ok());
  EXPECT_LT(*shorter, *leaf);
  auto refused = maxVolumeLeafLength("default", "tank/" + std::string(90, 'p'), limits);
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("tank/ppp"), std::string::npos);
  // The 200-character dataset limit binds for a deep parent with a short backend.
  limits.maxDatasetName = 60;
  auto bound = maxVolumeLeafLength("d", "tank/" + std::string(20, 'p'), limits);
  ASSERT_TRUE(bound.ok());
  EXPECT_EQ(*bound, 60u - 26u);
}

TEST(Naming, SnapshotLeavesKeepIdsWithin128Bytes) {
  std::string volumeId = "default/iscsi/tank/k8s/" + std::string(60, 'v');
  std::string leaf = snapshotLeafName("snapshot-0a1b2c3d-1111-2222-3333-444455556666", volumeId);
  EXPECT_LE(volumeId.size() + 1 + leaf.size(), kMaxIdLength);
  EXPECT_TRUE(parseSnapshotId(volumeId + "@" + leaf).has_value());
  EXPECT_EQ(snapshotLeafName("snap-1", "default/nfs/tank/k8s/x"), "snap-1");
}

}  // namespace
}  // namespace tnascsi::controller::provision

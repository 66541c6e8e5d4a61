// SysfsMultipathMaps over a fake sysfs tree: the map holding every path is found by holders and
// dm/uuid; a partial map is "not yet"; a non-multipath holder and paths split across maps are
// refused; findByUuid; removeMap refuses bad names before touching device-mapper.
#include "agent/block/sysfs_multipath_maps.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace tnascsi::agent {
namespace {
namespace fs = std::filesystem;

class SysfsMultipathTest : public ::testing::Test {
 protected:
  SysfsMultipathTest() {
    char tmpl[] = "/tmp/tnas-mpath-XXXXXX";
    root_ = ::mkdtemp(tmpl);
    fs::create_directories(root_ + "/block/sdb/holders");
    fs::create_directories(root_ + "/block/sdc/holders");
  }
  ~SysfsMultipathTest() override { fs::remove_all(root_); }

  void put(const std::string& rel, const std::string& text) {
    fs::create_directories(fs::path(root_ + "/" + rel).parent_path());
    std::ofstream(root_ + "/" + rel) << text << "\n";
  }
  void dm(const std::string& name, const std::string& uuid, const std::string& mapName,
          const std::vector<std::string>& slaves) {
    put("block/" + name + "/dm/uuid", uuid);
    put("block/" + name + "/dm/name", mapName);
    put("block/" + name + "/size", "1048576");
    fs::create_directories(root_ + "/block/" + name + "/slaves");
    for (const auto& s : slaves) {
      fs::create_directories(root_ + "/block/" + name + "/slaves/" + s);
      fs::create_directories(root_ + "/block/" + s + "/holders/" + name);
    }
  }

  std::string root_;
};

TEST_F(SysfsMultipathTest, FindsTheMapHoldingEveryPath) {
  dm("dm-2", "mpath-36001405abc", "36001405abc", {"sdb", "sdc"});
  SysfsMultipathMaps maps(root_, "/dev");
  auto m = maps.findHolding({"sdb", "sdc"});
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_TRUE(m->has_value());
  EXPECT_EQ((*m)->devnode, "/dev/dm-2");
  EXPECT_EQ((*m)->name, "36001405abc");
  EXPECT_EQ((*m)->slaves, (std::vector<std::string>{"sdb", "sdc"}));
  EXPECT_EQ((*m)->sizeBytes, 1048576u * 512);
  auto byUuid = maps.findByUuid("mpath-36001405abc");
  ASSERT_TRUE(byUuid.ok() && byUuid->has_value());
  EXPECT_EQ((*byUuid)->sysname, "dm-2");
  auto none = maps.findByUuid("mpath-other");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_EQ(maps.findByUuid("LVM-x").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(SysfsMultipathTest, AMapWithOnlySomePathsIsNotThereYet) {
  dm("dm-2", "mpath-36001405abc", "36001405abc", {"sdb"});
  SysfsMultipathMaps maps(root_, "/dev");
  auto m = maps.findHolding({"sdb", "sdc"});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_FALSE(m->has_value());
  auto waited = maps.waitForMap({"sdb", "sdc"}, std::chrono::milliseconds(0));
  EXPECT_EQ(waited.status().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST_F(SysfsMultipathTest, NoHolderMeansNoMap) {
  SysfsMultipathMaps maps(root_, "/dev");
  auto m = maps.findHolding({"sdb", "sdc"});
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->has_value());
}

TEST_F(SysfsMultipathTest, AHolderThatIsNotMultipathIsRefused) {
  dm("dm-0", "LVM-abcdef", "vg-lv", {"sdb"});
  SysfsMultipathMaps maps(root_, "/dev");
  auto m = maps.findHolding({"sdb", "sdc"});
  EXPECT_EQ(m.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(SysfsMultipathTest, PathsSplitAcrossMapsAreRefused) {
  dm("dm-1", "mpath-a", "a", {"sdb"});
  dm("dm-3", "mpath-b", "b", {"sdc"});
  SysfsMultipathMaps maps(root_, "/dev");
  EXPECT_EQ(maps.findHolding({"sdb", "sdc"}).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(SysfsMultipathTest, BadNamesAreRefusedBeforeDeviceMapper) {
  SysfsMultipathMaps maps(root_, "/dev");
  EXPECT_EQ(maps.findHolding({"../sdb"}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(maps.removeMap("").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(maps.removeMap("../control").code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tnascsi::agent

// Event handlers (events.h) on temp directories: zvol files, resize reaching live backstores,
// snapshots/clones/rollback copies, dataset directories, /etc/exports rendering.
#include "test/guest/backing/events.h"

#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "test/guest/backing/configfs_ops.h"
#include "test/guest/backing/lio_plan.h"
#include "test/guest/backing/tests/temp_dir.h"

namespace tnascsi::sim {
namespace {

namespace fs = std::filesystem;

class EventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_.path() + "/configfs");
    fs::create_directories(dir_.path() + "/mnt");
    opt_.configfsRoot = dir_.path() + "/configfs";
    opt_.configfsKind = TreeKind::kStandIn;
    opt_.exportsFile = dir_.path() + "/exports";
    opt_.exportfsCommand.clear();
    opt_.mountRoot = dir_.path() + "/mnt";
  }
  Status send(const std::string& json) {
    auto obj = Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
    obj->set("root", dir_.path() + "/root");
    return handleEvent(*obj, opt_);
  }
  std::string read(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  testing::TempDir dir_;
  BackingOptions opt_;
};

TEST_F(EventsTest, ZvolLifecycleAndResizeReachesTheBackstore) {
  const std::string file = dir_.path() + "/root/zvol/tank/k8s/pvc-1";
  ASSERT_TRUE(send(R"({"event":"zvol.create","name":"tank/k8s/pvc-1","volsize":1048576})").ok());
  ASSERT_TRUE(send(R"({"event":"zvol.create","name":"tank/k8s/pvc-1","volsize":1048576})").ok());
  EXPECT_EQ(fs::file_size(file), 1048576u);
  // A live backstore on that file (stand-in tree).
  LioState want;
  want.backstores["pvc-1"] = {file, 1048576, "s1", ""};
  ASSERT_TRUE(applyOps(opt_.configfsRoot, planLio(LioState{}, want), TreeKind::kStandIn).ok());
  ASSERT_TRUE(send(R"({"event":"zvol.resize","name":"tank/k8s/pvc-1","volsize":2097152})").ok());
  EXPECT_EQ(fs::file_size(file), 2097152u);
  EXPECT_EQ(read(opt_.configfsRoot + "/" + backstorePath("pvc-1") + "/control"),
            "fd_dev_size=2097152");
  ASSERT_TRUE(send(R"({"event":"zvol.delete","name":"tank/k8s/pvc-1"})").ok());
  ASSERT_TRUE(send(R"({"event":"zvol.delete","name":"tank/k8s/pvc-1"})").ok());
  EXPECT_FALSE(fs::exists(file));
  EXPECT_FALSE(send(R"({"event":"zvol.resize","name":"tank/k8s/pvc-1","volsize":1})").ok());
}

TEST_F(EventsTest, VolumeSnapshotCloneAndRollbackCopyData) {
  ASSERT_TRUE(send(R"({"event":"zvol.create","name":"tank/v","volsize":65536})").ok());
  const std::string live = dir_.path() + "/root/zvol/tank/v";
  { std::ofstream(live, std::ios::in | std::ios::out) << "first"; }
  ASSERT_TRUE(
      send(
          R"({"event":"snapshot.create","snapshot":"tank/v@s1","dataset":"tank/v","type":"VOLUME"})")
          .ok());
  { std::ofstream(live, std::ios::in | std::ios::out) << "SECON"; }
  ASSERT_TRUE(
      send(R"({"event":"snapshot.clone","snapshot":"tank/v@s1","name":"tank/c","type":"VOLUME"})")
          .ok());
  EXPECT_EQ(read(dir_.path() + "/root/zvol/tank/c").substr(0, 5), "first");
  struct stat before {};
  ::stat(live.c_str(), &before);
  ASSERT_TRUE(
      send(
          R"({"event":"snapshot.rollback","snapshot":"tank/v@s1","dataset":"tank/v","type":"VOLUME"})")
          .ok());
  EXPECT_EQ(read(live).substr(0, 5), "first");
  struct stat after {};
  ::stat(live.c_str(), &after);
  EXPECT_EQ(before.st_ino, after.st_ino);  // rewritten in place: a live LUN keeps its file
  EXPECT_EQ(fs::file_size(live), 65536u);
  ASSERT_TRUE(
      send(
          R"({"event":"snapshot.delete","snapshot":"tank/v@s1","dataset":"tank/v","type":"VOLUME"})")
          .ok());
  EXPECT_FALSE(fs::exists(dir_.path() + "/root/snap/tank/v@s1"));
}

TEST_F(EventsTest, DatasetDirectoriesAndFilesystemSnapshots) {
  const std::string mp = opt_.mountRoot + "/tank/nfs-1";
  ASSERT_TRUE(send(R"({"event":"dataset.create","name":"tank/nfs-1","mountpoint":")" + mp +
                   R"(","refquota":0})")
                  .ok());
  EXPECT_TRUE(fs::is_directory(mp));
  { std::ofstream(mp + "/a.txt") << "hello"; }
  ASSERT_TRUE(
      send(
          R"({"event":"snapshot.create","snapshot":"tank/nfs-1@s","dataset":"tank/nfs-1","type":"FILESYSTEM"})")
          .ok());
  const std::string clone = opt_.mountRoot + "/tank/clone";
  ASSERT_TRUE(
      send(
          R"({"event":"snapshot.clone","snapshot":"tank/nfs-1@s","name":"tank/clone","type":"FILESYSTEM","mountpoint":")" +
          clone + R"("})")
          .ok());
  EXPECT_EQ(read(clone + "/a.txt"), "hello");
  ASSERT_TRUE(
      send(R"({"event":"dataset.delete","name":"tank/nfs-1","mountpoint":")" + mp + R"("})").ok());
  EXPECT_FALSE(fs::exists(mp));
  EXPECT_FALSE(send(R"({"event":"dataset.create","name":"x","mountpoint":"/etc/x"})").ok());
  EXPECT_FALSE(send(R"({"event":"zvol.create","name":"../escape","volsize":1})").ok());
  EXPECT_FALSE(send(R"({"event":"no.such"})").ok());
}

TEST_F(EventsTest, PathSetpermSetsModeAndOwnerOfTheDatasetRoot) {
  const std::string mp = opt_.mountRoot + "/tank/nfs-2";
  ASSERT_TRUE(send(R"({"event":"dataset.create","name":"tank/nfs-2","mountpoint":")" + mp +
                   R"(","refquota":0})")
                  .ok());
  // Our own ids, so the test needs no privileges.
  const std::string ids =
      R"(,"uid":)" + std::to_string(::getuid()) + R"(,"gid":)" + std::to_string(::getgid()) + "}";
  for (int i = 0; i < 2; ++i) {  // idempotent
    ASSERT_TRUE(send(R"({"event":"path.setperm","name":"tank/nfs-2","mountpoint":")" + mp +
                     R"(","mode":488)" + ids)
                    .ok());
    struct stat st {};
    ASSERT_EQ(::stat(mp.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0750u);
    EXPECT_EQ(st.st_uid, ::getuid());
  }
  EXPECT_FALSE(
      send(R"({"event":"path.setperm","name":"x","mountpoint":"/etc","mode":511)" + ids).ok());
}

TEST_F(EventsTest, NfsConfigWritesExports) {
  ASSERT_TRUE(send(R"({"event":"nfs.config","config":{"shares":[
      {"id":1,"path":"/mnt/tank/a","hosts":[],"networks":[],"ro":false,"maproot_user":"root",
       "maproot_group":"root","mapall_user":null,"mapall_group":null,"security":[],"enabled":true},
      {"id":2,"path":"/mnt/tank/b","hosts":["127.0.0.1"],"networks":["10.0.0.0/8"],"ro":true,
       "maproot_user":null,"mapall_user":null,"enabled":true},
      {"id":3,"path":"/mnt/tank/c","hosts":[],"networks":[],"enabled":false}]}})")
                  .ok());
  std::string text = read(opt_.exportsFile);
  EXPECT_NE(text.find("/mnt/tank/a *(rw,sync,no_subtree_check,insecure,no_root_squash)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("/mnt/tank/b 127.0.0.1(ro,"), std::string::npos) << text;
  EXPECT_NE(text.find(" 10.0.0.0/8(ro,"), std::string::npos) << text;
  EXPECT_EQ(text.find("/mnt/tank/c"), std::string::npos) << text;
}

TEST_F(EventsTest, RunCommandReportsTheFirstStderrLine) {
  EXPECT_TRUE(runCommand({"true"}).ok());
  auto st = runCommand({"sh", "-c", "echo first >&2; echo second >&2; exit 3"});
  EXPECT_EQ(st.code(), StatusCode::kInternal);
  EXPECT_NE(st.message().find("first"), std::string::npos);
  EXPECT_EQ(st.message().find("second"), std::string::npos);
}

}  // namespace
}  // namespace tnascsi::sim

// Conformance: filesystem.setperm / filesystem.chown (jobs) and filesystem.stat on every
// personality — the mode and owner land on the dataset's root directory, the path rules, the
// non-trivial ACL conflict, the argument checks per schema (legacy @accepts on 13.0/24.10,
// pydantic on 25.x) and the permissions clones and rollbacks take from their snapshot. Citations
// are in test/truenas-sim/model/filesystem.cc.
#include <cerrno>
#include <chrono>
#include <thread>

#include "test/truenas-sim/tests/conformance.h"

namespace tnascsi::sim::testing {
namespace {

// How a job ended: immediate refusals (argument contract) and job failures alike.
struct JobEnd {
  bool ok = false;
  bool validation = false;
  int errnum = 0;
  std::string error;
  Json extra;  // validation items [[attr, msg, errno], ...]
  bool hasItem(const std::string& attr, const std::string& msg) const {
    for (const Json& item : extra.asArray()) {
      if (item.at(0).asString() == attr && item.at(1).asString().find(msg) != std::string::npos) {
        return true;
      }
    }
    return false;
  }
  std::string describe() const { return error + " " + extra.dump(); }
};

class FilesystemTest : public ConformanceTest {
 protected:
  JobEnd run(const std::string& method, const Json& payload) {
    JobEnd end;
    Reply r = client_->call(method, arr({payload}));
    if (!r.ok || !r.result.isInt()) {  // refused before the job, or 25.10 waited for it
      end.ok = r.ok;
      end.errnum = r.errnum;
      end.error = r.reason;
      end.extra = r.extra;
      end.validation =
          !r.ok && (r.code == -32602 || r.error.value("type").asString() == "VALIDATION");
      return end;
    }
    for (int i = 0; i < 500; ++i) {
      Json j = ok("core.get_jobs", arr({arr({arr({"id", "=", r.result})})})).at(0);
      const std::string state = j.value("state").asString();
      if (state == "SUCCESS" || state == "FAILED") {
        EXPECT_EQ(j.value("method").asString(), method);
        end.ok = state == "SUCCESS";
        end.error = j.value("error").asString();
        end.validation = j.value("exc_info").value("type").asString() == "VALIDATION";
        end.errnum = static_cast<int>(j.value("exc_info").value("errno").asInt());
        end.extra = j.value("exc_info").value("extra");
        return end;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ADD_FAILURE() << "job did not end";
    return end;
  }
  Json stat(const std::string& path) { return ok("filesystem.stat", arr({path})); }
  void expectPerm(const std::string& path, int64_t mode, int64_t uid, int64_t gid) {
    Json st = stat(path);
    EXPECT_EQ(st.value("mode").asInt(), 040000 | mode) << st.dump();
    EXPECT_EQ(st.value("uid").asInt(), uid) << st.dump();
    EXPECT_EQ(st.value("gid").asInt(), gid) << st.dump();
  }
};

TEST_P(FilesystemTest, SetpermLandsOnTheDatasetRoot) {
  createFs("tank/k8s");
  createFs("tank/k8s/v1");
  expectPerm("/mnt/tank/k8s/v1", 0755, 0, 0);
  EXPECT_FALSE(stat("/mnt/tank/k8s/v1").value("acl").asBool());
  JobEnd e =
      run("filesystem.setperm",
          obj({{"path", "/mnt/tank/k8s/v1"}, {"mode", "0775"}, {"uid", 1000}, {"gid", 2000}}));
  ASSERT_TRUE(e.ok) << e.describe();
  expectPerm("/mnt/tank/k8s/v1", 0775, 1000, 2000);
  // Without uid/gid the owner stays; the same call again changes nothing (idempotent).
  for (int i = 0; i < 2; ++i) {
    e = run("filesystem.setperm", obj({{"path", "/mnt/tank/k8s/v1"}, {"mode", "770"}}));
    ASSERT_TRUE(e.ok) << e.describe();
    expectPerm("/mnt/tank/k8s/v1", 0770, 1000, 2000);
  }
  e = run("filesystem.chown", obj({{"path", "/mnt/tank/k8s/v1"}, {"gid", 3000}}));
  ASSERT_TRUE(e.ok) << e.describe();
  expectPerm("/mnt/tank/k8s/v1", 0770, 1000, 3000);
  // The parent is untouched.
  expectPerm("/mnt/tank/k8s", 0755, 0, 0);
}

TEST_P(FilesystemTest, PathRules) {
  createFs("tank/a");
  createZvol("tank/z", kGiB, obj({{"sparse", true}}));
  const Json mode = "0770";
  JobEnd e = run("filesystem.setperm", obj({{"path", "/mnt/tank"}, {"mode", mode}}));
  EXPECT_FALSE(e.ok);
  if (core()) {
    EXPECT_EQ(e.errnum, EPERM) << e.describe();
    EXPECT_NE(e.error.find("Changing permissions of root level dataset is not permitted"),
              std::string::npos)
        << e.describe();
  } else {
    EXPECT_TRUE(e.hasItem("filesystem.setperm.path",
                          "The specified path is a ZFS pool mountpoint \"(/mnt/tank)\""))
        << e.describe();
  }
  e = run("filesystem.chown", obj({{"path", "/mnt"}, {"uid", 1}}));
  EXPECT_FALSE(e.ok);
  if (core()) {
    EXPECT_EQ(e.errnum, EPERM) << e.describe();
  } else {
    EXPECT_TRUE(e.hasItem("filesystem.chown.path", "not beneath the directory /mnt"))
        << e.describe();
  }
  // A zvol has no directory; a missing path is ENOENT.
  for (const char* path : {"/mnt/tank/z", "/mnt/tank/missing"}) {
    e = run("filesystem.setperm", obj({{"path", path}, {"mode", mode}}));
    EXPECT_FALSE(e.ok);
    EXPECT_EQ(e.errnum, ENOENT) << e.describe();
    EXPECT_NE(e.error.find(core() ? "Path not found" : "not found"), std::string::npos);
  }
  Reply r = client_->call("filesystem.stat", arr({"/mnt/tank/z"}));
  expectCallError(r, ENOENT, "Path /mnt/tank/z not found");
  if (!core()) {
    e = run("filesystem.setperm", obj({{"path", "tank/a"}, {"mode", mode}}));
    EXPECT_TRUE(e.hasItem("f{schema}.path", "Must be an absolute path")) << e.describe();
  }
}

TEST_P(FilesystemTest, NonTrivialAclNeedsStripacl) {
  createFs("tank/acl");
  ASSERT_TRUE(server_->model().setAclForTest("tank/acl", true).ok());
  createFs("tank/acl/child");  // inherits the parent's ACL
  EXPECT_TRUE(stat("/mnt/tank/acl/child").value("acl").asBool());
  JobEnd e = run("filesystem.setperm", obj({{"path", "/mnt/tank/acl/child"}, {"mode", "0700"}}));
  EXPECT_FALSE(e.ok);
  const std::string msg =
      "Non-trivial ACL present on [/mnt/tank/acl/child]. Option \"stripacl\" "
      "required to change permission.";
  if (core()) {
    EXPECT_EQ(e.errnum, EINVAL);
    EXPECT_NE(e.error.find(msg), std::string::npos) << e.describe();
  } else {
    EXPECT_TRUE(e.hasItem("filesystem.setperm.mode", msg)) << e.describe();
  }
  expectPerm("/mnt/tank/acl/child", 0755, 0, 0);
  // chown does not care about ACLs.
  e = run("filesystem.chown", obj({{"path", "/mnt/tank/acl/child"}, {"uid", 7}}));
  EXPECT_TRUE(e.ok) << e.describe();
  e = run("filesystem.setperm", obj({{"path", "/mnt/tank/acl/child"},
                                     {"mode", "0700"},
                                     {"options", obj({{"stripacl", true}})}}));
  ASSERT_TRUE(e.ok) << e.describe();
  expectPerm("/mnt/tank/acl/child", 0700, 7, 0);
  EXPECT_FALSE(stat("/mnt/tank/acl/child").value("acl").asBool());
}

TEST_P(FilesystemTest, ArgumentChecksPerSchema) {
  createFs("tank/m");
  const std::string setArg = scale25() ? "filesystem_setperm" : "filesystem_permission";
  JobEnd e = run("filesystem.setperm", obj({{"path", "/mnt/tank/m"}, {"mode", "1777"}}));
  EXPECT_FALSE(e.ok);
  if (!core()) {
    EXPECT_TRUE(e.hasItem(setArg + ".mode", "Please supply a value between 000 and 777"))
        << e.describe();
  }
  e = run("filesystem.setperm", obj({{"path", "/mnt/tank/m"}, {"mode", "000"}}));
  if (core()) {
    EXPECT_TRUE(e.ok) << "CORE applies no mode 0 (`if mode:`): " << e.describe();
    expectPerm("/mnt/tank/m", 0755, 0, 0);
  } else {
    EXPECT_TRUE(e.hasItem("filesystem.setperm.mode", "Empty permissions are not permitted."))
        << e.describe();
  }
  e = run("filesystem.chown", obj({{"path", "/mnt/tank/m"}}));
  if (core()) {
    EXPECT_TRUE(e.ok) << e.describe();
  } else if (scale25()) {
    EXPECT_TRUE(e.hasItem("filesystem_chown", "At least one of uid, gid, user, and group"))
        << e.describe();
  } else {
    EXPECT_TRUE(e.hasItem("filesystem.chown.uid", "Please specify either user or group to change."))
        << e.describe();
  }
  e = run("filesystem.setperm", obj({{"path", "/mnt/tank/m"}, {"uid", 5}}));
  if (scale25()) {
    EXPECT_TRUE(e.hasItem("filesystem_setperm", "Payload must either explicitly specify"))
        << e.describe();
  } else {
    EXPECT_TRUE(e.ok) << "legacy setperm without mode only chowns: " << e.describe();
    expectPerm("/mnt/tank/m", 0755, 5, 0);
  }
  if (!core()) {
    e = run("filesystem.chown", obj({{"path", "/mnt/tank/m"}, {"uid", int64_t{1} << 31}}));
    EXPECT_FALSE(e.ok);
    EXPECT_TRUE(e.hasItem(
        scale25() ? "filesystem_chown.uid" : "filesystem_ownership.uid",
        scale25() ? "less than or equal to 2147483647" : "Should be between -1 and 2147483647"))
        << e.describe();
  }
  // Names exist from 25.04 on; before, `user` is an unknown field.
  Reply r = client_->call("filesystem.chown",
                          arr({obj({{"path", "/mnt/tank/m"}, {"user", "www-data"}})}));
  if (scale25()) {
    ASSERT_TRUE(r.ok) << r.describe();
    e = run("filesystem.chown", obj({{"path", "/mnt/tank/m"}, {"group", "nosuch"}}));
    EXPECT_TRUE(e.hasItem("filesystem.chown.group", "nosuch: group does not exist"))
        << e.describe();
  } else {
    expectValidation(r, "filesystem_ownership.user", "Field was not expected");
  }
}

TEST_P(FilesystemTest, ReadonlyDatasetRefusedFrom2504) {
  createFs("tank/ro", obj({{"readonly", "ON"}}));
  JobEnd e = run("filesystem.setperm", obj({{"path", "/mnt/tank/ro"}, {"mode", "0777"}}));
  if (scale25()) {
    EXPECT_TRUE(e.hasItem("filesystem.setperm.path",
                          "/mnt/tank/ro: dataset underlying path has the readonly property "
                          "enabled."))
        << e.describe();
  } else {
    EXPECT_TRUE(e.ok) << e.describe();
  }
}

TEST_P(FilesystemTest, ClonesAndRollbacksTakeTheSnapshotsPermissions) {
  createFs("tank/src");
  ASSERT_TRUE(run("filesystem.setperm", obj({{"path", "/mnt/tank/src"}, {"mode", "0700"}})).ok);
  ok(snapNs() + ".create", arr({obj({{"dataset", "tank/src"}, {"name", "s1"}})}));
  ASSERT_TRUE(run("filesystem.setperm", obj({{"path", "/mnt/tank/src"}, {"mode", "0777"}})).ok);
  ok(snapNs() + ".clone", arr({obj({{"snapshot", "tank/src@s1"}, {"dataset_dst", "tank/cl"}})}));
  expectPerm("/mnt/tank/cl", 0700, 0, 0);
  ok(snapNs() + ".rollback", arr({"tank/src@s1", obj({})}));
  expectPerm("/mnt/tank/src", 0700, 0, 0);
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Personalities, FilesystemTest, ::testing::ValuesIn(allPersonalities()),
                         personalityTestName);

}  // namespace tnascsi::sim::testing

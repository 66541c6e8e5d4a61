// TrueNasClient::setPathPermissions / setPathOwner against FakeRpcTransport: the request shape
// (one object; mode as an octal string; unset ids omitted), the job wait, and how refusals map.
#include "test/unit/truenas/client_fixture.h"

namespace tnascsi::controller::truenas {
namespace {

TEST(ClientFilesystemTest, SetpermIsAJobWithAnOctalStringMode) {
  for (const Release* r : {&k1300, &k2410, &k2504, &k2510}) {
    Fixture f(*r);
    f.transport.reply("filesystem.setperm", "11");
    f.transport.reply("core.get_jobs", R"([{"id":11,"state":"RUNNING"}])");
    f.transport.reply("core.get_jobs", R"([{"id":11,"state":"SUCCESS","result":null}])");
    PathPermissionsSpec spec;
    spec.path = "/mnt/tank/k8s/pvc-1";
    spec.mode = 0770;
    spec.uid = 1000;
    Status s = f.client.setPathPermissions(spec);
    ASSERT_TRUE(s.ok()) << r->version << ": " << s;
    auto calls = f.transport.domainCalls();
    ASSERT_EQ(calls.size(), 3u) << r->version;
    EXPECT_EQ(calls[0].method, "filesystem.setperm");
    const std::string& p = calls[0].params;
    for (const char* want : {R"("path":"/mnt/tank/k8s/pvc-1")", R"("mode":"770")", R"("uid":1000)",
                             R"("stripacl":false)", R"("recursive":false)"}) {
      EXPECT_NE(p.find(want), std::string::npos) << want << " in " << p;
    }
    EXPECT_EQ(p.find("gid"), std::string::npos) << "an unset gid is not sent: " << p;
  }
}

TEST(ClientFilesystemTest, ChownSendsOnlyTheIdsItChanges) {
  Fixture f(k2504);
  f.transport.reply("filesystem.chown", "12");
  f.transport.reply("core.get_jobs", R"([{"id":12,"state":"SUCCESS","result":null}])");
  ASSERT_TRUE(f.client.setPathOwner({"/mnt/tank/k8s/pvc-2", std::nullopt, int64_t{0}}).ok());
  auto calls = f.transport.domainCalls();
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls[0].method, "filesystem.chown");
  EXPECT_NE(calls[0].params.find(R"("gid":0)"), std::string::npos) << calls[0].params;
  EXPECT_EQ(calls[0].params.find("uid"), std::string::npos) << calls[0].params;
  EXPECT_EQ(f.client.setPathOwner({"/mnt/x", std::nullopt, std::nullopt}).code(),
            StatusCode::kInvalidArgument);
  PathPermissionsSpec bad;
  bad.path = "/mnt/x";
  bad.mode = 01777;
  EXPECT_EQ(f.client.setPathPermissions(bad).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(f.transport.domainCalls().size(), 2u) << "refused without a call";
}

TEST(ClientFilesystemTest, RefusalsMapToInvalidArgumentAndNotFound) {
  PathPermissionsSpec spec;
  spec.path = "/mnt/tank";
  spec.mode = 0775;
  // CORE's path rules are CallError EPERM: about the path, not the API key.
  Fixture core(k1300);
  core.transport.reply("filesystem.setperm", "3");
  core.transport.reply(
      "core.get_jobs",
      R"([{"id":3,"state":"FAILED","error":"[EPERM] Changing permissions of root level dataset is not permitted: /mnt/tank",
          "exc_info":{"type":"CallError","errno":1}}])");
  Status s = core.client.setPathPermissions(spec);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s;
  // SCALE: validation errors of the job.
  Fixture scale(k2410);
  scale.transport.reply("filesystem.setperm", "4");
  scale.transport.reply(
      "core.get_jobs",
      R"([{"id":4,"state":"FAILED","error":"[EINVAL] filesystem.setperm.mode: Non-trivial ACL present",
          "exc_info":{"type":"VALIDATION","errno":22,
          "extra":[["filesystem.setperm.mode","Non-trivial ACL present on [/mnt/tank/a]. Option \"stripacl\" required to change permission.",22]]}}])");
  s = scale.client.setPathPermissions(spec);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find("stripacl"), std::string::npos) << s;
  scale.transport.reply("filesystem.chown", "5");
  scale.transport.reply(
      "core.get_jobs",
      R"([{"id":5,"state":"FAILED","error":"[ENOENT] Path /mnt/tank/gone not found",
          "exc_info":{"type":"CallError","errno":2}}])");
  EXPECT_EQ(scale.client.setPathOwner({"/mnt/tank/gone", int64_t{1}, std::nullopt}).code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace tnascsi::controller::truenas

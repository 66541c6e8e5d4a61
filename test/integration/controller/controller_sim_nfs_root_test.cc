// The controller against the simulator on every personality with the NFS root-directory
// parameters (nfsRootMode, nfsRootUid, nfsRootGid, nfsRootStripAcl): the mode and owner really land
// on the new dataset's root (filesystem.stat) before its share exists, owner-only classes use
// filesystem.chown, a retried CreateVolume converges, an ACL inherited from the parent is refused
// clearly (and stripped when asked), volumes from a snapshot keep the source's root, and bad
// values are refused before anything is made.
#include <algorithm>

#include "test/integration/controller/sim_fixture.h"

namespace tnascsi::testing {
namespace {

using sim::Json;

class ControllerSimNfsRoot : public ControllerSimTest {
 protected:
  csi::v1::CreateVolumeRequest request(const std::string& name,
                                       const std::map<std::string, std::string>& params) {
    auto req = createRequest(name, "nfs");
    for (const auto& [k, v] : params) (*req.mutable_parameters())[k] = v;
    return req;
  }
  Json stat(const std::string& leaf) {
    Json args = Json::array();
    args.push("/mnt/tank/k8s/" + leaf);
    return sim_->call("filesystem.stat", args);
  }
  int64_t modeOf(const std::string& leaf) { return stat(leaf).value("mode").asInt() & 07777; }
  int64_t count(const std::string& method) {
    auto calls = sim_->callsByMethod();
    auto it = calls.find(method);
    return it == calls.end() ? 0 : it->second;
  }
};

TEST_P(ControllerSimNfsRoot, ModeAndOwnerLandBeforeTheShareExists) {
  sim_->server().calls().keepRequests(true);
  csi::v1::CreateVolumeResponse resp;
  grpc::Status s =
      create(request("pvc-root",
                     {{"nfsRootMode", "0775"}, {"nfsRootUid", "1000"}, {"nfsRootGid", "2000"}}),
             &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  Json st = stat("pvc-root");
  EXPECT_EQ(st.value("mode").asInt(), 040775) << st.dump();
  EXPECT_EQ(st.value("uid").asInt(), 1000);
  EXPECT_EQ(st.value("gid").asInt(), 2000);
  // One setperm job (owner in the same call), sent before the share was created.
  std::vector<std::string> order;
  for (const auto& [method, params] : sim_->server().calls().requests()) {
    if (method == "filesystem.setperm" || method == "sharing.nfs.create") order.push_back(method);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"filesystem.setperm", "sharing.nfs.create"}));
  EXPECT_EQ(count("filesystem.chown"), 0);
  // A repeated CreateVolume finds the share and changes nothing.
  sim_->resetCalls();
  s = create(request("pvc-root",
                     {{"nfsRootMode", "0775"}, {"nfsRootUid", "1000"}, {"nfsRootGid", "2000"}}),
             &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(count("filesystem.setperm"), 0) << calls();
  // Without the parameters the root stays as TrueNAS makes it.
  createOk("pvc-plain", "nfs");
  EXPECT_EQ(modeOf("pvc-plain"), 0755);
  EXPECT_EQ(stat("pvc-plain").value("uid").asInt(), 0);
}

TEST_P(ControllerSimNfsRoot, OwnerOnlyUsesChown) {
  csi::v1::CreateVolumeResponse resp;
  grpc::Status s = create(request("pvc-own", {{"nfsRootGid", "3000"}}), &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(count("filesystem.chown"), 1) << calls();
  EXPECT_EQ(count("filesystem.setperm"), 0) << calls();
  EXPECT_EQ(modeOf("pvc-own"), 0755);
  EXPECT_EQ(stat("pvc-own").value("gid").asInt(), 3000);
  EXPECT_EQ(stat("pvc-own").value("uid").asInt(), 0);
}

TEST_P(ControllerSimNfsRoot, RetryAfterAFailedShareConverges) {
  Json fault = Json::object();
  Json fail = Json::object();
  fail.set("method", "sharing.nfs.create");
  fail.set("code", "CallError");
  fail.set("errno", 14);
  fail.set("message", "injected");
  fail.set("times", 1);
  fault.set("fail", fail);
  ASSERT_TRUE(sim_->server().faults().set(fault).ok());
  const auto req = request("pvc-retry", {{"nfsRootMode", "0770"}, {"nfsRootUid", "5"}});
  csi::v1::CreateVolumeResponse resp;
  grpc::Status s = create(req, &resp);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(modeOf("pvc-retry"), 0770) << "applied before the share";
  s = create(req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(modeOf("pvc-retry"), 0770);
  EXPECT_EQ(stat("pvc-retry").value("uid").asInt(), 5);
  EXPECT_EQ(count("filesystem.setperm"), 2) << "applied again on the retry: " << calls();
  EXPECT_EQ(sim_->count("nfs_shares"), 1u);
}

TEST_P(ControllerSimNfsRoot, InheritedAclIsRefusedUnlessStripped) {
  ASSERT_TRUE(sim_->server().model().setAclForTest("tank/k8s", true).ok());
  csi::v1::CreateVolumeResponse resp;
  grpc::Status s = create(request("pvc-acl", {{"nfsRootMode", "0770"}}), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_NE(s.error_message().find("Non-trivial ACL"), std::string::npos) << s.error_message();
  EXPECT_NE(s.error_message().find("nfsRootStripAcl"), std::string::npos) << s.error_message();
  EXPECT_EQ(sim_->leftovers(), "") << "the new dataset is rolled back";
  s = create(request("pvc-acl", {{"nfsRootMode", "0770"}, {"nfsRootStripAcl", "true"}}), &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(modeOf("pvc-acl"), 0770);
  EXPECT_FALSE(stat("pvc-acl").value("acl").asBool());
}

TEST_P(ControllerSimNfsRoot, VolumesFromASnapshotKeepTheSourcesRoot) {
  csi::v1::CreateVolumeResponse src;
  ASSERT_TRUE(create(request("pvc-src", {{"nfsRootMode", "0700"}}), &src).ok());
  csi::v1::CreateSnapshotResponse snap;
  grpc::Status s = snapshot("snap-src", src.volume().volume_id(), &snap);
  ASSERT_TRUE(s.ok()) << s.error_message();
  sim_->resetCalls();
  auto req = request("pvc-restore", {{"nfsRootMode", "0777"}});
  req.mutable_volume_content_source()->mutable_snapshot()->set_snapshot_id(
      snap.snapshot().snapshot_id());
  csi::v1::CreateVolumeResponse resp;
  s = create(req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(modeOf("pvc-restore"), 0700) << "the snapshot's root, not the class's mode";
  EXPECT_EQ(count("filesystem.setperm"), 0) << calls();
}

TEST_P(ControllerSimNfsRoot, BadValuesAreRefusedBeforeAnythingIsMade) {
  struct Case {
    std::string protocol;
    std::map<std::string, std::string> params;
    std::string mentions;
  } cases[] = {
      {"nfs", {{"nfsRootMode", "1777"}}, "nfsRootMode"},
      {"nfs", {{"nfsRootMode", "000"}}, "nfsRootMode"},
      {"nfs", {{"nfsRootMode", "u+rwx"}}, "nfsRootMode"},
      {"nfs", {{"nfsRootUid", "-1"}}, "nfsRootUid"},
      {"nfs", {{"nfsRootGid", "2147483648"}}, "nfsRootGid"},
      {"nfs", {{"nfsRootStripAcl", "true"}}, "nfsRootStripAcl"},
      {"iscsi", {{"nfsRootMode", "0775"}}, "nfsRootMode"},
  };
  sim_->resetCalls();
  for (const auto& c : cases) {
    auto req = createRequest("pvc-bad", c.protocol);
    for (const auto& [k, v] : c.params) (*req.mutable_parameters())[k] = v;
    csi::v1::CreateVolumeResponse resp;
    grpc::Status s = create(req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.mentions;
    EXPECT_NE(s.error_message().find(c.mentions), std::string::npos) << s.error_message();
  }
  auto calls = sim_->callsByMethod();
  EXPECT_TRUE(std::none_of(calls.begin(), calls.end(), [](const auto& kv) {
    return kv.first.find(".create") != std::string::npos || kv.first.rfind("filesystem.", 0) == 0;
  })) << this->calls();
  EXPECT_EQ(sim_->leftovers(), "");
}

INSTANTIATE_TEST_SUITE_P(Personalities, ControllerSimNfsRoot,
                         ::testing::Values("13.0", "24.10", "25.04", "25.10"), personalityName);

}  // namespace
}  // namespace tnascsi::testing

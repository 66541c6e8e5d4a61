// The controller against the TrueNAS simulator: StorageClass detachedVolumesFromSnapshots /
// detachedVolumesFromVolumes make independent copies through replication.run_onetime (no ZFS
// origin), so the source snapshot and volume can be deleted at once while the copy lives; CORE
// 13.0 has no run_onetime and refuses with INVALID_ARGUMENT without creating anything.
#include "controller/provision/metadata.h"
#include "controller/provision/volume_id.h"
#include "test/integration/controller/sim_fixture.h"

namespace tnascsi::testing {
namespace {

namespace props = controller::provision::props;
using controller::truenas::QueryFilter;

class ControllerSimDetach : public ControllerSimTest {
 protected:
  std::string datasetOf(const std::string& volumeId) {
    auto id = controller::provision::parseVolumeId(volumeId);
    EXPECT_TRUE(id.has_value()) << volumeId;
    return id ? id->dataset : "";
  }
  size_t snapshotsOf(const std::string& dataset) {
    auto snaps = sim_->api().querySnapshots(
        QueryFilter::where("dataset", controller::truenas::FilterOp::kEq, dataset), {});
    EXPECT_TRUE(snaps.ok()) << snaps.status();
    return snaps.ok() ? snaps->size() : 99;
  }
  bool exists(const std::string& dataset) { return sim_->api().getDataset(dataset).ok(); }
  bool core() const { return std::string(GetParam()) == "13.0"; }
};

TEST_P(ControllerSimDetach, CopiesOutliveTheirSources) {
  for (const char* protocol : {"iscsi", "nfs"}) {
    SCOPED_TRACE(protocol);
    const std::string p = protocol;
    std::string a = createOk("a-" + p, p);
    csi::v1::CreateSnapshotResponse s1;
    ASSERT_TRUE(snapshot("s1-" + p, a, &s1).ok());

    auto fromSnap = createRequest("r-" + p, p, 2 * kSimGiB);
    (*fromSnap.mutable_parameters())["detachedVolumesFromSnapshots"] = "true";
    fromSnap.mutable_volume_content_source()->mutable_snapshot()->set_snapshot_id(
        s1.snapshot().snapshot_id());
    auto fromVol = createRequest("c-" + p, p);
    (*fromVol.mutable_parameters())["detachedVolumesFromVolumes"] = "true";
    fromVol.mutable_volume_content_source()->mutable_volume()->set_volume_id(a);
    csi::v1::CreateVolumeResponse r, c, again;
    if (core()) {
      EXPECT_EQ(create(fromSnap, &r).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
      EXPECT_EQ(create(fromVol, &c).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
      EXPECT_EQ(snapshotsOf(datasetOf(a)), 1u) << "the temporary snapshot is gone again";
      ASSERT_TRUE(deleteSnapshot(s1.snapshot().snapshot_id()).ok());
      ASSERT_TRUE(del(a).ok());
      expectNothingLeft();
      continue;
    }
    grpc::Status made = create(fromSnap, &r);
    ASSERT_TRUE(made.ok()) << made.error_message();
    EXPECT_EQ(r.volume().capacity_bytes(), 2 * kSimGiB);
    ASSERT_TRUE(create(fromSnap, &again).ok()) << "repeat";
    EXPECT_EQ(again.volume().volume_id(), r.volume().volume_id());
    made = create(fromVol, &c);
    ASSERT_TRUE(made.ok()) << made.error_message();

    for (const auto& id : {r.volume().volume_id(), c.volume().volume_id()}) {
      auto ds = sim_->api().getDataset(datasetOf(id));
      ASSERT_TRUE(ds.ok()) << ds.status();
      EXPECT_EQ(ds->origin, "") << "a detached copy has no origin";
      EXPECT_EQ(props::get(ds->userProperties, props::kOwner), "csi.truenas-csi.io");
      EXPECT_EQ(snapshotsOf(ds->name), 0u) << "the received snapshot was removed";
    }
    if (p == "iscsi") {
      auto ds = sim_->api().getDataset(datasetOf(r.volume().volume_id()));
      ASSERT_TRUE(ds.ok());
      EXPECT_EQ(ds->volsize.value_or(0), uint64_t{2} * kSimGiB) << "grown to the request";
    }
    EXPECT_EQ(snapshotsOf(datasetOf(a)), 1u) << "only s1: the temporary snapshot is gone";

    // Nothing depends on the sources: they go for real, not deferred.
    ASSERT_TRUE(deleteSnapshot(s1.snapshot().snapshot_id()).ok());
    EXPECT_EQ(snapshotsOf(datasetOf(a)), 0u);
    ASSERT_TRUE(del(a).ok());
    EXPECT_FALSE(exists(datasetOf(a))) << "source volume destroyed, not deferred";
    EXPECT_TRUE(exists(datasetOf(r.volume().volume_id())));
    EXPECT_TRUE(exists(datasetOf(c.volume().volume_id())));
    ASSERT_TRUE(del(r.volume().volume_id()).ok());
    ASSERT_TRUE(del(c.volume().volume_id()).ok());
    expectNothingLeft();
  }
}

TEST_P(ControllerSimDetach, FinishesACopyInterruptedBeforeItsMetadata) {
  if (core()) GTEST_SKIP() << "no replication.run_onetime on 13.0";
  std::string a = createOk("a", "nfs");
  csi::v1::CreateSnapshotResponse s1;
  ASSERT_TRUE(snapshot("s1", a, &s1).ok());
  auto req = createRequest("r", "nfs");
  (*req.mutable_parameters())["detachedVolumesFromSnapshots"] = "true";
  req.mutable_volume_content_source()->mutable_snapshot()->set_snapshot_id(
      s1.snapshot().snapshot_id());
  csi::v1::CreateVolumeResponse r;
  ASSERT_TRUE(create(req, &r).ok());
  const std::string target = datasetOf(r.volume().volume_id());
  ASSERT_TRUE(del(r.volume().volume_id()).ok());
  ASSERT_FALSE(exists(target));
  // What a controller that died right after the job leaves: the bare copy with its snapshot.
  auto snap = controller::provision::parseSnapshotId(s1.snapshot().snapshot_id());
  ASSERT_TRUE(snap.has_value());
  const std::string zfsName = snap->zfsName();
  ASSERT_TRUE(sim_->api()
                  .replicateLocal({zfsName.substr(0, zfsName.find('@')),
                                   zfsName.substr(zfsName.find('@') + 1), target})
                  .ok());
  ASSERT_TRUE(create(req, &r).ok()) << "the retry adopts and finishes the copy";
  auto ds = sim_->api().getDataset(target);
  ASSERT_TRUE(ds.ok());
  EXPECT_EQ(props::get(ds->userProperties, props::kCsiName), "r");
  EXPECT_EQ(snapshotsOf(target), 0u);
  // Interrupted after the metadata step: the retry drops the bare received snapshot, but never a
  // snapshot carrying our marker.
  const std::string snapName = zfsName.substr(zfsName.find('@') + 1);
  ASSERT_TRUE(sim_->api().createSnapshot({target, snapName, false, {}}).ok());
  ASSERT_TRUE(create(req, &r).ok());
  EXPECT_EQ(snapshotsOf(target), 0u);
  ASSERT_TRUE(
      sim_->api().createSnapshot({target, snapName, false, {{props::kOwner, "someone"}}}).ok());
  ASSERT_TRUE(create(req, &r).ok());
  EXPECT_EQ(snapshotsOf(target), 1u);
  ASSERT_TRUE(sim_->api().deleteSnapshot(target + "@" + snapName, {}).ok());
  ASSERT_TRUE(del(r.volume().volume_id()).ok());
  ASSERT_TRUE(deleteSnapshot(s1.snapshot().snapshot_id()).ok());
  ASSERT_TRUE(del(a).ok());
  expectNothingLeft();
}

TEST_P(ControllerSimDetach, FailedStepsLeaveNoCopyAndTheRetrySucceeds) {
  if (core()) GTEST_SKIP() << "no replication.run_onetime on 13.0";
  for (const char* protocol : {"iscsi", "nfs"}) {
    for (const char* method : {"replication.run_onetime", "pool.dataset.update"}) {
      SCOPED_TRACE(std::string(protocol) + " " + method);
      const std::string p = protocol;
      std::string a = createOk("src-" + p, p);
      auto req = createRequest("copy-" + p, p);
      (*req.mutable_parameters())["detachedVolumesFromVolumes"] = "true";
      req.mutable_volume_content_source()->mutable_volume()->set_volume_id(a);
      sim::Json rule = sim::Json::object();
      rule.set("method", method);
      rule.set("code", "CallError");
      rule.set("errno", 14);
      rule.set("message", "injected failure");
      rule.set("times", 1);
      sim::Json fault = sim::Json::object();
      fault.set("fail", rule);
      ASSERT_TRUE(sim_->server().faults().set(fault).ok());
      csi::v1::CreateVolumeResponse resp;
      grpc::Status failed = create(req, &resp);
      sim_->server().faults().clear();
      ASSERT_FALSE(failed.ok());
      EXPECT_NE(failed.error_code(), grpc::StatusCode::UNKNOWN) << failed.error_message();
      auto children = sim_->api().listChildDatasets(sim_->parent(), {});
      ASSERT_TRUE(children.ok()) << children.status();
      EXPECT_EQ(children->size(), 1u) << "only the source: the unfinished copy was removed";
      EXPECT_EQ(snapshotsOf(datasetOf(a)), 0u) << "the temporary snapshot was removed";
      grpc::Status made = create(req, &resp);
      ASSERT_TRUE(made.ok()) << made.error_message();
      EXPECT_EQ(snapshotsOf(datasetOf(a)), 0u);
      ASSERT_TRUE(del(a).ok());
      EXPECT_FALSE(exists(datasetOf(a)));
      ASSERT_TRUE(del(resp.volume().volume_id()).ok());
      expectNothingLeft();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Personalities, ControllerSimDetach,
                         ::testing::Values("13.0", "24.10", "25.04", "25.10"), personalityName);

}  // namespace
}  // namespace tnascsi::testing

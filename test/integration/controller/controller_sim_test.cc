// The controller against the TrueNAS simulator on every personality (13.0, 24.10, 25.04, 25.10):
// every Controller RPC through gRPC, a real TrueNasClient over WebSocket and a fresh simulator
// per test. What TrueNAS ends up holding is read from the simulator's model; TrueNAS calls per
// operation from its call log. Failure and concurrency cases are in controller_sim_faults_test.cc.
#include <algorithm>

#include "controller/provision/iscsi_masking.h"
#include "test/integration/controller/sim_fixture.h"

namespace tnascsi::testing {
namespace {

using Mode = csi::v1::VolumeCapability::AccessMode;
using sim::Json;
const std::string kNodeA = "node-a,iqn.2004-10.com.ubuntu:01:a";
const std::string kNodeB = "node-b,iqn.2004-10.com.ubuntu:01:b";

std::vector<std::string> stringsOf(const Json& array) {
  std::vector<std::string> out;
  for (const auto& v : array.asArray()) out.push_back(v.asString());
  return out;
}

class ControllerSim : public ControllerSimTest {
 protected:
  // The initiator group the simulator holds for a volume leaf.
  Json groupOf(const std::string& leaf) {
    for (const auto& g : sim_->records("initiators")) {
      std::string comment = g.value("comment").asString();
      if (comment == "truenas-csi:tank/k8s/" + leaf ||
          comment.rfind("truenas-csi:tank/k8s/" + leaf + " ", 0) == 0) {
        return g;
      }
    }
    ADD_FAILURE() << "no initiator group for " << leaf;
    return Json::object();
  }
  Json targetOf(const std::string& leaf) {
    for (const auto& t : sim_->records("targets")) {
      if (t.value("name").asString() == leaf) return t;
    }
    ADD_FAILURE() << "no target " << leaf;
    return Json::object();
  }
  // Adds an initiator group TrueNAS's administrator made (no marker of ours, or the marker of
  // another parent dataset): the sweep must never touch it.
  void addForeignGroups() {
    for (const char* comment : {"made by hand", "truenas-csi:tank/other/vol"}) {
      Json spec = Json::object();
      Json initiators = Json::array();
      initiators.push("iqn.2000-01.com.example:host");
      spec.set("initiators", initiators);
      spec.set("comment", comment);
      Json params = Json::array();
      params.push(spec);
      sim_->call("iscsi.initiator.create", params);
    }
  }
};

TEST_P(ControllerSim, IscsiLifecycleWithLunMaskingAndCallBudgets) {
  addForeignGroups();
  std::string warm = createOk("warm", "iscsi");  // one-time setup (service, portal, basename)
  sim_->resetCalls();
  csi::v1::CreateVolumeResponse resp;
  ASSERT_TRUE(create(createRequest("pvc-1", "iscsi"), &resp).ok());
  EXPECT_LE(sim_->domainCalls(), 5) << "iSCSI create: " << calls();
  std::string id = resp.volume().volume_id();
  const auto& context = resp.volume().volume_context();
  EXPECT_EQ(context.at("iqn").substr(context.at("iqn").rfind(':') + 1), "pvc-1");
  EXPECT_EQ(context.at("lun"), "0");
  EXPECT_FALSE(context.at("serial").empty());
  EXPECT_EQ(sim_->count("datasets"), 2u);
  EXPECT_EQ(sim_->count("targets"), 2u);
  EXPECT_EQ(sim_->count("extents"), 2u);
  EXPECT_EQ(sim_->count("targetextents"), 2u);
  EXPECT_EQ(stringsOf(groupOf("pvc-1").value("initiators")),
            std::vector<std::string>{controller::provision::kPlaceholderIqn})
      << "never open to every initiator";
  EXPECT_EQ(targetOf("pvc-1").value("groups").at(0).value("initiator").asInt(),
            groupOf("pvc-1").value("id").asInt());

  ASSERT_TRUE(publish(id, kNodeA).ok());
  EXPECT_TRUE(publish(id, kNodeA).ok()) << "idempotent";
  EXPECT_EQ(stringsOf(groupOf("pvc-1").value("initiators")),
            std::vector<std::string>{"iqn.2004-10.com.ubuntu:01:a"});
  EXPECT_EQ(publish(id, kNodeB).error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << "single-node access";

  grpc::ClientContext lctx;
  csi::v1::ListVolumesResponse list;
  ASSERT_TRUE(ctl().ListVolumes(&lctx, {}, &list).ok());
  ASSERT_EQ(list.entries_size(), 2);
  auto entry = std::find_if(list.entries().begin(), list.entries().end(),
                            [&](const auto& e) { return e.volume().volume_id() == id; });
  ASSERT_NE(entry, list.entries().end());
  ASSERT_EQ(entry->status().published_node_ids_size(), 1);
  EXPECT_EQ(entry->status().published_node_ids(0), kNodeA);

  grpc::ClientContext gctx;
  csi::v1::ControllerGetVolumeRequest get;
  get.set_volume_id(id);
  csi::v1::ControllerGetVolumeResponse got;
  ASSERT_TRUE(ctl().ControllerGetVolume(&gctx, get, &got).ok());
  EXPECT_FALSE(got.status().volume_condition().abnormal())
      << got.status().volume_condition().message();
  ASSERT_EQ(got.status().published_node_ids_size(), 1);

  grpc::ClientContext vctx;
  csi::v1::ValidateVolumeCapabilitiesRequest vreq;
  vreq.set_volume_id(id);
  *vreq.add_volume_capabilities() = mountCapability();
  csi::v1::ValidateVolumeCapabilitiesResponse vresp;
  ASSERT_TRUE(ctl().ValidateVolumeCapabilities(&vctx, vreq, &vresp).ok());
  EXPECT_TRUE(vresp.has_confirmed());

  grpc::ClientContext ectx;
  csi::v1::ControllerExpandVolumeRequest ereq;
  ereq.set_volume_id(id);
  ereq.mutable_capacity_range()->set_required_bytes(3 * kSimGiB);
  csi::v1::ControllerExpandVolumeResponse eresp;
  ASSERT_TRUE(ctl().ControllerExpandVolume(&ectx, ereq, &eresp).ok());
  EXPECT_EQ(eresp.capacity_bytes(), 3 * kSimGiB);
  EXPECT_TRUE(eresp.node_expansion_required());
  for (const auto& d : sim_->records("datasets")) {
    if (d.value("name").asString() == "tank/k8s/pvc-1") {
      EXPECT_EQ(d.value("volsize").asInt(), 3 * kSimGiB);
    }
  }

  ASSERT_TRUE(unpublish(id, kNodeA).ok());
  EXPECT_TRUE(unpublish(id, kNodeA).ok()) << "idempotent";
  EXPECT_EQ(stringsOf(groupOf("pvc-1").value("initiators")),
            std::vector<std::string>{controller::provision::kPlaceholderIqn});

  ASSERT_TRUE(publish(id, kNodeB).ok()) << "free again";
  sim_->resetCalls();
  ASSERT_TRUE(del(id).ok());
  EXPECT_LE(sim_->domainCalls(), 2) << "iSCSI delete: " << calls();
  EXPECT_EQ(sim_->count("targets"), 1u) << "the cascade removed the target";
  EXPECT_EQ(sim_->count("extents"), 1u);
  ASSERT_TRUE(del(warm).ok());
  EXPECT_TRUE(del(id).ok()) << "repeat";
  expectNothingLeft(/*keepInitiators=*/2);
  std::vector<std::string> comments;
  for (const auto& g : sim_->records("initiators"))
    comments.push_back(g.value("comment").asString());
  std::sort(comments.begin(), comments.end());
  EXPECT_EQ(comments, (std::vector<std::string>{"made by hand", "truenas-csi:tank/other/vol"}))
      << "foreign groups are never touched";
}

TEST_P(ControllerSim, NfsCreateAndDeleteCallBudgets) {
  std::string warm = createOk("warm", "nfs");
  sim_->resetCalls();
  auto req = createRequest("share-1", "nfs", 100 << 20);
  (*req.mutable_parameters())["nfsNetworks"] = "10.0.0.0/24";
  csi::v1::CreateVolumeResponse resp;
  ASSERT_TRUE(create(req, &resp).ok());
  EXPECT_LE(sim_->domainCalls(), 3) << "NFS create: " << calls();
  EXPECT_EQ(resp.volume().capacity_bytes(), kSimGiB) << "NFS minimum 1 GiB";
  EXPECT_EQ(resp.volume().volume_context().at("share"), "/mnt/tank/k8s/share-1");
  EXPECT_EQ(sim_->count("nfs_shares"), 2u);
  ASSERT_TRUE(
      publish(resp.volume().volume_id(), kNodeA, mountCapability(Mode::MULTI_NODE_MULTI_WRITER, ""))
          .ok());
  ASSERT_TRUE(
      publish(resp.volume().volume_id(), kNodeB, mountCapability(Mode::MULTI_NODE_MULTI_WRITER, ""))
          .ok());
  sim_->resetCalls();
  ASSERT_TRUE(del(resp.volume().volume_id()).ok());
  EXPECT_LE(sim_->domainCalls(), 2) << "NFS delete: " << calls();
  EXPECT_EQ(sim_->count("nfs_shares"), 1u) << "the cascade removed the share";
  ASSERT_TRUE(del(warm).ok());
  expectNothingLeft();
}

TEST_P(ControllerSim, ChapOneWayAndMutualFromSecrets) {
  auto oneWay = createRequest("pvc-chap", "iscsi");
  (*oneWay.mutable_secrets())["chapUser"] = "k8s";
  (*oneWay.mutable_secrets())["chapSecret"] = "0123456789ab";
  auto mutual = createRequest("pvc-mutual", "iscsi");
  (*mutual.mutable_secrets())["chapUser"] = "k8s-m";
  (*mutual.mutable_secrets())["chapSecret"] = "0123456789ab";
  (*mutual.mutable_secrets())["chapMutualUser"] = "nas";
  (*mutual.mutable_secrets())["chapMutualSecret"] = "ba9876543210";
  csi::v1::CreateVolumeResponse a, b, again;
  ASSERT_TRUE(create(oneWay, &a).ok());
  ASSERT_TRUE(create(mutual, &b).ok());
  ASSERT_TRUE(create(mutual, &again).ok()) << "idempotent with CHAP";
  EXPECT_EQ(again.volume().volume_id(), b.volume().volume_id());
  ASSERT_EQ(sim_->count("auths"), 2u);
  Json g1 = targetOf("pvc-chap").value("groups").at(0);
  Json g2 = targetOf("pvc-mutual").value("groups").at(0);
  EXPECT_EQ(g1.value("authmethod").asString(), "CHAP");
  EXPECT_EQ(g2.value("authmethod").asString(), "CHAP_MUTUAL");
  for (const auto& auth : sim_->records("auths")) {
    if (auth.value("tag").asInt() == g2.value("auth").asInt()) {
      EXPECT_EQ(auth.value("user").asString(), "k8s-m");
      EXPECT_EQ(auth.value("peeruser").asString(), "nas");
    } else {
      EXPECT_EQ(auth.value("tag").asInt(), g1.value("auth").asInt());
      EXPECT_EQ(auth.value("user").asString(), "k8s");
    }
  }
  EXPECT_EQ(a.volume().volume_context().count("chapSecret"), 0u) << "secrets stay out";
  ASSERT_TRUE(del(a.volume().volume_id()).ok());
  ASSERT_TRUE(del(b.volume().volume_id()).ok());
  expectNothingLeft();
}

TEST_P(ControllerSim, SnapshotsClonesAndDeferredDeletion) {
  for (const char* protocol : {"iscsi", "nfs"}) {
    SCOPED_TRACE(protocol);
    std::string p = protocol;
    std::string a = createOk("a-" + p, p);
    std::string b = createOk("b-" + p, p);
    csi::v1::CreateSnapshotResponse s1, s2, s3, repeat;
    ASSERT_TRUE(snapshot("s1-" + p, a, &s1).ok());
    ASSERT_TRUE(snapshot("s2-" + p, a, &s2).ok());
    ASSERT_TRUE(snapshot("s3-" + p, b, &s3).ok());
    ASSERT_TRUE(snapshot("s1-" + p, a, &repeat).ok());
    EXPECT_EQ(repeat.snapshot().snapshot_id(), s1.snapshot().snapshot_id());
    EXPECT_EQ(snapshot("s1-" + p, b, &repeat).error_code(), grpc::StatusCode::ALREADY_EXISTS);

    csi::v1::ListSnapshotsRequest all, bySource, byId, paged;
    EXPECT_EQ(listSnapshots(all).entries_size(), 3);
    bySource.set_source_volume_id(a);
    EXPECT_EQ(listSnapshots(bySource).entries_size(), 2);
    byId.set_snapshot_id(s3.snapshot().snapshot_id());
    ASSERT_EQ(listSnapshots(byId).entries_size(), 1);
    EXPECT_EQ(listSnapshots(byId).entries(0).snapshot().source_volume_id(), b);
    paged.set_max_entries(2);
    auto page1 = listSnapshots(paged);
    ASSERT_EQ(page1.entries_size(), 2);
    ASSERT_FALSE(page1.next_token().empty());
    paged.set_starting_token(page1.next_token());
    auto page2 = listSnapshots(paged);
    ASSERT_EQ(page2.entries_size(), 1);
    EXPECT_TRUE(page2.next_token().empty());

    auto restore = createRequest("r-" + p, p, 2 * kSimGiB);
    restore.mutable_volume_content_source()->mutable_snapshot()->set_snapshot_id(
        s1.snapshot().snapshot_id());
    csi::v1::CreateVolumeResponse restored, cloned;
    ASSERT_TRUE(create(restore, &restored).ok());
    EXPECT_EQ(restored.volume().capacity_bytes(), 2 * kSimGiB);
    auto clone = createRequest("c-" + p, p);
    clone.mutable_volume_content_source()->mutable_volume()->set_volume_id(b);
    ASSERT_TRUE(create(clone, &cloned).ok());

    // s1 has a clone: deleting it defers; from then on CSI never lists it.
    ASSERT_TRUE(deleteSnapshot(s1.snapshot().snapshot_id()).ok());
    byId.set_snapshot_id(s1.snapshot().snapshot_id());
    EXPECT_EQ(listSnapshots(byId).entries_size(), 0) << "deferred snapshot listed by id";
    EXPECT_EQ(listSnapshots(all).entries_size(), 2) << "deferred snapshot listed";
    EXPECT_TRUE(deleteSnapshot(s1.snapshot().snapshot_id()).ok()) << "repeat";
    // a still has s2 and the clone of s1: deferred too.
    ASSERT_TRUE(del(a).ok());
    grpc::ClientContext lctx;
    csi::v1::ListVolumesResponse vols;
    ASSERT_TRUE(ctl().ListVolumes(&lctx, {}, &vols).ok());
    for (const auto& e : vols.entries()) EXPECT_NE(e.volume().volume_id(), a);
    ASSERT_TRUE(deleteSnapshot(s2.snapshot().snapshot_id()).ok());
    ASSERT_TRUE(del(restored.volume().volume_id()).ok());
    ASSERT_TRUE(deleteSnapshot(s3.snapshot().snapshot_id()).ok());
    ASSERT_TRUE(del(b).ok()) << "deferred: its clone source snapshot holds it";
    ASSERT_TRUE(del(cloned.volume().volume_id()).ok());
    expectNothingLeft();
  }
}

TEST_P(ControllerSim, GetVolumeConditionAndCapacity) {
  std::string id = createOk("pvc-cond", "iscsi");
  // An administrator deletes the target by hand.
  Json params = Json::array();
  params.push(targetOf("pvc-cond").value("id"));
  sim_->call("iscsi.target.delete", params);
  grpc::ClientContext gctx;
  csi::v1::ControllerGetVolumeRequest get;
  get.set_volume_id(id);
  csi::v1::ControllerGetVolumeResponse got;
  ASSERT_TRUE(ctl().ControllerGetVolume(&gctx, get, &got).ok());
  EXPECT_TRUE(got.status().volume_condition().abnormal());
  EXPECT_NE(got.status().volume_condition().message().find("target"), std::string::npos)
      << got.status().volume_condition().message();
  for (const char* protocol : {"iscsi", "nfs"}) {
    grpc::ClientContext cctx;
    csi::v1::GetCapacityRequest creq;
    (*creq.mutable_parameters())["protocol"] = protocol;
    csi::v1::GetCapacityResponse cap;
    ASSERT_TRUE(ctl().GetCapacity(&cctx, creq, &cap).ok());
    EXPECT_GT(cap.available_capacity(), 0);
    EXPECT_LE(cap.available_capacity(), int64_t{1} << 40);
  }
  ASSERT_TRUE(del(id).ok());
  expectNothingLeft();
}

INSTANTIATE_TEST_SUITE_P(Personalities, ControllerSim,
                         ::testing::Values("13.0", "24.10", "25.04", "25.10"), personalityName);

}  // namespace
}  // namespace tnascsi::testing

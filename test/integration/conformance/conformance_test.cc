// CSI controller conformance: the CSI spec's controller rules that csi-sanity checks (names,
// capacities, capabilities, idempotency, NOT_FOUND / ALREADY_EXISTS rules, pagination), for both
// protocols, over a real unix socket against ControllerUnderTest.
//
// Backends: a fresh in-process simulator per test on each personality (13.0, 24.10, 25.04, 25.10)
// through the real TrueNasClient over a loopback WebSocket, where object counts are checked on
// the simulator's model; and "live": an external TrueNAS (or simulator) at TNAS_CONFORMANCE_URL,
// with TNAS_CONFORMANCE_API_KEY_FILE naming the key file and TNAS_CONFORMANCE_PARENT the
// (existing) parent dataset (default tank/k8s). Without TNAS_CONFORMANCE_URL the live instances
// are skipped.
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>
#include <tuple>

#include "common/base/clock.h"
#include "controller/truenas/truenas_client.h"
#include "controller/truenas/ws_connection.h"
#include "test/integration/conformance/controller_fixture.h"
#include "test/support/truenas/sim_backend.h"

namespace tnascsi::testing {
namespace {

using csi::v1::VolumeCapability;
using Mode = VolumeCapability::AccessMode;

constexpr int64_t kGiB = 1LL << 30;
const std::string kNode = "worker-1,iqn.2004-10.com.ubuntu:01:worker1";

// (backend: "live" or a simulator personality, protocol)
using Param = std::tuple<std::string, std::string>;

class Conformance : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    controller::provision::BackendConfig config;
    config.parentDataset = "tank/k8s";
    config.portals = {"192.0.2.10:3260"};
    config.nfsServer = "192.0.2.10";
    controller::truenas::TrueNasApi* api = nullptr;
    const std::string& backend = std::get<0>(GetParam());
    if (backend != "live") {
      SimBackend::Options options;
      options.personality = backend;
      sim_ = std::make_unique<SimBackend>(options);
      api = &sim_->api();
    } else {
      const char* url = std::getenv("TNAS_CONFORMANCE_URL");
      if (url == nullptr) GTEST_SKIP() << "TNAS_CONFORMANCE_URL is not set";
      controller::truenas::ConnectionOptions options;
      options.url = url;
      const char* key = std::getenv("TNAS_CONFORMANCE_API_KEY_FILE");
      options.apiKeyFile = key != nullptr ? key : "";
      if (const char* parent = std::getenv("TNAS_CONFORMANCE_PARENT"))
        config.parentDataset = parent;
      connection_ =
          std::make_unique<controller::truenas::WsConnection>(options, common::systemClock());
      client_ =
          std::make_unique<controller::truenas::TrueNasClient>(*connection_, common::systemClock());
      api = client_.get();
    }
    cut_ = std::make_unique<ControllerUnderTest>(std::vector<FixtureBackend>{{config, api}});
  }
  // Object-count assertions need the simulator's model.
  bool simulated() const { return sim_ != nullptr; }
  std::string protocol() const { return std::get<1>(GetParam()); }
  csi::v1::Controller::Stub& ctl() { return cut_->controller(); }

  grpc::Status create(const csi::v1::CreateVolumeRequest& req,
                      csi::v1::CreateVolumeResponse* resp) {
    grpc::ClientContext ctx;
    return ctl().CreateVolume(&ctx, req, resp);
  }
  std::string createOk(const std::string& name, int64_t size = kGiB) {
    csi::v1::CreateVolumeResponse resp;
    grpc::Status s = create(createRequest(name, protocol(), size), &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.volume().volume_id();
  }
  grpc::Status deleteVolume(const std::string& id) {
    grpc::ClientContext ctx;
    csi::v1::DeleteVolumeRequest req;
    req.set_volume_id(id);
    csi::v1::DeleteVolumeResponse resp;
    return ctl().DeleteVolume(&ctx, req, &resp);
  }
  grpc::Status snapshot(const std::string& name, const std::string& source,
                        csi::v1::CreateSnapshotResponse* resp) {
    grpc::ClientContext ctx;
    csi::v1::CreateSnapshotRequest req;
    req.set_name(name);
    req.set_source_volume_id(source);
    return ctl().CreateSnapshot(&ctx, req, resp);
  }
  VolumeCapability capability() const {
    return protocol() == "nfs" ? mountCapability(Mode::MULTI_NODE_MULTI_WRITER, "")
                               : mountCapability();
  }

  std::unique_ptr<controller::truenas::WsConnection> connection_;
  std::unique_ptr<controller::truenas::TrueNasClient> client_;
  std::unique_ptr<SimBackend> sim_;  // before cut_: the controller goes first
  std::unique_ptr<ControllerUnderTest> cut_;
};

TEST_P(Conformance, IdentityAndCapabilities) {
  grpc::ClientContext c1;
  csi::v1::ProbeResponse probe;
  ASSERT_TRUE(cut_->identity().Probe(&c1, {}, &probe).ok());
  EXPECT_TRUE(probe.ready().value());
  grpc::ClientContext c2;
  csi::v1::ControllerGetCapabilitiesResponse caps;
  ASSERT_TRUE(ctl().ControllerGetCapabilities(&c2, {}, &caps).ok());
  std::set<int> types;
  for (const auto& c : caps.capabilities()) types.insert(c.rpc().type());
  for (auto want : {csi::v1::ControllerServiceCapability::RPC::CREATE_DELETE_VOLUME,
                    csi::v1::ControllerServiceCapability::RPC::LIST_VOLUMES,
                    csi::v1::ControllerServiceCapability::RPC::CREATE_DELETE_SNAPSHOT,
                    csi::v1::ControllerServiceCapability::RPC::GET_VOLUME}) {
    EXPECT_TRUE(types.count(want)) << want;
  }
  EXPECT_FALSE(types.count(csi::v1::ControllerServiceCapability::RPC::PUBLISH_READONLY));
}

TEST_P(Conformance, CreateVolumeArgumentErrors) {
  csi::v1::CreateVolumeResponse resp;
  auto noName = createRequest("", protocol());
  EXPECT_EQ(create(noName, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto noCaps = createRequest("v", protocol());
  noCaps.clear_volume_capabilities();
  EXPECT_EQ(create(noCaps, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto badParam = createRequest("v", protocol());
  (*badParam.mutable_parameters())["bogus"] = "1";
  EXPECT_EQ(create(badParam, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto tooSmall = createRequest("v", protocol(), 2 * kGiB);
  tooSmall.mutable_capacity_range()->set_limit_bytes(kGiB);
  EXPECT_EQ(create(tooSmall, &resp).error_code(), grpc::StatusCode::OUT_OF_RANGE);
  if (simulated()) {
    EXPECT_EQ(sim_->leftovers(), "") << "nothing created on TrueNAS";
  }
}

TEST_P(Conformance, CreateIsIdempotentAndDifferentSizeIsAlreadyExists) {
  csi::v1::CreateVolumeResponse first, second, third;
  ASSERT_TRUE(create(createRequest("vol-a", protocol(), kGiB), &first).ok());
  EXPECT_GE(first.volume().capacity_bytes(), kGiB);
  ASSERT_TRUE(create(createRequest("vol-a", protocol(), kGiB), &second).ok());
  EXPECT_EQ(first.volume().volume_id(), second.volume().volume_id());
  EXPECT_EQ(contextOf(first.volume()), contextOf(second.volume()));
  EXPECT_EQ(create(createRequest("vol-a", protocol(), 2 * kGiB), &third).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  if (simulated()) {
    EXPECT_EQ(sim_->count("datasets"), 1u);
  }
}

TEST_P(Conformance, MaximumLengthNameAndDefaultSize) {
  csi::v1::CreateVolumeResponse resp;
  auto req = createRequest(std::string(128, 'x'), protocol(), 0);
  grpc::Status s = create(req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_LE(resp.volume().volume_id().size(), 128u);
  EXPECT_GT(resp.volume().capacity_bytes(), 0);
  EXPECT_TRUE(deleteVolume(resp.volume().volume_id()).ok());
}

TEST_P(Conformance, DeleteVolumeRules) {
  EXPECT_EQ(deleteVolume("").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(deleteVolume("some-fake-volume-id").ok());
  EXPECT_TRUE(deleteVolume("default/" + protocol() + "/tank/k8s/never-created").ok());
  std::string id = createOk("vol-del");
  EXPECT_TRUE(deleteVolume(id).ok());
  EXPECT_TRUE(deleteVolume(id).ok()) << "second delete is OK";
  ASSERT_TRUE(cut_->sweepExports().ok());
  if (simulated()) {
    EXPECT_EQ(sim_->leftovers(), "");
  }
}

TEST_P(Conformance, ValidateVolumeCapabilities) {
  std::string id = createOk("vol-v");
  grpc::ClientContext c1;
  csi::v1::ValidateVolumeCapabilitiesRequest req;
  csi::v1::ValidateVolumeCapabilitiesResponse resp;
  EXPECT_EQ(ctl().ValidateVolumeCapabilities(&c1, req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  req.set_volume_id(id);
  grpc::ClientContext c2;
  EXPECT_EQ(ctl().ValidateVolumeCapabilities(&c2, req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  *req.add_volume_capabilities() = capability();
  grpc::ClientContext c3;
  ASSERT_TRUE(ctl().ValidateVolumeCapabilities(&c3, req, &resp).ok());
  EXPECT_TRUE(resp.has_confirmed());
  req.set_volume_id("default/" + protocol() + "/tank/k8s/missing");
  grpc::ClientContext c4;
  EXPECT_EQ(ctl().ValidateVolumeCapabilities(&c4, req, &resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // Block on NFS is not confirmed (but the call succeeds).
  if (protocol() == "nfs") {
    req.set_volume_id(id);
    req.clear_volume_capabilities();
    *req.add_volume_capabilities() = blockCapability(Mode::SINGLE_NODE_WRITER);
    csi::v1::ValidateVolumeCapabilitiesResponse unconfirmed;
    grpc::ClientContext c5;
    ASSERT_TRUE(ctl().ValidateVolumeCapabilities(&c5, req, &unconfirmed).ok());
    EXPECT_FALSE(unconfirmed.has_confirmed());
    EXPECT_FALSE(unconfirmed.message().empty());
  }
}

TEST_P(Conformance, ListVolumesPaginatesEveryVolumeExactlyOnce) {
  std::set<std::string> created;
  for (int i = 0; i < 7; ++i) created.insert(createOk("vol-list-" + std::to_string(i)));
  grpc::ClientContext bad;
  csi::v1::ListVolumesRequest negative;
  negative.set_max_entries(-1);
  csi::v1::ListVolumesResponse resp;
  EXPECT_EQ(ctl().ListVolumes(&bad, negative, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  grpc::ClientContext badToken;
  csi::v1::ListVolumesRequest tokenReq;
  tokenReq.set_starting_token("not a token");
  EXPECT_EQ(ctl().ListVolumes(&badToken, tokenReq, &resp).error_code(), grpc::StatusCode::ABORTED);

  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    grpc::ClientContext ctx;
    csi::v1::ListVolumesRequest req;
    req.set_max_entries(3);
    req.set_starting_token(token);
    csi::v1::ListVolumesResponse page;
    ASSERT_TRUE(ctl().ListVolumes(&ctx, req, &page).ok());
    EXPECT_LE(page.entries_size(), 3);
    for (const auto& e : page.entries()) seen.push_back(e.volume().volume_id());
    token = page.next_token();
    if (pages == 0) {
      ASSERT_TRUE(deleteVolume(*created.rbegin()).ok());  // deleting ahead does not break paging
      created.erase(std::prev(created.end()));
    }
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), created);
  EXPECT_EQ(seen.size(), created.size());
}

TEST_P(Conformance, PublishRules) {
  std::string id = createOk("vol-pub");
  auto publish = [&](const std::string& vol, const std::string& node, bool withCap) {
    grpc::ClientContext ctx;
    csi::v1::ControllerPublishVolumeRequest req;
    req.set_volume_id(vol);
    req.set_node_id(node);
    if (withCap) *req.mutable_volume_capability() = capability();
    csi::v1::ControllerPublishVolumeResponse resp;
    return ctl().ControllerPublishVolume(&ctx, req, &resp);
  };
  EXPECT_EQ(publish("", kNode, true).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(publish(id, "", true).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(publish(id, kNode, false).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(publish("default/" + protocol() + "/tank/k8s/missing", kNode, true).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(publish(id, "some-fake-node-id", true).error_code(), grpc::StatusCode::NOT_FOUND);
  if (protocol() == "iscsi") {  // a node without an initiator cannot reach an iSCSI volume
    EXPECT_EQ(publish(id, "nfs-only-node,", true).error_code(), grpc::StatusCode::NOT_FOUND);
  }
  EXPECT_TRUE(publish(id, kNode, true).ok());
  EXPECT_TRUE(publish(id, kNode, true).ok()) << "idempotent";
  grpc::ClientContext ctx;
  csi::v1::ControllerUnpublishVolumeRequest unpub;
  csi::v1::ControllerUnpublishVolumeResponse unpubResp;
  EXPECT_EQ(ctl().ControllerUnpublishVolume(&ctx, unpub, &unpubResp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  unpub.set_volume_id(id);
  unpub.set_node_id(kNode);
  for (int i = 0; i < 2; ++i) {
    grpc::ClientContext c;
    EXPECT_TRUE(ctl().ControllerUnpublishVolume(&c, unpub, &unpubResp).ok());
  }
  unpub.set_volume_id("default/" + protocol() + "/tank/k8s/missing");
  grpc::ClientContext c2;
  EXPECT_TRUE(ctl().ControllerUnpublishVolume(&c2, unpub, &unpubResp).ok());
}

TEST_P(Conformance, SnapshotRules) {
  std::string vol = createOk("vol-snap");
  std::string other = createOk("vol-snap-2");
  csi::v1::CreateSnapshotResponse resp, again, clash;
  EXPECT_EQ(snapshot("", vol, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(snapshot("s", "", &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(snapshot("s", "default/" + protocol() + "/tank/k8s/missing", &resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(snapshot("snap-1", vol, &resp).ok());
  EXPECT_TRUE(resp.snapshot().ready_to_use());
  EXPECT_EQ(resp.snapshot().source_volume_id(), vol);
  EXPECT_GE(resp.snapshot().size_bytes(), kGiB);
  EXPECT_GT(resp.snapshot().creation_time().seconds(), 0);
  ASSERT_TRUE(snapshot("snap-1", vol, &again).ok());
  EXPECT_EQ(again.snapshot().snapshot_id(), resp.snapshot().snapshot_id());
  EXPECT_EQ(snapshot("snap-1", other, &clash).error_code(), grpc::StatusCode::ALREADY_EXISTS);
  csi::v1::CreateSnapshotResponse longName;
  ASSERT_TRUE(snapshot(std::string(128, 's'), vol, &longName).ok());
  EXPECT_LE(longName.snapshot().snapshot_id().size(), 128u);

  auto list = [&](const csi::v1::ListSnapshotsRequest& req) {
    grpc::ClientContext ctx;
    csi::v1::ListSnapshotsResponse out;
    EXPECT_TRUE(ctl().ListSnapshots(&ctx, req, &out).ok());
    return out;
  };
  csi::v1::ListSnapshotsRequest all;
  EXPECT_EQ(list(all).entries_size(), 2);
  csi::v1::ListSnapshotsRequest byId;
  byId.set_snapshot_id(resp.snapshot().snapshot_id());
  ASSERT_EQ(list(byId).entries_size(), 1);
  byId.set_snapshot_id("default/" + protocol() + "/tank/k8s/vol-snap@missing");
  EXPECT_EQ(list(byId).entries_size(), 0);
  byId.set_snapshot_id("garbage");
  EXPECT_EQ(list(byId).entries_size(), 0);
  csi::v1::ListSnapshotsRequest bySource;
  bySource.set_source_volume_id(other);
  EXPECT_EQ(list(bySource).entries_size(), 0);
  csi::v1::ListSnapshotsRequest paged;
  paged.set_max_entries(1);
  auto page1 = list(paged);
  ASSERT_EQ(page1.entries_size(), 1);
  ASSERT_FALSE(page1.next_token().empty());
  paged.set_starting_token(page1.next_token());
  auto page2 = list(paged);
  ASSERT_EQ(page2.entries_size(), 1);
  EXPECT_NE(page1.entries(0).snapshot().snapshot_id(), page2.entries(0).snapshot().snapshot_id());
  EXPECT_TRUE(page2.next_token().empty());
  grpc::ClientContext badCtx;
  csi::v1::ListSnapshotsRequest badToken;
  badToken.set_starting_token("zzz");
  csi::v1::ListSnapshotsResponse ignored;
  EXPECT_EQ(ctl().ListSnapshots(&badCtx, badToken, &ignored).error_code(),
            grpc::StatusCode::ABORTED);

  auto del = [&](const std::string& id) {
    grpc::ClientContext ctx;
    csi::v1::DeleteSnapshotRequest req;
    req.set_snapshot_id(id);
    csi::v1::DeleteSnapshotResponse out;
    return ctl().DeleteSnapshot(&ctx, req, &out);
  };
  EXPECT_EQ(del("").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(del("garbage").ok());
  EXPECT_TRUE(del(resp.snapshot().snapshot_id()).ok());
  EXPECT_TRUE(del(resp.snapshot().snapshot_id()).ok());
  EXPECT_EQ(list(all).entries_size(), 1);
}

TEST_P(Conformance, VolumesFromSnapshotsAndVolumes) {
  std::string src = createOk("vol-src");
  csi::v1::CreateSnapshotResponse snap;
  ASSERT_TRUE(snapshot("snap-src", src, &snap).ok());
  auto fromSnap = createRequest("vol-from-snap", protocol(), 2 * kGiB);
  fromSnap.mutable_volume_content_source()->mutable_snapshot()->set_snapshot_id(
      snap.snapshot().snapshot_id());
  csi::v1::CreateVolumeResponse restored;
  ASSERT_TRUE(create(fromSnap, &restored).ok());
  EXPECT_EQ(restored.volume().content_source().snapshot().snapshot_id(),
            snap.snapshot().snapshot_id());
  EXPECT_GE(restored.volume().capacity_bytes(), 2 * kGiB) << "larger than the source: grown";
  csi::v1::CreateVolumeResponse again;
  ASSERT_TRUE(create(fromSnap, &again).ok());
  EXPECT_EQ(again.volume().volume_id(), restored.volume().volume_id());

  auto missingSnap = createRequest("vol-x", protocol());
  missingSnap.mutable_volume_content_source()->mutable_snapshot()->set_snapshot_id(
      "default/" + protocol() + "/tank/k8s/vol-src@nope");
  csi::v1::CreateVolumeResponse ignored;
  EXPECT_EQ(create(missingSnap, &ignored).error_code(), grpc::StatusCode::NOT_FOUND);

  auto fromVol = createRequest("vol-from-vol", protocol());
  fromVol.mutable_volume_content_source()->mutable_volume()->set_volume_id(src);
  csi::v1::CreateVolumeResponse cloned;
  ASSERT_TRUE(create(fromVol, &cloned).ok());
  EXPECT_EQ(cloned.volume().content_source().volume().volume_id(), src);
  auto missingVol = createRequest("vol-y", protocol());
  missingVol.mutable_volume_content_source()->mutable_volume()->set_volume_id(
      "default/" + protocol() + "/tank/k8s/nope");
  EXPECT_EQ(create(missingVol, &ignored).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_P(Conformance, ExpandAndGetVolume) {
  std::string id = createOk("vol-exp");
  auto expand = [&](const std::string& vol, int64_t size,
                    csi::v1::ControllerExpandVolumeResponse* out) {
    grpc::ClientContext ctx;
    csi::v1::ControllerExpandVolumeRequest req;
    req.set_volume_id(vol);
    if (size > 0) req.mutable_capacity_range()->set_required_bytes(size);
    return ctl().ControllerExpandVolume(&ctx, req, out);
  };
  csi::v1::ControllerExpandVolumeResponse resp;
  EXPECT_EQ(expand("", kGiB, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(expand(id, 0, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(expand("default/" + protocol() + "/tank/k8s/nope", kGiB, &resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(expand(id, 3 * kGiB, &resp).ok());
  EXPECT_GE(resp.capacity_bytes(), 3 * kGiB);
  EXPECT_EQ(resp.node_expansion_required(), protocol() == "iscsi");

  grpc::ClientContext ctx;
  csi::v1::ControllerGetVolumeRequest get;
  get.set_volume_id(id);
  csi::v1::ControllerGetVolumeResponse got;
  ASSERT_TRUE(ctl().ControllerGetVolume(&ctx, get, &got).ok());
  EXPECT_EQ(got.volume().capacity_bytes(), resp.capacity_bytes());
  EXPECT_FALSE(got.status().volume_condition().abnormal())
      << got.status().volume_condition().message();
  get.set_volume_id("default/" + protocol() + "/tank/k8s/nope");
  grpc::ClientContext ctx2;
  EXPECT_EQ(ctl().ControllerGetVolume(&ctx2, get, &got).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_P(Conformance, GetCapacity) {
  grpc::ClientContext ctx;
  csi::v1::GetCapacityRequest req;
  (*req.mutable_parameters())["protocol"] = protocol();
  csi::v1::GetCapacityResponse resp;
  ASSERT_TRUE(ctl().GetCapacity(&ctx, req, &resp).ok());
  EXPECT_GT(resp.available_capacity(), 0);
}

std::string paramName(const ::testing::TestParamInfo<Param>& info) {
  std::string backend = std::get<0>(info.param);
  if (backend != "live") {
    std::string digits;
    for (char c : backend) {
      if (c != '.') digits += c;
    }
    backend = "sim" + digits;
  }
  return backend + "_" + std::get<1>(info.param);
}

INSTANTIATE_TEST_SUITE_P(Simulator, Conformance,
                         ::testing::Combine(::testing::Values("13.0", "24.10", "25.04", "25.10"),
                                            ::testing::Values("iscsi", "nfs")),
                         paramName);
INSTANTIATE_TEST_SUITE_P(Live, Conformance,
                         ::testing::Combine(::testing::Values("live"),
                                            ::testing::Values("iscsi", "nfs")),
                         paramName);

}  // namespace
}  // namespace tnascsi::testing

// ControllerSimTest: the fixture of the controller-against-the-simulator suites. Per test: a fresh
// in-process simulator of one personality (SimBackend: pool, parent dataset tank/k8s, wildcard
// portal), a real TrueNasClient over WebSocket (or in process, when a suite's backendOptions()
// says so), and ControllerUnderTest serving the CSI services on a real unix socket, plus small
// wrappers around the RPCs. Nothing is shared between tests.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "test/integration/conformance/controller_fixture.h"
#include "test/support/truenas/sim_backend.h"

namespace tnascsi::testing {

inline constexpr int64_t kSimGiB = int64_t{1} << 30;

// Test name suffix of a personality: "25.04" -> "v2504".
inline std::string personalityName(const ::testing::TestParamInfo<const char*>& param) {
  std::string name = "v";
  for (const char* c = param.param; *c != '\0'; ++c) {
    if (*c != '.') name += *c;
  }
  return name;
}

class ControllerSimTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override { start(backendOptions()); }
  // The simulator of this suite: the test parameter's personality over a loopback WebSocket.
  // Suites override it (e.g. Link::kInProcess).
  virtual SimBackend::Options backendOptions() const {
    SimBackend::Options options;
    options.personality = GetParam();
    return options;
  }
  // The controller's settings for the simulated backend (one portal).
  virtual controller::provision::BackendConfig backendConfig() const {
    controller::provision::BackendConfig config;
    config.parentDataset = sim_->parent();
    config.portals = {"192.0.2.10:3260"};
    config.nfsServer = "192.0.2.10";
    return config;
  }
  // (Re)starts the simulator with `options` and a controller connected to it.
  void start(const SimBackend::Options& options) {
    cut_.reset();
    sim_ = std::make_unique<SimBackend>(options);
    cut_ = std::make_unique<ControllerUnderTest>(
        std::vector<FixtureBackend>{{backendConfig(), &sim_->api()}});
  }
  void TearDown() override {
    cut_.reset();
    sim_.reset();
  }
  // A controller restart: new services and a new TrueNAS connection, same simulator; the new
  // controller's leftover sweep waits `sweepDebounce` (at most `sweepMaxDelay`).
  void restartController(std::chrono::milliseconds sweepDebounce = std::chrono::seconds(5),
                         std::chrono::milliseconds sweepMaxDelay = std::chrono::seconds(60)) {
    cut_.reset();
    sim_->reconnect();
    cut_ = std::make_unique<ControllerUnderTest>(
        std::vector<FixtureBackend>{{backendConfig(), &sim_->api()}}, "csi.truenas-csi.io",
        sweepDebounce, sweepMaxDelay);
  }

  csi::v1::Controller::Stub& ctl() { return cut_->controller(); }
  grpc::Status create(const csi::v1::CreateVolumeRequest& req,
                      csi::v1::CreateVolumeResponse* resp) {
    grpc::ClientContext ctx;
    return ctl().CreateVolume(&ctx, req, resp);
  }
  std::string createOk(const std::string& name, const std::string& protocol,
                       int64_t size = kSimGiB) {
    csi::v1::CreateVolumeResponse resp;
    grpc::Status s = create(createRequest(name, protocol, size), &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.volume().volume_id();
  }
  grpc::Status del(const std::string& id) {
    grpc::ClientContext ctx;
    csi::v1::DeleteVolumeRequest req;
    req.set_volume_id(id);
    csi::v1::DeleteVolumeResponse resp;
    return ctl().DeleteVolume(&ctx, req, &resp);
  }
  grpc::Status publish(const std::string& id, const std::string& node,
                       const csi::v1::VolumeCapability& cap = mountCapability()) {
    grpc::ClientContext ctx;
    csi::v1::ControllerPublishVolumeRequest req;
    req.set_volume_id(id);
    req.set_node_id(node);
    *req.mutable_volume_capability() = cap;
    csi::v1::ControllerPublishVolumeResponse resp;
    return ctl().ControllerPublishVolume(&ctx, req, &resp);
  }
  grpc::Status unpublish(const std::string& id, const std::string& node) {
    grpc::ClientContext ctx;
    csi::v1::ControllerUnpublishVolumeRequest req;
    req.set_volume_id(id);
    req.set_node_id(node);
    csi::v1::ControllerUnpublishVolumeResponse resp;
    return ctl().ControllerUnpublishVolume(&ctx, req, &resp);
  }
  grpc::Status snapshot(const std::string& name, const std::string& source,
                        csi::v1::CreateSnapshotResponse* resp) {
    grpc::ClientContext ctx;
    csi::v1::CreateSnapshotRequest req;
    req.set_name(name);
    req.set_source_volume_id(source);
    return ctl().CreateSnapshot(&ctx, req, resp);
  }
  grpc::Status deleteSnapshot(const std::string& id) {
    grpc::ClientContext ctx;
    csi::v1::DeleteSnapshotRequest req;
    req.set_snapshot_id(id);
    csi::v1::DeleteSnapshotResponse resp;
    return ctl().DeleteSnapshot(&ctx, req, &resp);
  }
  csi::v1::ListSnapshotsResponse listSnapshots(const csi::v1::ListSnapshotsRequest& req) {
    grpc::ClientContext ctx;
    csi::v1::ListSnapshotsResponse out;
    grpc::Status s = ctl().ListSnapshots(&ctx, req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }
  // Sweeps the iSCSI leftovers and expects nothing of ours left on the simulator (`keep*` foreign
  // objects the test made itself stay).
  void expectNothingLeft(size_t keepInitiators = 0, size_t keepAuths = 0) {
    ASSERT_TRUE(cut_->sweepExports().ok());
    EXPECT_EQ(sim_->leftovers(keepInitiators, keepAuths), "");
  }
  std::string calls() const {
    std::string out;
    for (const auto& [m, n] : sim_->callsByMethod()) out += m + "=" + std::to_string(n) + " ";
    return out;
  }

  std::unique_ptr<SimBackend> sim_;
  std::unique_ptr<ControllerUnderTest> cut_;
};

}  // namespace tnascsi::testing

// Shared fixture for the stage-flow tests: a temp kubelet dir and state dir, the fake host, and
// NodeVolumes/SelfHealer wired to them; helpers build requests for one fake iSCSI target.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <string>

#include "agent/stage/node_volumes.h"
#include "agent/stage/self_healer.h"
#include "test/fakes/agent/kernel/fake_kernel.h"
#include "test/fakes/agent/kernel/manual_clock.h"

namespace tnascsi::agent::stage::testing {

inline constexpr char kIqn[] = "iqn.2005-10.org.freenas.ctl:pvc-1";
inline constexpr char kAddr[] = "192.0.2.10";

class StageTest : public ::testing::Test {
 protected:
  StageTest() : root_(makeTemp()), store_(root_ + "/state") {
    kubelet_ = root_ + "/kubelet";
    std::filesystem::create_directories(kubelet_ + "/plugins/staging");
    std::filesystem::create_directories(kubelet_ + "/pods");
    EXPECT_TRUE(store_.init().ok());
    config_.kubeletDir = kubelet_;
    config_.lunWaitTimeout = std::chrono::milliseconds(100);
    config_.resolve = [](const std::string& h) -> StatusOr<std::string> { return h; };
    config_.abandonedAfter = std::chrono::seconds(600);
    rebuild();
    fakes::FakeTarget t;
    t.iqn = kIqn;
    t.address = kAddr;
    t.luns[0] = fakes::makeLun(0, "SER-0", {"naa.6589cfc000000aaa"});
    t.luns[1] = fakes::makeLun(1, "SER-1", {"naa.6589cfc000000bbb"});
    host_.kernel.addTarget(t);
  }
  ~StageTest() override {
    healer_.reset();
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  // Rebuilds the agent-side objects (as after an agent restart); the fake host keeps its state.
  void rebuild() {
    healer_.reset();
    volumes_.reset();
    attacher_.reset();
    inflight_ = std::make_unique<common::InFlight>();
    StageEnv env{host_.initiator, host_.blocks, host_.filesystems, host_.mounter,
                 clock_,          store_,       *inflight_,        &host_.multipath};
    attacher_ = std::make_unique<IscsiAttacher>(env, config_);
    volumes_ = std::make_unique<NodeVolumes>(env, config_, *attacher_, health_);
    healer_ = std::make_unique<SelfHealer>(env, config_, *attacher_, health_);
  }

  std::string staging(const std::string& vol = "pvc-1") const {
    return kubelet_ + "/plugins/staging/" + vol;
  }
  std::string target(const std::string& vol = "pvc-1") const {
    return kubelet_ + "/pods/p1/volumes/" + vol + "/mount";
  }

  StageRequest iscsiRequest(const std::string& vol = "pvc-1", int lun = 0) const {
    StageRequest r;
    r.volumeId = vol;
    r.stagingPath = staging(vol);
    r.fsType = "ext4";
    r.context = {{"protocol", "iscsi"},
                 {"portal", std::string(kAddr) + ":3260"},
                 {"iqn", kIqn},
                 {"lun", std::to_string(lun)},
                 {"serial", "SER-" + std::to_string(lun)}};
    return r;
  }

  StageRequest nfsRequest(const std::string& vol = "nfs-1") const {
    StageRequest r;
    r.volumeId = vol;
    r.stagingPath = staging(vol);
    r.context = {{"protocol", "nfs"}, {"server", "192.0.2.20"}, {"share", "/mnt/tank/k8s/" + vol}};
    return r;
  }

  PublishRequest publishRequest(const std::string& vol = "pvc-1", bool ro = false) const {
    PublishRequest p;
    p.volumeId = vol;
    p.stagingPath = staging(vol);
    p.targetPath = target(vol);
    p.readOnly = ro;
    return p;
  }

  static std::string makeTemp() {
    char tmpl[] = "/tmp/tnas-stage-XXXXXX";
    char* dir = ::mkdtemp(tmpl);
    return dir == nullptr ? std::string("/tmp") : std::string(dir);
  }

  std::string root_;
  std::string kubelet_;
  AttachRecordStore store_;
  StageConfig config_;
  fakes::FakeHost host_;
  fakes::ManualClock clock_;
  VolumeHealth health_;
  std::unique_ptr<common::InFlight> inflight_;
  std::unique_ptr<IscsiAttacher> attacher_;
  std::unique_ptr<NodeVolumes> volumes_;
  std::unique_ptr<SelfHealer> healer_;
};

}  // namespace tnascsi::agent::stage::testing

// ControllerUnderTest: the controller's CSI services (Identity + Controller) built over any
// TrueNasApi and served on a real unix socket in a temp directory, with gRPC stubs to call them.
// The conformance suite and the controller integration tests pass the TrueNasClient of a
// SimBackend (test/support/truenas) or one connected to a live TrueNAS.
// restart() throws the services away and builds new ones over the same TrueNasApi, like a
// controller pod restart. Not thread-safe itself; the stubs may be used from many threads.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/csi/identity_service.h"
#include "common/rpc/unix_server.h"
#include "controller/provision/backend.h"
#include "controller/provision/snapshot_manager.h"
#include "controller/provision/volume_manager.h"
#include "controller/service/backend_readiness.h"
#include "controller/service/controller_service.h"
#include "proto/csi.grpc.pb.h"

namespace tnascsi::testing {

struct FixtureBackend {
  controller::provision::BackendConfig config;
  controller::truenas::TrueNasApi* api = nullptr;  // not owned
};

class ControllerUnderTest {
 public:
  // `sweepDebounce`/`sweepMaxDelay`: VolumeManager's delays of the iSCSI leftover sweep (after
  // a delete, and at most under continuous deletes; also after start-up).
  explicit ControllerUnderTest(std::vector<FixtureBackend> backends,
                               std::string driverName = "csi.truenas-csi.io",
                               std::chrono::milliseconds sweepDebounce = std::chrono::seconds(5),
                               std::chrono::milliseconds sweepMaxDelay = std::chrono::seconds(60));
  ~ControllerUnderTest();

  // Stops serving, rebuilds every service over the same backends, serves again.
  void restart();
  // Runs the iSCSI leftover sweep on every backend now (DeleteVolume leaves initiator groups to
  // it; see controller/provision/export_collector.h). The first error.
  Status sweepExports() { return volumes_->sweepExports(); }

  csi::v1::Controller::Stub& controller() { return *controllerStub_; }
  csi::v1::Identity::Stub& identity() { return *identityStub_; }
  const std::string& socketPath() const { return socket_; }

 private:
  void start();
  void stop();

  std::vector<FixtureBackend> backends_;
  std::string driverName_;
  std::chrono::milliseconds sweepDebounce_;
  std::chrono::milliseconds sweepMaxDelay_;
  std::string dir_;
  std::string socket_;
  std::unique_ptr<controller::provision::BackendRegistry> registry_;
  std::unique_ptr<controller::provision::VolumeManager> volumes_;
  std::unique_ptr<controller::provision::SnapshotManager> snapshots_;
  std::unique_ptr<controller::ControllerService> controllerService_;
  std::unique_ptr<controller::BackendReadiness> readiness_;
  std::unique_ptr<common::IdentityService> identityService_;
  std::unique_ptr<common::UnixGrpcServer> server_;
  std::unique_ptr<csi::v1::Controller::Stub> controllerStub_;
  std::unique_ptr<csi::v1::Identity::Stub> identityStub_;
};

// Request builders shared by the suites.
csi::v1::VolumeCapability mountCapability(
    csi::v1::VolumeCapability::AccessMode::Mode mode =
        csi::v1::VolumeCapability::AccessMode::SINGLE_NODE_WRITER,
    const std::string& fsType = "ext4");
csi::v1::VolumeCapability blockCapability(csi::v1::VolumeCapability::AccessMode::Mode mode);
// A volume's context as a std::map (protobuf maps do not compare).
std::map<std::string, std::string> contextOf(const csi::v1::Volume& volume);
csi::v1::CreateVolumeRequest createRequest(const std::string& name, const std::string& protocol,
                                           int64_t requiredBytes = 1LL << 30);

}  // namespace tnascsi::testing

// ControllerUnderTest implementation (see controller_fixture.h).
#include "test/integration/conformance/controller_fixture.h"

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>

namespace tnascsi::testing {

ControllerUnderTest::ControllerUnderTest(std::vector<FixtureBackend> backends,
                                         std::string driverName,
                                         std::chrono::milliseconds sweepDebounce,
                                         std::chrono::milliseconds sweepMaxDelay)
    : backends_(std::move(backends)),
      driverName_(std::move(driverName)),
      sweepDebounce_(sweepDebounce),
      sweepMaxDelay_(sweepMaxDelay) {
  char tmpl[] = "/tmp/tnas-ctrl-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  socket_ = dir_ + "/csi.sock";
  start();
}

ControllerUnderTest::~ControllerUnderTest() {
  stop();
  std::filesystem::remove_all(dir_);
}

void ControllerUnderTest::start() {
  registry_ = std::make_unique<controller::provision::BackendRegistry>();
  std::vector<controller::BackendReadiness::Entry> entries;
  for (const auto& b : backends_) {
    registry_->add(std::make_unique<controller::provision::Backend>(b.config, *b.api));
    entries.push_back({b.config.name, b.api});
  }
  volumes_ = std::make_unique<controller::provision::VolumeManager>(*registry_, driverName_,
                                                                    sweepDebounce_, sweepMaxDelay_);
  snapshots_ = std::make_unique<controller::provision::SnapshotManager>(*volumes_);
  controllerService_ = std::make_unique<controller::ControllerService>(*volumes_, *snapshots_);
  readiness_ = std::make_unique<controller::BackendReadiness>(entries);
  common::IdentityConfig identity;
  identity.driverName = driverName_;
  identity.version = "test";
  identity.capabilities = {
      common::serviceCapability(csi::v1::PluginCapability::Service::CONTROLLER_SERVICE)};
  identityService_ = std::make_unique<common::IdentityService>(identity, *readiness_);
  common::ServerOptions options;
  options.endpoint = "unix://" + socket_;
  options.maxThreads = 64;
  auto server =
      common::UnixGrpcServer::start(options, {identityService_.get(), controllerService_.get()});
  if (!server.ok()) throw std::runtime_error(std::string(server.status().message()));
  server_ = std::move(*server);
  auto channel = grpc::CreateChannel("unix://" + socket_, grpc::InsecureChannelCredentials());
  controllerStub_ = csi::v1::Controller::NewStub(channel);
  identityStub_ = csi::v1::Identity::NewStub(channel);
}

void ControllerUnderTest::stop() {
  controllerStub_.reset();
  identityStub_.reset();
  if (server_) server_->shutdown(std::chrono::seconds(1));
  server_.reset();
  identityService_.reset();
  readiness_.reset();
  controllerService_.reset();
  snapshots_.reset();
  volumes_.reset();
  registry_.reset();
}

void ControllerUnderTest::restart() {
  stop();
  start();
}

csi::v1::VolumeCapability mountCapability(csi::v1::VolumeCapability::AccessMode::Mode mode,
                                          const std::string& fsType) {
  csi::v1::VolumeCapability cap;
  cap.mutable_access_mode()->set_mode(mode);
  cap.mutable_mount()->set_fs_type(fsType);
  return cap;
}

csi::v1::VolumeCapability blockCapability(csi::v1::VolumeCapability::AccessMode::Mode mode) {
  csi::v1::VolumeCapability cap;
  cap.mutable_access_mode()->set_mode(mode);
  cap.mutable_block();
  return cap;
}

std::map<std::string, std::string> contextOf(const csi::v1::Volume& volume) {
  return {volume.volume_context().begin(), volume.volume_context().end()};
}

csi::v1::CreateVolumeRequest createRequest(const std::string& name, const std::string& protocol,
                                           int64_t requiredBytes) {
  csi::v1::CreateVolumeRequest req;
  req.set_name(name);
  req.mutable_capacity_range()->set_required_bytes(requiredBytes);
  *req.add_volume_capabilities() =
      protocol == "nfs"
          ? mountCapability(csi::v1::VolumeCapability::AccessMode::MULTI_NODE_MULTI_WRITER, "")
          : mountCapability();
  (*req.mutable_parameters())["protocol"] = protocol;
  return req;
}

}  // namespace tnascsi::testing

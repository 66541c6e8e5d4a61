// KubeletRegistration (see kubelet_registration.h).
#include "agent/registration/kubelet_registration.h"

#include <sys/stat.h>

#include "common/csi/identity_service.h"
#include "common/log/log.h"
#include "common/rpc/rpc_handler.h"

namespace tnascsi::agent {

// The gRPC service; one instance per server incarnation.
class KubeletRegistration::Service final : public pluginregistration::Registration::Service {
 public:
  explicit Service(KubeletRegistration& owner) : owner_(owner) {}

  grpc::Status GetInfo(grpc::ServerContext*, const pluginregistration::InfoRequest* request,
                       pluginregistration::PluginInfo* info) override {
    return common::handleRpc("Registration.GetInfo", *request, [&] {
      info->set_type("CSIPlugin");
      info->set_name(owner_.options_.driverName);
      info->set_endpoint(owner_.options_.csiSocketPath);
      info->add_supported_versions("1.0.0");
      return absl::OkStatus();
    });
  }

  grpc::Status NotifyRegistrationStatus(grpc::ServerContext*,
                                        const pluginregistration::RegistrationStatus* status,
                                        pluginregistration::RegistrationStatusResponse*) override {
    return common::handleRpc("Registration.NotifyRegistrationStatus", *status, [&] {
      owner_.onStatus(status->plugin_registered(), status->error());
      return absl::OkStatus();
    });
  }

 private:
  KubeletRegistration& owner_;
};

KubeletRegistration::KubeletRegistration(RegistrationOptions options)
    : options_(std::move(options)) {}

KubeletRegistration::~KubeletRegistration() {
  stop();
}

std::string KubeletRegistration::socketPath() const {
  return options_.registrationDir + "/" + options_.driverName + "-reg.sock";
}

int KubeletRegistration::recreations() const {
  std::lock_guard<std::mutex> lock(mu_);
  return recreations_;
}

bool KubeletRegistration::registered() const {
  std::lock_guard<std::mutex> lock(mu_);
  return registered_;
}

Status KubeletRegistration::startServerLocked() {
  service_ = std::make_unique<Service>(*this);
  common::ServerOptions server;
  server.endpoint = "unix://" + socketPath();
  server.maxThreads = 2;
  server.socketMode = 0600;
  auto started = common::UnixGrpcServer::start(server, {service_.get()});
  if (!started.ok()) {
    service_.reset();
    return common::annotate(started.status(), "kubelet registration socket");
  }
  server_ = std::move(*started);
  TNAS_LOG(Info).kv("socket", socketPath()).kv("endpoint", options_.csiSocketPath)
      << "serving kubelet plugin registration";
  return absl::OkStatus();
}

Status KubeletRegistration::start() {
  TNAS_RETURN_IF_ERROR(common::validateDriverName(options_.driverName));
  if (options_.registrationDir.empty() || options_.registrationDir.front() != '/') {
    return absl::InvalidArgumentError("registration directory must be an absolute path");
  }
  struct stat st {};
  if (::stat(options_.csiSocketPath.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) {
    return absl::FailedPreconditionError("CSI socket " + options_.csiSocketPath +
                                         " does not exist yet; start the CSI server first");
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (running_) return absl::OkStatus();
  TNAS_RETURN_IF_ERROR(startServerLocked());
  running_ = true;
  worker_ = std::thread([this] { worker(); });
  return absl::OkStatus();
}

void KubeletRegistration::stop() {
  std::unique_ptr<common::UnixGrpcServer> server;
  {
    std::lock_guard<std::mutex> lock(mu_);
    running_ = false;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    server = std::move(server_);
  }
  if (server) server->shutdown(std::chrono::seconds(1));  // removes the socket: deregisters
  std::lock_guard<std::mutex> lock(mu_);
  service_.reset();
}

void KubeletRegistration::onStatus(bool registered, const std::string& error) {
  std::lock_guard<std::mutex> lock(mu_);
  registered_ = registered;
  if (registered) {
    TNAS_LOG(Info).kv("driver", options_.driverName) << "kubelet registered the plugin";
    return;
  }
  TNAS_LOG(Error).kv("driver", options_.driverName).kv("error", error)
      << "kubelet refused the plugin registration; re-creating the socket after a back-off";
  restartRequested_ = true;
  cv_.notify_all();
}

// Restarts happen here, never inside an RPC handler (shutting a server down from one of its own
// handlers would wait for itself).
void KubeletRegistration::worker() {
  std::unique_lock<std::mutex> lock(mu_);
  while (running_) {
    cv_.wait(lock, [this] { return !running_ || restartRequested_; });
    if (!running_) break;
    restartRequested_ = false;
    auto server = std::move(server_);
    lock.unlock();
    if (server) server->shutdown(std::chrono::seconds(1));
    server.reset();
    lock.lock();
    cv_.wait_for(lock, options_.retryBackoff, [this] { return !running_; });
    if (!running_) break;
    Status started = startServerLocked();
    if (started.ok()) {
      ++recreations_;
    } else {
      TNAS_LOG(Error) << "cannot re-create the registration socket: " << started;
      restartRequested_ = true;  // try again after another back-off
    }
  }
}

}  // namespace tnascsi::agent

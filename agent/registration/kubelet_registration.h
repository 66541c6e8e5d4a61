// KubeletRegistration: the node agent registers itself with kubelet, replacing the
// node-driver-registrar sidecar. It serves pluginregistration.Registration on
// <kubelet-dir>/plugins_registry/<driver>-reg.sock; kubelet's plugin watcher finds the socket,
// calls GetInfo (→ {type "CSIPlugin", driver name, CSI socket path, ["1.0.0"]}), then calls the
// CSI socket's NodeGetInfo and reports back through NotifyRegistrationStatus.
//
// Lifecycle: start() only after the CSI socket exists (kubelet dials it as soon as it sees the
// registration socket). When kubelet reports plugin_registered=false, the error is logged and the
// registration socket is removed and re-created after a back-off, which makes kubelet try again.
// stop() (and the destructor) removes the socket, which deregisters the plugin.
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/base/status.h"
#include "common/rpc/unix_server.h"
#include "proto/pluginregistration.grpc.pb.h"

namespace tnascsi::agent {

struct RegistrationOptions {
  std::string registrationDir = "/var/lib/kubelet/plugins_registry";
  std::string driverName;
  std::string csiSocketPath;  // host path of the CSI socket, as kubelet must dial it
  std::chrono::milliseconds retryBackoff{5000};
};

class KubeletRegistration {
 public:
  explicit KubeletRegistration(RegistrationOptions options);
  ~KubeletRegistration();
  KubeletRegistration(const KubeletRegistration&) = delete;
  KubeletRegistration& operator=(const KubeletRegistration&) = delete;

  // Creates the registration socket and starts serving. FailedPrecondition if the CSI socket does
  // not exist yet; InvalidArgument for a bad driver name or paths; the server's error otherwise.
  Status start();

  // Stops serving and removes the socket. Idempotent.
  void stop();

  std::string socketPath() const;
  // How many times the socket was re-created after a failed registration (for tests/metrics).
  int recreations() const;
  // Whether kubelet last reported success.
  bool registered() const;

 private:
  class Service;
  Status startServerLocked();
  void onStatus(bool registered, const std::string& error);
  void worker();

  RegistrationOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::unique_ptr<Service> service_;                // guarded by mu_
  std::unique_ptr<common::UnixGrpcServer> server_;  // guarded by mu_
  bool running_ = false;                            // guarded by mu_
  bool restartRequested_ = false;                   // guarded by mu_
  bool registered_ = false;                         // guarded by mu_
  int recreations_ = 0;                             // guarded by mu_
  std::thread worker_;
};

}  // namespace tnascsi::agent

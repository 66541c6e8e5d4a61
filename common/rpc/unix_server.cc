// UnixGrpcServer implementation (see unix_server.h).
#include "common/rpc/unix_server.h"

#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <thread>

#include "common/base/files.h"
#include "common/log/log.h"
#include "common/rpc/rpc_handler.h"

namespace tnascsi::common {

StatusOr<std::string> parseUnixEndpoint(const std::string& endpoint) {
  std::string path;
  if (endpoint.rfind("unix://", 0) == 0) {
    path = endpoint.substr(7);
  } else if (endpoint.rfind("unix:", 0) == 0) {
    path = endpoint.substr(5);
  } else {
    return absl::InvalidArgumentError("endpoint '" + endpoint +
                                      "' must be a unix socket: unix:///absolute/path.sock");
  }
  if (path.empty() || path[0] != '/') {
    return absl::InvalidArgumentError("endpoint '" + endpoint +
                                      "' must name an absolute path: unix:///absolute/path.sock");
  }
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    return absl::InvalidArgumentError("endpoint path '" + path + "' is longer than " +
                                      std::to_string(sizeof(sockaddr_un::sun_path) - 1) +
                                      " bytes, the limit for a unix socket");
  }
  return path;
}

Status removeStaleSocket(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return errnoStatus("stat " + path, errno);
  }
  if (!S_ISSOCK(st.st_mode)) {
    return absl::FailedPreconditionError(path +
                                         " exists and is not a socket; refusing to remove it");
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return errnoStatus("remove " + path, errno);
  TNAS_LOG(Info).kv("path", path) << "removed stale socket";
  return absl::OkStatus();
}

Status ensureParentDirectory(const std::string& path) {
  // On a fresh host kubelet's plugin directory for this driver does not exist yet.
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return absl::OkStatus();
  return makeDirs(path.substr(0, slash), 0750);
}

StatusOr<std::unique_ptr<UnixGrpcServer>> UnixGrpcServer::start(
    const ServerOptions& options, const std::vector<grpc::Service*>& services) {
  TNAS_ASSIGN_OR_RETURN(std::string path, parseUnixEndpoint(options.endpoint));
  TNAS_RETURN_IF_ERROR(ensureParentDirectory(path));
  TNAS_RETURN_IF_ERROR(removeStaleSocket(path));

  grpc::ServerBuilder builder;
  grpc::ResourceQuota quota("tnas-server");
  quota.SetMaxThreads(options.maxThreads < 2 ? 2 : options.maxThreads);
  builder.SetResourceQuota(quota);
  builder.AddListeningPort("unix://" + path, grpc::InsecureServerCredentials());
  for (grpc::Service* s : services) builder.RegisterService(s);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    return absl::UnavailableError("cannot listen on " + path +
                                  " (does the directory exist and is it writable?)");
  }
  if (::chmod(path.c_str(), options.socketMode) != 0) {
    Status s = errnoStatus("chmod " + path, errno);
    server->Shutdown();
    return s;
  }
  TNAS_LOG(Info).kv("endpoint", "unix://" + path).kv("max_threads", options.maxThreads)
      << "serving";
  return std::unique_ptr<UnixGrpcServer>(new UnixGrpcServer(path, std::move(server)));
}

void UnixGrpcServer::shutdown(std::chrono::milliseconds grace) {
  if (stopped_) return;
  stopped_ = true;
  // gRPC's Shutdown(deadline) waits out the whole deadline while any client keeps its connection
  // open (kubelet and the sidecars always do), so drain the running calls ourselves and then shut
  // down at once: an idle server stops immediately, a busy one gets up to `grace`.
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (runningRpcs() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (runningRpcs() > 0) {
    TNAS_LOG(Warn).kv("running", runningRpcs()) << "cancelling calls still running at shutdown";
  }
  // A handler that has returned may still be writing its response; cancelling it then would
  // turn a finished call into CANCELLED at the client. Give the writes a short, bounded window.
  auto flush = std::min<std::chrono::steady_clock::duration>(
      std::chrono::milliseconds(250),
      std::max<std::chrono::steady_clock::duration>(deadline - std::chrono::steady_clock::now(),
                                                    std::chrono::milliseconds(0)));
  server_->Shutdown(std::chrono::system_clock::now() + flush);
  server_->Wait();
  ::unlink(path_.c_str());
  TNAS_LOG(Info).kv("endpoint", "unix://" + path_) << "stopped";
}

UnixGrpcServer::~UnixGrpcServer() {
  shutdown();
}

}  // namespace tnascsi::common

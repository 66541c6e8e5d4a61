// UnixGrpcServer: a gRPC sync-API server on a unix socket, as both binaries serve CSI. It parses
// `unix:///path` endpoints, removes a stale socket left by a previous run (only if it is a socket),
// bounds the handler threads with a ResourceQuota, sets the socket's mode, and removes the socket
// on shutdown. Thread-safe: shutdown() may be called from any thread.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/base/status.h"

namespace tnascsi::common {

// "unix:///run/csi.sock" or "unix:/run/csi.sock" -> "/run/csi.sock". InvalidArgument for other
// schemes, relative paths and paths longer than a sockaddr_un allows.
StatusOr<std::string> parseUnixEndpoint(const std::string& endpoint);

// Removes `path` if it is a socket; OK if it does not exist; FailedPrecondition if something
// other than a socket is there (we never delete a file we did not create).
Status removeStaleSocket(const std::string& path);

struct ServerOptions {
  std::string endpoint;  // unix:///path
  int maxThreads = 16;   // bound on concurrently running handlers
  unsigned socketMode = 0660;
};

class UnixGrpcServer {
 public:
  // Builds and starts the server with `services` (not owned; must outlive the server).
  static StatusOr<std::unique_ptr<UnixGrpcServer>> start(
      const ServerOptions& options, const std::vector<grpc::Service*>& services);
  ~UnixGrpcServer();

  // Stops accepting calls, waits up to `grace` for running calls, then cancels them; removes the
  // socket. Idempotent.
  void shutdown(std::chrono::milliseconds grace = std::chrono::seconds(5));
  const std::string& socketPath() const { return path_; }
  grpc::Server& grpcServer() { return *server_; }

 private:
  UnixGrpcServer(std::string path, std::unique_ptr<grpc::Server> server)
      : path_(std::move(path)), server_(std::move(server)) {}
  std::string path_;
  std::unique_ptr<grpc::Server> server_;
  bool stopped_ = false;
};

}  // namespace tnascsi::common

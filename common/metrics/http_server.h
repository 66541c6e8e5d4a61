// MetricsServer: the small HTTP server both binaries run when --metrics-address is set, on
// libevent's evhttp (Debian's libevent-dev, linked statically: only its HTTP code comes in, and
// the node agent maps no Poco). GET (or HEAD) /metrics answers the registry in text format 0.0.4;
// /healthz answers 200 "ok" while the process serves HTTP (a liveness check: it does not ask
// TrueNAS or iscsid, whose outages a restart would not cure; CSI Probe reports readiness).
// Anything else is 404, other methods 405. One event-loop thread: a scrape is cheap; requests
// time out after 5 s, headers are capped at 8 KiB, bodies refused, every connection closed after
// its answer.
//
// Thread-safe.
#pragma once

#include <memory>
#include <string>

#include "common/base/status.h"
#include "common/metrics/registry.h"

namespace tnascsi::common::metrics {

struct ListenAddress {
  std::string host;  // "0.0.0.0" when the address was ":port"
  int port = 0;
};

// Parses "host:port", ":port" (every IPv4 interface) or "[v6]:port"; port 0..65535 (0: any free
// port, for tests). InvalidArgument with the reason otherwise.
StatusOr<ListenAddress> parseListenAddress(const std::string& address);

class MetricsServer {
 public:
  // Binds and starts serving `registry` (not owned; must outlive the server).
  static StatusOr<std::unique_ptr<MetricsServer>> start(const std::string& address,
                                                        Registry& registry);
  ~MetricsServer();  // stops serving
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The bound port (the real one when started with port 0).
  int port() const { return port_; }

 private:
  struct Loop;  // libevent's base, evhttp and the wake-up event, owned by the loop thread
  MetricsServer(std::unique_ptr<Loop> loop, int port);

  std::unique_ptr<Loop> loop_;
  int port_;
};

}  // namespace tnascsi::common::metrics

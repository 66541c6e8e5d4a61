// MetricsServer on libevent's evhttp (see http_server.h).
#include "common/metrics/http_server.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "common/base/c_handle.h"
#include "common/log/log.h"
#include "common/metrics/exposition.h"

namespace tnascsi::common::metrics {
namespace {

using EventBase = CHandle<event_base, &event_base_free>;
using Http = CHandle<evhttp, &evhttp_free>;
using Event = CHandle<event, &event_free>;

void reply(evhttp_request* req, int code, const char* reason, const char* type,
           const std::string& body) {
  evkeyvalq* headers = evhttp_request_get_output_headers(req);
  evhttp_add_header(headers, "Content-Type", type);
  // Set here so a HEAD answer carries the length of the body it omits (evhttp drops the body).
  evhttp_add_header(headers, "Content-Length", std::to_string(body.size()).c_str());
  evhttp_add_header(headers, "Connection", "close");
  if (evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
    evbuffer_add(evhttp_request_get_output_buffer(req), body.data(), body.size());
  }
  evhttp_send_reply(req, code, reason, nullptr);
}

void handle(evhttp_request* req, void* arg) {
  Registry& registry = *static_cast<Registry*>(arg);
  const evhttp_cmd_type method = evhttp_request_get_command(req);
  const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
  const char* rawPath = uri != nullptr ? evhttp_uri_get_path(uri) : nullptr;
  const std::string path = rawPath != nullptr ? rawPath : "";
  if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD) {
    evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
    reply(req, 405, "Method Not Allowed", "text/plain", "method not allowed\n");
  } else if (path == "/metrics") {
    reply(req, 200, "OK", kContentType, registry.render());
  } else if (path == "/healthz") {
    reply(req, 200, "OK", "text/plain", "ok\n");
  } else {
    reply(req, 404, "Not Found", "text/plain", "not found\n");
  }
}

// libevent's own warnings (a refused connection, a malformed request) at debug level.
void logFromLibevent(int severity, const char* msg) {
  if (severity >= EVENT_LOG_WARN) {
    TNAS_LOG(Debug).kv("error", msg) << "metrics server";
  }
}

}  // namespace

struct MetricsServer::Loop {
  EventBase base;
  Http http;
  int wake = -1;  // an eventfd written by ~MetricsServer; its event breaks the loop
  Event wakeEvent;
  std::thread thread;

  ~Loop() {
    wakeEvent.reset();  // before its fd goes
    if (wake >= 0) ::close(wake);
  }
};

StatusOr<ListenAddress> parseListenAddress(const std::string& address) {
  auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError("--metrics-address '" + address + "': " + why +
                                      " (want host:port, :port or [v6]:port)");
  };
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return bad("no port");
  ListenAddress out;
  out.host = address.substr(0, colon);
  const std::string port = address.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos) {
    return bad("the port is not a number");
  }
  out.port = std::atoi(port.c_str());
  if (out.port > 65535) return bad("the port is above 65535");
  if (out.host.empty()) {
    out.host = "0.0.0.0";
  } else if (out.host.front() == '[') {
    if (out.host.size() < 3 || out.host.back() != ']') return bad("unbalanced brackets");
    out.host = out.host.substr(1, out.host.size() - 2);
  } else if (out.host.find(':') != std::string::npos) {
    return bad("an IPv6 host needs brackets");
  }
  return out;
}

MetricsServer::MetricsServer(std::unique_ptr<Loop> loop, int port)
    : loop_(std::move(loop)), port_(port) {}

MetricsServer::~MetricsServer() {
  const std::uint64_t one = 1;
  if (::write(loop_->wake, &one, sizeof one) < 0) {
    TNAS_LOG(Warn).kv("errno", errno) << "cannot wake the metrics server to stop it";
  }
  loop_->thread.join();
}

StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::start(const std::string& address,
                                                              Registry& registry) {
  TNAS_ASSIGN_OR_RETURN(ListenAddress listen, parseListenAddress(address));
  static const bool logHooked = [] {
    event_set_log_callback(&logFromLibevent);
    return true;
  }();
  (void)logHooked;
  auto loop = std::make_unique<Loop>();
  loop->base.reset(event_base_new());
  if (loop->base) loop->http.reset(evhttp_new(loop->base.get()));
  loop->wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (!loop->http || loop->wake < 0) {
    return absl::ResourceExhaustedError("cannot set up the metrics server's event loop");
  }
  evhttp* http = loop->http.get();
  // Every method reaches handle(), which answers 405 itself (evhttp would say 501).
  evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
                                       EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
                                       EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
  evhttp_set_timeout(http, 5);
  evhttp_set_max_headers_size(http, 8192);
  evhttp_set_max_body_size(http, 0);
  evhttp_set_gencb(http, &handle, &registry);
  // SO_REUSEADDR for a quick restart (evhttp sets it), never SO_REUSEPORT: a second process must
  // not share the port.
  evhttp_bound_socket* bound = evhttp_bind_socket_with_handle(
      http, listen.host.c_str(), static_cast<ev_uint16_t>(listen.port));
  if (bound == nullptr) {
    const int err = errno;
    return absl::UnavailableError("cannot serve metrics on " + address + ": " +
                                  (err != 0 ? std::strerror(err) : "bind failed"));
  }
  sockaddr_storage sa{};
  socklen_t len = sizeof sa;
  int port = listen.port;
  if (::getsockname(evhttp_bound_socket_get_fd(bound), reinterpret_cast<sockaddr*>(&sa), &len) ==
      0) {
    port = sa.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&sa)->sin6_port)
                                    : ntohs(reinterpret_cast<sockaddr_in*>(&sa)->sin_port);
  }
  event_base* base = loop->base.get();
  loop->wakeEvent.reset(event_new(
      base, loop->wake, EV_READ,
      [](evutil_socket_t, short, void* b) { event_base_loopbreak(static_cast<event_base*>(b)); },
      base));
  if (!loop->wakeEvent || event_add(loop->wakeEvent.get(), nullptr) != 0) {
    return absl::ResourceExhaustedError("cannot set up the metrics server's event loop");
  }
  loop->thread = std::thread([base] { event_base_dispatch(base); });
  TNAS_LOG(Info).kv("address", listen.host + ":" + std::to_string(port))
      << "serving /metrics and /healthz";
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(loop), port));
}

}  // namespace tnascsi::common::metrics

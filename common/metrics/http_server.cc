// MetricsServer on Poco::Net::HTTPServer (see http_server.h).
#include "common/metrics/http_server.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/URI.h>

#include <cstdlib>

#include "common/log/log.h"
#include "common/metrics/exposition.h"

namespace tnascsi::common::metrics {
namespace {

using Poco::Net::HTTPResponse;

class Handler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(Registry& registry) : registry_(registry) {}

  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    try {
      const std::string path = Poco::URI(request.getURI()).getPath();
      const bool head = request.getMethod() == Poco::Net::HTTPRequest::HTTP_HEAD;
      if (request.getMethod() != Poco::Net::HTTPRequest::HTTP_GET && !head) {
        response.set("Allow", "GET, HEAD");
        reply(response, HTTPResponse::HTTP_METHOD_NOT_ALLOWED, "text/plain", "method not allowed\n",
              head);
      } else if (path == "/metrics") {
        reply(response, HTTPResponse::HTTP_OK, kContentType, registry_.render(), head);
      } else if (path == "/healthz") {
        reply(response, HTTPResponse::HTTP_OK, "text/plain", "ok\n", head);
      } else {
        reply(response, HTTPResponse::HTTP_NOT_FOUND, "text/plain", "not found\n", head);
      }
    } catch (const Poco::Exception& e) {
      TNAS_LOG(Debug).kv("error", e.displayText()) << "metrics request failed";
    } catch (const std::exception& e) {
      TNAS_LOG(Debug).kv("error", e.what()) << "metrics request failed";
    }
  }

 private:
  static void reply(Poco::Net::HTTPServerResponse& response, HTTPResponse::HTTPStatus status,
                    const std::string& type, const std::string& body, bool head) {
    response.setStatus(status);
    response.setContentType(type);
    response.setContentLength(static_cast<std::streamsize>(body.size()));
    if (head) {
      response.send();
      return;
    }
    response.sendBuffer(body.data(), body.size());
  }

  Registry& registry_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(Registry& registry) : registry_(registry) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(registry_);
  }

 private:
  Registry& registry_;
};

}  // namespace

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

MetricsServer::MetricsServer(std::unique_ptr<Poco::Net::HTTPServer> server, int port)
    : server_(std::move(server)), port_(port) {}

MetricsServer::~MetricsServer() {
  try {
    server_->stopAll(true);
  } catch (const Poco::Exception&) {  // stopping is best effort
  }
}

StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::start(const std::string& address,
                                                              Registry& registry) {
  TNAS_ASSIGN_OR_RETURN(ListenAddress listen, parseListenAddress(address));
  try {
    Poco::Net::SocketAddress where(listen.host, static_cast<Poco::UInt16>(listen.port));
    Poco::Net::ServerSocket socket;
    // SO_REUSEADDR for a quick restart, never SO_REUSEPORT: a second process must not share it.
    socket.bind(where, /*reuseAddress=*/true, /*reusePort=*/false);
    socket.listen(16);
    const int port = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams();
    params->setMaxThreads(2);
    params->setMaxQueued(16);
    params->setKeepAlive(false);
    params->setTimeout(Poco::Timespan(5, 0));
    auto server = std::make_unique<Poco::Net::HTTPServer>(new Factory(registry), socket, params);
    server->start();
    TNAS_LOG(Info).kv("address", listen.host + ":" + std::to_string(port))
        << "serving /metrics and /healthz";
    return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(server), port));
  } catch (const Poco::Exception& e) {
    return absl::UnavailableError("cannot serve metrics on " + address + ": " + e.displayText());
  }
}

}  // namespace tnascsi::common::metrics

// SimServer: construction, persistence, routing, WebSocket endpoints and lifecycle.
#include "test/truenas-sim/server/sim_server.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/WebSocket.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "common/base/files.h"
#include "common/log/log.h"
#include "test/truenas-sim/server/handlers.h"
#include "test/truenas-sim/server/ws_connection.h"

namespace tnascsi::sim {
namespace {

class WsHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  WsHandler(SimServer& server, Wire wire, const std::atomic<bool>& stopping)
      : server_(server), wire_(wire), stopping_(stopping) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    try {
      Poco::Net::WebSocket ws(request, response);
      WsConnection conn(ws, wire_, request.clientAddress().host().toString(),
                        secureTransport(server_, request), server_.dispatcher(), stopping_,
                        server_.connectionStats());
      conn.run();
    } catch (const Poco::Net::WebSocketException& e) {
      if (!response.sent()) {
        Json body = Json::object();
        body.set("message", "WebSocket upgrade required");
        sendJson(response, 400, body);
      }
    } catch (const Poco::Exception& e) {
      TNAS_LOG(Debug) << "websocket ended: " << e.displayText();
    }
  }

 private:
  SimServer& server_;
  Wire wire_;
  const std::atomic<bool>& stopping_;
};

class SimpleHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  SimpleHandler(int status, Json body) : status_(status), body_(std::move(body)) {}
  void handleRequest(Poco::Net::HTTPServerRequest&,
                     Poco::Net::HTTPServerResponse& response) override {
    sendJson(response, status_, body_);
  }

 private:
  int status_;
  Json body_;
};

// A `rewrite ^.* $scheme://$http_host/ui/ redirect` answer: 302 with a Location header.
class RedirectHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit RedirectHandler(std::string location) : location_(std::move(location)) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    response.setStatus(Poco::Net::HTTPResponse::HTTP_FOUND);
    response.set("Location", "http://" + request.getHost() + location_);
    response.setContentType("text/html");
    const std::string body = "<html><head><title>302 Found</title></head></html>\n";
    response.setContentLength(static_cast<std::streamsize>(body.size()));
    response.send() << body;
  }

 private:
  std::string location_;
};

}  // namespace

class SimRequestHandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit SimRequestHandlerFactory(SimServer& server) : server_(server) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest& request) override {
    std::string path = request.getURI();
    path = path.substr(0, path.find('?'));
    const Personality& p = server_.model().personality();
    Json notFound = Json::object();
    notFound.set("message", "Not Found");
    if (path.rfind("/_sim/", 0) == 0) return new ControlHandler(server_);
    if (path == "/websocket") return new WsHandler(server_, Wire::kLegacy, server_.stopping_);
    if (path.rfind("/api/v2.0/", 0) == 0 || path == "/api/v2.0") return new RestHandler(server_);
    if (p.jsonRpc) {
      if (path == "/api/versions" && request.getMethod() == "GET") {
        Json versions = Json::array();
        for (const auto& v : p.apiVersions) versions.push(v);
        return new SimpleHandler(200, versions);
      }
      bool rpc = path == "/api/current" || path == "/api/v24.10";
      for (const auto& v : p.apiVersions) rpc |= path == "/api/" + v;
      if (rpc) return new WsHandler(server_, Wire::kJsonRpc, server_.stopping_);
    }
    // nginx: on 24.10 and CORE 13.0 `location /` answers every path it has no location for
    // (including /api/versions) with a 302 to /ui/ (TS-24.10.2.4:src/middlewared/middlewared/
    // etc_files/local/nginx/nginx.conf.mako:195-197, TN-13.0-U6.8:.../etc_files/local/nginx/
    // nginx.conf:171-172); 25.04+ hands all of /api to the middleware, which answers 404
    // (TS-25.04.2.6:.../nginx.conf.mako:189).
    if (!(p.jsonRpc && path.rfind("/api", 0) == 0)) return new RedirectHandler("/ui/");
    return new SimpleHandler(404, notFound);
  }

 private:
  SimServer& server_;
};

bool secureTransport(const SimServer& server, const Poco::Net::HTTPServerRequest& request) {
  if (server.tls()) return true;
  return request.clientAddress().host().isLoopback() && !server.options().treatLoopbackInsecure;
}

void sendJson(Poco::Net::HTTPServerResponse& response, int status, const Json& body) {
  const std::string text = body.dump();
  response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  response.setContentType("application/json");
  response.setContentLength(static_cast<std::streamsize>(text.size()));
  response.send() << text;
}

SimServer::SimServer(SimOptions options) : options_(std::move(options)) {}

SimServer::~SimServer() {
  stop();
  if (!tlsDir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(tlsDir_, ec);
  }
}

StatusOr<std::unique_ptr<SimServer>> SimServer::create(SimOptions options,
                                                       std::unique_ptr<Backing> backing,
                                                       common::Clock* clock) {
  auto personality = personalityFor(options.personality);
  if (!personality) {
    return absl::InvalidArgumentError("unknown personality '" + options.personality +
                                      "' (use 24.10, 25.04, 25.10 or 13.0)");
  }
  if (personality->isCore() && !options.draidPools.empty()) {
    // FreeBSD's ZFS in CORE 13.0 has no dRAID (TN-13.0-U6.8: no "draid" under plugins/).
    return absl::InvalidArgumentError("TrueNAS CORE 13.0 has no dRAID pools");
  }
  std::unique_ptr<SimServer> s(new SimServer(std::move(options)));
  s->clock_ = clock ? clock : &common::systemClock();
  s->backing_ = backing ? std::move(backing) : std::make_unique<NullBacking>();
  s->model_ =
      std::make_unique<Model>(*personality, *s->backing_, *s->clock_, s->options_.backingRoot);
  std::vector<std::string> ips = {"0.0.0.0", "::", "127.0.0.1"};
  for (const auto& ip : s->options_.interfaceIps) ips.push_back(ip);
  s->model_->setInterfaceIps(ips);
  AuthOptions auth;
  auth.apiKey = s->options_.apiKey;
  auth.apiKeyUser = s->options_.apiKeyUser;
  auth.treatLoopbackInsecure = s->options_.treatLoopbackInsecure;
  auth.rateLimitDelayMsMin = s->options_.rateLimitDelayMsMin;
  auth.rateLimitDelayMsMax = s->options_.rateLimitDelayMsMax;
  auth.authFailDelayMs = s->options_.authFailDelayMs;
  s->dispatcher_ =
      std::make_unique<Dispatcher>(*s->model_, s->calls_, s->faults_, auth, *s->clock_);
  if (!s->options_.faults.isNull()) TNAS_RETURN_IF_ERROR(s->faults_.set(s->options_.faults));

  if (!s->options_.statePath.empty()) {
    auto text = common::readFile(s->options_.statePath);
    if (text.ok()) {
      auto state = Json::parse(*text);
      if (!state.ok()) return common::annotate(state.status(), s->options_.statePath);
      TNAS_RETURN_IF_ERROR(
          common::annotate(s->model_->load(state->value("model")), s->options_.statePath));
      s->dispatcher_->setKeyRevoked(state->value("auth").value("revoked", false).asBool());
    } else if (text.status().code() != StatusCode::kNotFound) {
      return text.status();
    }
  }
  for (const auto& [name, size] : s->options_.pools) {
    const auto& d = s->options_.draidPools;
    s->model_->addPool(name, size, std::find(d.begin(), d.end(), name) != d.end());
  }
  SimServer* raw = s.get();
  // A mutation only marks the state dirty; StateWriter serialises and writes it off the call path,
  // at most every 20 ms (see state_writer.h and the README's persistence cost).
  if (!s->options_.statePath.empty()) {
    s->stateWriter_ = std::make_unique<StateWriter>(
        s->options_.statePath, [raw] { return raw->renderState(); }, std::chrono::milliseconds(20));
    s->model_->setOnMutation([raw] { raw->stateWriter_->markDirty(); });
    s->dispatcher_->setOnAuthChange([raw] { raw->stateWriter_->markDirty(); });
  }
  TNAS_RETURN_IF_ERROR(s->persist());
  return s;
}

std::string SimServer::renderState() {
  Json doc = Json::object();
  doc.set("model", model_->save());
  Json auth = Json::object();
  auth.set("revoked", dispatcher_->keyRevoked());
  doc.set("auth", std::move(auth));
  return doc.dump() + "\n";
}

Status SimServer::persist() {
  if (!stateWriter_) return absl::OkStatus();
  stateWriter_->markDirty();
  stateWriter_->flush();
  return absl::OkStatus();
}

StatusOr<uint16_t> SimServer::start() {
  if (http_) return absl::FailedPreconditionError("already started");
  ::signal(SIGPIPE, SIG_IGN);
  try {
    Poco::Net::SocketAddress addr(options_.host, options_.port);
    std::unique_ptr<Poco::Net::ServerSocket> socket;
    std::string cert = options_.tlsCert, key = options_.tlsKey;
    if (options_.tlsSelfSigned) {
      char tmpl[] = "/tmp/truenas-sim-tls-XXXXXX";
      if (!::mkdtemp(tmpl)) return common::errnoStatus("mkdtemp", errno);
      tlsDir_ = tmpl;
      TNAS_RETURN_IF_ERROR(generateSelfSignedCert(tlsDir_, options_.host));
      cert = tlsDir_ + "/cert.pem";
      key = tlsDir_ + "/key.pem";
    }
    if (!cert.empty()) {
      Poco::Net::Context::Ptr ctx = new Poco::Net::Context(
          Poco::Net::Context::SERVER_USE, key, cert, "", Poco::Net::Context::VERIFY_NONE);
      socket = std::make_unique<Poco::Net::SecureServerSocket>(addr, 64, ctx);
      tls_ = true;
    } else {
      socket = std::make_unique<Poco::Net::ServerSocket>(addr, 64);
    }
    port_ = socket->address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(128);
    params->setMaxQueued(256);
    params->setKeepAlive(true);
    http_ = std::make_unique<Poco::Net::HTTPServer>(new SimRequestHandlerFactory(*this), *socket,
                                                    params);
    http_->start();
  } catch (const Poco::Exception& e) {
    http_.reset();
    return absl::UnavailableError("cannot listen on " + options_.host + ":" +
                                  std::to_string(options_.port) + ": " + e.displayText());
  }
  return port_;
}

void SimServer::stop() {
  // Also for a server that was never started: in-process callers use the dispatcher directly,
  // and its jobs must end before the model goes.
  if (stopping_.exchange(true)) return;
  faults_.release();
  if (http_) {
    http_->stopAll(false);
    // Connections notice `stopping_` within one receive timeout.
    for (int i = 0; i < 100 && http_->currentConnections() > 0; ++i) {
      clock_->sleepFor(std::chrono::milliseconds(50));
    }
  }
  dispatcher_->shutdown();
  http_.reset();
  if (stateWriter_) stateWriter_->flush();
}

std::string SimServer::wsUrl() const {
  return std::string(tls_ ? "wss://" : "ws://") + options_.host + ":" + std::to_string(port_);
}

std::string SimServer::httpUrl() const {
  return std::string(tls_ ? "https://" : "http://") + options_.host + ":" + std::to_string(port_);
}

}  // namespace tnascsi::sim

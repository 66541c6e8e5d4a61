// The in-test TrueNAS WebSocket server (see fake_truenas_server.h).
#include "test/integration/truenas/fake_truenas_server.h"

#include <Poco/Buffer.h>
#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/WebSocket.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "controller/truenas/json_util.h"

namespace tnascsi::controller::truenas::testing {

using Poco::Net::WebSocket;

struct FakeTrueNasServer::Shared {
  FakeServerConfig config;
  std::atomic<int> authAttempts{0};
  std::atomic<int> connections{0};
  std::atomic<int> maxConcurrent{0};
  std::atomic<int> tooBusy{0};
  std::atomic<int> pings{0};
  std::atomic<int> dropGeneration{0};
};

namespace {

using SharedPtr = std::shared_ptr<FakeTrueNasServer::Shared>;

class Session {
 public:
  Session(SharedPtr shared, WebSocket& ws) : shared_(std::move(shared)), ws_(ws) {}

  void run() {
    const int generation = shared_->dropGeneration;
    Poco::Buffer<char> buffer(0);
    // TLS objects must not be read and written concurrently: serve calls inline there.
    const bool inlineCalls = !shared_->config.certFile.empty();
    while (shared_->dropGeneration == generation) {
      try {
        if (ws_.available() <= 0 &&
            !ws_.poll(Poco::Timespan(0, 20 * 1000), Poco::Net::Socket::SELECT_READ)) {
          continue;
        }
        int flags = 0;
        buffer.resize(0);
        int n = 0;
        {
          std::lock_guard<std::mutex> lock(sendMu_);
          n = ws_.receiveFrame(buffer, flags);
        }
        const int opcode = flags & WebSocket::FRAME_OP_BITMASK;
        if ((n == 0 && flags == 0) || opcode == WebSocket::FRAME_OP_CLOSE) break;
        if (opcode != WebSocket::FRAME_OP_TEXT) continue;
        std::string text(buffer.begin(), static_cast<size_t>(n));
        if (inlineCalls) {
          handle(text);
        } else {
          workers_.emplace_back([this, text] { handle(text); });
        }
      } catch (const Poco::TimeoutException&) {
        continue;
      } catch (const std::exception&) {
        break;
      }
    }
    try {
      std::lock_guard<std::mutex> lock(sendMu_);
      ws_.close();
    } catch (const std::exception&) {
    }
    closed_ = true;
    for (auto& t : workers_) t.join();
  }

 private:
  void send(const json::ObjectPtr& msg) {
    const std::string text = json::stringify(msg);
    try {
      std::lock_guard<std::mutex> lock(sendMu_);
      if (closed_) return;
      ws_.sendFrame(text.data(), static_cast<int>(text.size()), WebSocket::FRAME_TEXT);
    } catch (const std::exception&) {
    }
  }

  json::ObjectPtr makeReply(const json::Var& id, const json::Var& result) {
    json::ObjectPtr m = new Poco::JSON::Object();
    if (shared_->config.jsonRpc) {
      m->set("jsonrpc", "2.0");
    } else {
      m->set("msg", "result");
    }
    m->set("id", id);
    m->set("result", result);
    return m;
  }

  json::ObjectPtr makeError(const json::Var& id, int rpcCode, int err, const std::string& reason) {
    json::ObjectPtr m = new Poco::JSON::Object();
    m->set("id", id);
    json::ObjectPtr e = new Poco::JSON::Object();
    if (shared_->config.jsonRpc) {
      m->set("jsonrpc", "2.0");
      e->set("code", rpcCode);
      e->set("message", reason);
      json::ObjectPtr data = new Poco::JSON::Object();
      data->set("error", err);
      data->set("reason", reason);
      e->set("data", data);
    } else {
      m->set("msg", "result");
      e->set("error", err);
      e->set("reason", reason);
    }
    m->set("error", e);
    return m;
  }

  void handle(const std::string& text) {
    StatusOr<json::Var> parsed = json::parse(text);
    if (!parsed.ok()) return;
    json::ObjectPtr req = json::asObject(*parsed);
    const std::string msg = json::getString(req, "msg");
    if (!shared_->config.jsonRpc) {
      if (msg == "connect") {
        json::ObjectPtr m = new Poco::JSON::Object();
        m->set("msg", "connected");
        m->set("session", "s1");
        send(m);
        return;
      }
      if (msg == "ping") {
        ++shared_->pings;
        json::ObjectPtr m = new Poco::JSON::Object();
        m->set("msg", "pong");
        m->set("id", json::get(req, "id"));
        send(m);
        return;
      }
    }
    const int running = ++running_;
    int seen = shared_->maxConcurrent;
    while (running > seen && !shared_->maxConcurrent.compare_exchange_weak(seen, running)) {
    }
    json::ObjectPtr response = call(req, running);
    --running_;  // the slot is free before the reply leaves, as the client may reuse it at once
    send(response);
  }

  json::ObjectPtr call(const json::ObjectPtr& req, int running) {
    const json::Var id = json::get(req, "id");
    const std::string method = json::getString(req, "method");
    json::ArrayPtr params = json::getArray(req, "params");
    if (running > shared_->config.hardLimit) {
      ++shared_->tooBusy;
      return makeError(id, -32000, 109, "Maximum number of concurrent calls (20) has exceeded");
    }
    const auto& cfg = shared_->config;
    if (method == "auth.login_with_api_key") {
      ++shared_->authAttempts;
      const bool ok = params && params->size() == 1 &&
                      json::toString(params->get(0)).value_or("") == cfg.apiKey && !cfg.keyExpired;
      authenticated_ = ok;
      return makeReply(id, ok);
    }
    if (method == "auth.login_ex") {
      ++shared_->authAttempts;
      json::ObjectPtr arg =
          params && params->size() == 1 ? json::asObject(params->get(0)) : nullptr;
      const bool keyOk = json::getString(arg, "api_key") == cfg.apiKey &&
                         json::getString(arg, "username") == cfg.username &&
                         json::getString(arg, "mechanism") == "API_KEY_PLAIN";
      json::ObjectPtr r = new Poco::JSON::Object();
      r->set("response_type", !keyOk ? "AUTH_ERR" : cfg.keyExpired ? "EXPIRED" : "SUCCESS");
      authenticated_ = keyOk && !cfg.keyExpired;
      return makeReply(id, r);
    }
    if (method == "core.ping") {
      ++shared_->pings;
      return makeReply(id, std::string("pong"));
    }
    if (!authenticated_) return makeError(id, -32001, 207, "Not authenticated");
    if (method == "system.version") return makeReply(id, cfg.version);
    if (method == "system.product_type") return makeReply(id, cfg.productType);
    if (method == "test.sleep") {
      const int64_t ms = params && params->size() > 0 ? json::toInt(params->get(0)).value_or(0) : 0;
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      return makeReply(id, ms);
    }
    if (method == "test.echo") {
      return makeReply(id, params && params->size() > 0 ? params->get(0) : json::Var());
    }
    return makeError(id, -32601, 201, "Method does not exist");
  }

  SharedPtr shared_;
  WebSocket& ws_;
  std::mutex sendMu_;
  bool closed_ = false;
  std::atomic<bool> authenticated_{false};
  std::atomic<int> running_{0};
  std::vector<std::thread> workers_;
};

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(SharedPtr shared) : shared_(std::move(shared)) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    const std::string& uri = request.getURI();
    const bool rpc = shared_->config.jsonRpc;
    if (uri == "/api/versions") {
      response.setStatus(rpc ? Poco::Net::HTTPResponse::HTTP_OK
                             : Poco::Net::HTTPResponse::HTTP_NOT_FOUND);
      response.setContentType("application/json");
      response.send() << (rpc ? "[\"v25.04.0\",\"v25.04.2\"]" : "{}");
      return;
    }
    if ((rpc && uri == "/api/current") || (!rpc && uri == "/websocket")) {
      try {
        WebSocket ws(request, response);
        ws.setReceiveTimeout(Poco::Timespan(1, 0));
        ++shared_->connections;
        Session(shared_, ws).run();
      } catch (const std::exception&) {
      }
      return;
    }
    response.setStatus(Poco::Net::HTTPResponse::HTTP_NOT_FOUND);
    response.send();
  }

 private:
  SharedPtr shared_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(SharedPtr shared) : shared_(std::move(shared)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(shared_);
  }

 private:
  SharedPtr shared_;
};

}  // namespace

FakeTrueNasServer::FakeTrueNasServer(FakeServerConfig config)
    : shared_(std::make_shared<Shared>()) {
  shared_->config = std::move(config);
  Poco::Net::SocketAddress addr("127.0.0.1", 0);
  std::unique_ptr<Poco::Net::ServerSocket> socket;
  if (!shared_->config.certFile.empty()) {
    Poco::Net::initializeSSL();
    Poco::Net::Context::Ptr ctx =
        new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, shared_->config.keyFile,
                               shared_->config.certFile, "", Poco::Net::Context::VERIFY_NONE);
    socket = std::make_unique<Poco::Net::SecureServerSocket>(addr, 64, ctx);
  } else {
    socket = std::make_unique<Poco::Net::ServerSocket>(addr, 64);
  }
  port_ = socket->address().port();
  Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams();
  params->setMaxThreads(32);
  params->setMaxQueued(64);
  params->setKeepAlive(false);
  server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(shared_), *socket, params);
  server_->start();
}

FakeTrueNasServer::~FakeTrueNasServer() {
  dropConnections();
  server_->stopAll(true);
}

std::string FakeTrueNasServer::url() const {
  return std::string(shared_->config.certFile.empty() ? "ws" : "wss") +
         "://127.0.0.1:" + std::to_string(port_);
}

void FakeTrueNasServer::dropConnections() {
  ++shared_->dropGeneration;
}
int FakeTrueNasServer::authAttempts() const {
  return shared_->authAttempts;
}
int FakeTrueNasServer::connections() const {
  return shared_->connections;
}
int FakeTrueNasServer::maxConcurrent() const {
  return shared_->maxConcurrent;
}
int FakeTrueNasServer::tooBusyReplies() const {
  return shared_->tooBusy;
}
int FakeTrueNasServer::pings() const {
  return shared_->pings;
}

}  // namespace tnascsi::controller::truenas::testing

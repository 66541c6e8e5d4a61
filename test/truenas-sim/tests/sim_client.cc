// SimClient and SimFixture; see sim_client.h.
#include "test/truenas-sim/tests/sim_client.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/StreamCopier.h>
#include <stdlib.h>

#include <filesystem>

namespace tnascsi::sim::testing {

bool Reply::hasItem(const std::string& attr, const std::string& msg) const {
  for (const Json& item : extra.asArray()) {
    const bool attrOk = attr.empty() ? item.at(0).isNull() : item.at(0).asString() == attr;
    if (attrOk && item.at(1).asString().find(msg) != std::string::npos) return true;
  }
  return false;
}

std::string Reply::describe() const {
  if (closed) return "<connection closed>";
  return ok ? "result=" + result.dump() : "error=" + error.dump();
}

SimClient::SimClient(uint16_t port, const std::string& path, bool tls, bool handshake)
    : legacy_(path == "/websocket") {
  if (tls) {
    Poco::Net::Context::Ptr ctx =
        new Poco::Net::Context(Poco::Net::Context::CLIENT_USE, "", Poco::Net::Context::VERIFY_NONE);
    session_ = std::make_unique<Poco::Net::HTTPSClientSession>("127.0.0.1", port, ctx);
  } else {
    session_ = std::make_unique<Poco::Net::HTTPClientSession>("127.0.0.1", port);
  }
  Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, path,
                             Poco::Net::HTTPMessage::HTTP_1_1);
  Poco::Net::HTTPResponse resp;
  ws_ = std::make_unique<Poco::Net::WebSocket>(*session_, req, resp);
  ws_->setMaxPayloadSize(16 * 1024 * 1024);
  if (legacy_ && handshake) {
    sendText(R"({"msg":"connect","version":"1","support":["1"]})");
    auto reply = receive();
    if (!reply || reply->value("msg").asString() != "connected") {
      ADD_FAILURE() << "legacy handshake failed";
    }
  }
}

SimClient::~SimClient() {
  try {
    ws_->shutdown();
    ws_->close();
  } catch (...) {
  }
}

void SimClient::sendText(const std::string& text) {
  ws_->sendFrame(text.data(), static_cast<int>(text.size()), Poco::Net::WebSocket::FRAME_TEXT);
}

std::optional<Json> SimClient::receive(int timeoutMs) {
  if (closeCode_ != 0) return std::nullopt;
  ws_->setReceiveTimeout(Poco::Timespan(timeoutMs / 1000, (timeoutMs % 1000) * 1000));
  while (true) {
    Poco::Buffer<char> buf(0);
    int flags = 0;
    int n = 0;
    try {
      n = ws_->receiveFrame(buf, flags);
    } catch (const Poco::TimeoutException&) {
      return std::nullopt;
    } catch (const Poco::Exception&) {
      closeCode_ = 1006;
      return std::nullopt;
    }
    const int op = flags & Poco::Net::WebSocket::FRAME_OP_BITMASK;
    if (n == 0 && flags == 0) {
      closeCode_ = 1006;
      return std::nullopt;
    }
    if (op == Poco::Net::WebSocket::FRAME_OP_CLOSE) {
      closeCode_ = buf.size() >= 2 ? (static_cast<unsigned char>(buf[0]) << 8) |
                                         static_cast<unsigned char>(buf[1])
                                   : 1005;
      return std::nullopt;
    }
    if (op != Poco::Net::WebSocket::FRAME_OP_TEXT) continue;
    auto parsed = Json::parse(std::string(buf.begin(), buf.size()));
    if (!parsed.ok()) {
      ADD_FAILURE() << "server sent invalid JSON";
      return std::nullopt;
    }
    return *parsed;
  }
}

Json SimClient::send(const std::string& method, Json params) {
  const int64_t n = nextId_++;
  Json msg = Json::object();
  Json id;
  if (legacy_) {
    id = Json("req-" + std::to_string(n));
    msg.set("msg", "method");
    msg.set("id", id);
  } else {
    id = Json(n);
    msg.set("jsonrpc", "2.0");
    msg.set("id", id);
  }
  msg.set("method", method);
  msg.set("params", std::move(params));
  sendText(msg.dump());
  return id;
}

Reply SimClient::wait(const Json& id) {
  Reply r;
  auto take = [&](const Json& m) {
    if (m.contains("error") && !m.value("error").isNull()) {
      r.error = m.value("error");
      if (legacy_) {
        r.errnum = static_cast<int>(r.error.value("error").asInt());
        r.extra = r.error.value("extra");
        r.reason = r.error.value("reason").asString();
      } else {
        r.code = static_cast<int>(r.error.value("code").asInt());
        const Json data = r.error.value("data");
        r.errnum = static_cast<int>(data.value("error").asInt());
        r.extra = data.value("extra");
        r.reason = data.value("reason").asString();
      }
    } else {
      r.ok = true;
      r.result = m.value("result");
    }
  };
  for (auto it = responses_.begin(); it != responses_.end(); ++it) {
    if (it->value("id") == id) {
      take(*it);
      responses_.erase(it);
      return r;
    }
  }
  while (true) {
    auto m = receive(15000);
    if (!m) {
      r.closed = true;
      return r;
    }
    const bool isResponse = legacy_ ? m->value("msg").asString() == "result"
                                    : (m->contains("result") || m->contains("error"));
    if (!isResponse) {
      notifications_.push_back(*m);
      continue;
    }
    if (m->value("id") != id) {
      responses_.push_back(*m);
      continue;
    }
    take(*m);
    return r;
  }
}

Reply SimClient::call(const std::string& method, Json params) {
  return wait(send(method, std::move(params)));
}

std::optional<Json> SimClient::nextNotification(int timeoutMs) {
  if (!notifications_.empty()) {
    Json n = notifications_.front();
    notifications_.pop_front();
    return n;
  }
  while (true) {
    auto m = receive(timeoutMs);
    if (!m) return std::nullopt;
    const bool isResponse = legacy_ ? m->value("msg").asString() == "result"
                                    : (m->contains("result") || m->contains("error"));
    if (isResponse) {
      responses_.push_back(*m);
      continue;
    }
    return m;
  }
}

bool SimClient::loginWithKey(const std::string& key) {
  Reply r = call("auth.login_with_api_key", arr({key}));
  return r.ok && r.result.asBool();
}

std::string makeTempDir() {
  char tmpl[] = "/tmp/truenas-sim-test-XXXXXX";
  if (!::mkdtemp(tmpl)) return "/tmp";
  return tmpl;
}

std::pair<int, std::string> httpRequest(uint16_t port, const std::string& method,
                                        const std::string& path, const std::string& body,
                                        const std::string& authorization) {
  Poco::Net::HTTPClientSession cs("127.0.0.1", port);
  Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  if (!authorization.empty()) req.set("Authorization", authorization);
  req.setContentLength(static_cast<std::streamsize>(body.size()));
  if (!body.empty()) req.setContentType("application/json");
  cs.sendRequest(req) << body;
  Poco::Net::HTTPResponse resp;
  std::istream& in = cs.receiveResponse(resp);
  std::string out;
  Poco::StreamCopier::copyToString(in, out);
  return {static_cast<int>(resp.getStatus()), out};
}

void SimFixture::SetUp() {
  personality_ = GetParam();
  tempDir_ = makeTempDir();
  startServer(defaultOptions());
  client_ = connect();
}

void SimFixture::TearDown() {
  client_.reset();
  if (server_) server_->stop();
  server_.reset();
  std::error_code ec;
  std::filesystem::remove_all(tempDir_, ec);
}

SimOptions SimFixture::defaultOptions() const {
  SimOptions o;
  o.personality = personality_;
  o.apiKey = kApiKey;
  o.pools = {{"tank", 100 * kGiB}};
  o.statePath = tempDir_ + "/state.json";
  return o;
}

void SimFixture::startServer(SimOptions options, std::unique_ptr<Backing> backing) {
  client_.reset();
  if (server_) server_->stop();
  server_.reset();
  auto s = SimServer::create(std::move(options), std::move(backing));
  ASSERT_TRUE(s.ok()) << s.status();
  server_ = std::move(*s);
  auto port = server_->start();
  ASSERT_TRUE(port.ok()) << port.status();
}

std::unique_ptr<SimClient> SimFixture::connect(bool login) {
  auto c = std::make_unique<SimClient>(server_->port(), scale25() ? "/api/current" : "/websocket",
                                       server_->tls());
  if (login) {
    EXPECT_TRUE(c->loginWithKey());
  }
  return c;
}

Json SimFixture::ok(const std::string& method, Json params) {
  Reply r = client_->call(method, std::move(params));
  EXPECT_TRUE(r.ok) << method << ": " << r.describe();
  return r.result;
}

Json SimFixture::createZvol(const std::string& name, int64_t size, Json extra) {
  Json data = extra;
  data.set("name", name);
  data.set("type", "VOLUME");
  data.set("volsize", size);
  return ok("pool.dataset.create", arr({data}));
}

Json SimFixture::createFs(const std::string& name, Json extra) {
  Json data = extra;
  data.set("name", name);
  return ok("pool.dataset.create", arr({data}));
}

}  // namespace tnascsi::sim::testing

// Conformance: transport, authentication, limits, jobs and version surfaces (reference §1, §6,
// §1.7, §10.1, §10.5, §10.6).
#include <cerrno>
#include <thread>

#include "test/truenas-sim/tests/conformance.h"

namespace tnascsi::sim::testing {
namespace {

class ProtocolTest : public ConformanceTest {};

TEST_P(ProtocolTest, EndpointsPerVersion) {
  auto [status, body] = httpRequest(server_->port(), "GET", "/api/versions");
  if (scale25()) {
    EXPECT_EQ(status, 200);
    auto list = Json::parse(body);
    ASSERT_TRUE(list.ok());
    EXPECT_EQ(list->at(0).asString(), "v25.04.0");
    EXPECT_EQ(list->at(list->size() - 1).asString(),
              personality() == "25.10" ? "v25.10.0" : "v25.04.2");
    SimClient pinned(server_->port(), personality() == "25.10" ? "/api/v25.10.0" : "/api/v25.04.2");
    EXPECT_EQ(pinned.call("core.ping").result.asString(), "pong");
  } else {
    // nginx `location /` redirects what it does not route (24.10/CORE have no /api location).
    EXPECT_EQ(status, 302);
    EXPECT_EQ(httpRequest(server_->port(), "GET", "/api/current").first, 302);
  }
  // The legacy endpoint exists everywhere.
  SimClient legacy(server_->port(), "/websocket");
  EXPECT_EQ(legacy.call("core.ping").result.asString(), "pong");
}

TEST_P(ProtocolTest, SystemVersionSurfaces) {
  Json v = ok("system.version", arr({}));
  Json s = core() ? Json("13.0-U6.8") : ok("system.version_short", arr({}));
  if (core()) {
    EXPECT_EQ(client_->call("system.version_short", arr({})).errnum, 201);
  }
  Json info = ok("system.info", arr({}));
  Json product = ok("system.product_type", arr({}));
  if (personality() == "24.10") {
    EXPECT_EQ(v.asString(), "TrueNAS-SCALE-24.10.2");
    EXPECT_EQ(info.value("version").asString(), "TrueNAS-SCALE-24.10.2");
  } else if (personality() == "25.04") {
    EXPECT_EQ(v.asString(), "TrueNAS-25.04.2");
    EXPECT_EQ(s.asString(), "25.04.2");
    EXPECT_EQ(info.value("version").asString(), "25.04.2");
    EXPECT_EQ(product.asString(), "COMMUNITY_EDITION");
  } else if (personality() == "25.10") {
    EXPECT_EQ(v.asString(), "TrueNAS-25.10.0");
    EXPECT_EQ(product.asString(), "COMMUNITY_EDITION");
  } else {
    EXPECT_EQ(v.asString().rfind("TrueNAS-13.0", 0), 0u);
  }
  EXPECT_TRUE(info.value("buildtime").value("$date").isInt()) << info.dump();
  EXPECT_TRUE(info.value("boottime").value("$date").isInt()) << info.dump();
}

TEST_P(ProtocolTest, UnknownMethod) {
  Reply r = client_->call("no.such.method");
  ASSERT_FALSE(r.ok);
  if (client_->legacy()) {
    EXPECT_EQ(r.errnum, 201);
  } else {
    EXPECT_EQ(r.code, -32601);
    EXPECT_EQ(r.error.value("message").asString(), "Method does not exist");
    EXPECT_FALSE(r.error.contains("data"));
  }
}

TEST_P(ProtocolTest, UnauthenticatedCallsOnlyToNoAuthMethods) {
  SimClient anon(server_->port(), scale25() ? "/api/current" : "/websocket");
  EXPECT_EQ(anon.call("core.ping").result.asString(), "pong");
  Reply r = anon.call("pool.query");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.errnum, core() ? 13 : 207) << r.describe();  // CORE: EACCES
  if (!anon.legacy()) {
    EXPECT_EQ(r.code, -32001);
  }
  EXPECT_FALSE(anon.loginWithKey("7-wrong"));
  EXPECT_FALSE(anon.call("pool.query").ok);
  EXPECT_TRUE(anon.loginWithKey());
  EXPECT_TRUE(anon.call("pool.query").ok);
}

TEST_P(ProtocolTest, LoginExPerVersion) {
  SimClient anon(server_->port(), scale25() ? "/api/current" : "/websocket");
  Reply r = anon.call(
      "auth.login_ex",
      arr({obj({{"mechanism", "API_KEY_PLAIN"}, {"username", "root"}, {"api_key", kApiKey}})}));
  if (!scale25()) {
    EXPECT_FALSE(r.ok) << "no auth.login_ex before 25.04";
    return;
  }
  ASSERT_TRUE(r.ok) << r.describe();
  EXPECT_EQ(r.result.value("response_type").asString(), "SUCCESS");
  SimClient other(server_->port(), "/api/current");
  r = other.call(
      "auth.login_ex",
      arr({obj({{"mechanism", "API_KEY_PLAIN"}, {"username", "root"}, {"api_key", "7-bad"}})}));
  EXPECT_EQ(r.result.value("response_type").asString(), "AUTH_ERR") << r.describe();
}

TEST_P(ProtocolTest, PlainTransportRevokesKeyOn25x) {
  SimOptions o = defaultOptions();
  o.treatLoopbackInsecure = true;
  startServer(o);
  SimClient c(server_->port(), scale25() ? "/api/current" : "/websocket");
  if (!scale25()) {
    EXPECT_TRUE(c.loginWithKey()) << "24.10 and CORE never revoke";
    return;
  }
  Reply r = c.call(
      "auth.login_ex",
      arr({obj({{"mechanism", "API_KEY_PLAIN"}, {"username", "root"}, {"api_key", kApiKey}})}));
  EXPECT_EQ(r.result.value("response_type").asString(), "EXPIRED") << r.describe();
  EXPECT_FALSE(c.call("pool.query").ok);
  // The key is dead for every later login, even over a secure transport (after restart too).
  SimClient c2(server_->port(), "/api/current");
  EXPECT_FALSE(c2.loginWithKey());
  SimOptions secure = defaultOptions();
  startServer(secure);
  SimClient c3(server_->port(), "/api/current");
  EXPECT_FALSE(c3.loginWithKey());
}

TEST_P(ProtocolTest, LoginWithApiKeyOverPlainTransportReturnsFalse) {
  if (!scale25()) GTEST_SKIP() << "no revocation before 25.04";
  SimOptions o = defaultOptions();
  o.treatLoopbackInsecure = true;
  startServer(o);
  SimClient c(server_->port(), "/api/current");
  EXPECT_FALSE(c.loginWithKey());
  EXPECT_TRUE(server_->dispatcher().keyRevoked());
}

TEST_P(ProtocolTest, RateLimitForUnauthenticatedCalls) {
  SimClient anon(server_->port(), scale25() ? "/api/current" : "/websocket");
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(anon.call("core.ping").ok) << i;
  Reply r = anon.call("core.ping");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.errnum, EBUSY) << r.describe();
  EXPECT_NE(r.reason.find("Rate Limit Exceeded"), std::string::npos);
  // Per method: another no-auth method still works; authenticated sessions are not limited.
  EXPECT_TRUE(anon.loginWithKey());
  for (int i = 0; i < 25; ++i) ASSERT_TRUE(anon.call("core.ping").ok) << i;
}

TEST_P(ProtocolTest, MessageSizeCaps) {
  SimClient anon(server_->port(), scale25() ? "/api/current" : "/websocket");
  anon.send("core.ping", arr({std::string(9000, 'x')}));
  EXPECT_FALSE(anon.receive(5000).has_value());
  EXPECT_EQ(anon.closeCode(), 1007);
  client_->send("core.ping", arr({std::string(60000, 'x')}));
  EXPECT_TRUE(client_->receive(5000).has_value()) << "under 64 KiB is fine once logged in";
  client_->send("core.ping", arr({std::string(70000, 'x')}));
  EXPECT_FALSE(client_->receive(5000).has_value());
  EXPECT_EQ(client_->closeCode(), 1009);
}

TEST_P(ProtocolTest, ConcurrencyLimit) {
  // Long enough that all 21 calls are in flight before the first completes, even on a busy machine.
  ASSERT_TRUE(server_->faults().set(obj({{"latency_ms", 3000}})).ok());
  std::vector<Json> ids;
  for (int i = 0; i < 21; ++i) ids.push_back(client_->send("core.ping"));
  int refused = 0, answered = 0;
  for (const Json& id : ids) {
    Reply r = client_->wait(id);
    if (r.ok) {
      ++answered;
    } else {
      ++refused;
      if (client_->legacy()) {
        EXPECT_EQ(r.errnum, ETOOMANYREFS) << r.describe();
      } else {
        EXPECT_EQ(r.code, -32000) << r.describe();
      }
    }
  }
  EXPECT_EQ(answered, 20);
  EXPECT_EQ(refused, 1);
}

TEST_P(ProtocolTest, SetOptionsPerVersion) {
  Reply r = client_->call("core.set_options", arr({obj({{"py_exceptions", false}})}));
  ASSERT_TRUE(r.ok) << r.describe();
  if (personality() == "25.10") {
    EXPECT_TRUE(r.result.value("legacy_jobs").asBool());
    r = client_->call("core.set_options", arr({obj({{"legacy_jobs", false}})}));
    EXPECT_FALSE(r.result.value("legacy_jobs").asBool()) << r.describe();
    r = client_->call("core.set_options", arr({obj({{"bogus", true}})}));
    EXPECT_FALSE(r.ok);
  } else {
    EXPECT_TRUE(r.result.isNull());
    EXPECT_TRUE(client_->call("core.set_options", arr({obj({{"legacy_jobs", false}})})).ok);
  }
}

TEST_P(ProtocolTest, ServicesAndJobs) {
  if (personality() != "25.10") {
    EXPECT_EQ(ok("service.update", arr({"iscsitarget", obj({{"enable", true}})})).asInt(), 1);
    EXPECT_EQ(ok("service.start", arr({"iscsitarget"})), Json(true));
    EXPECT_EQ(ok("service.started", arr({"iscsitarget"})), Json(true));
    EXPECT_FALSE(client_->call("service.control", arr({"START", "nfs"})).ok);
    return;
  }
  // 25.10: service.control is a job; with legacy jobs the call returns the job id.
  ASSERT_TRUE(client_->call("core.subscribe", arr({"core.get_jobs"})).ok);
  Json id = ok("service.control", arr({"START", "iscsitarget"}));
  ASSERT_TRUE(id.isInt()) << id.dump();
  bool finished = false;
  for (int i = 0; i < 10 && !finished; ++i) {
    auto n = client_->nextNotification(3000);
    ASSERT_TRUE(n.has_value());
    EXPECT_EQ(n->value("method").asString(), "collection_update");
    const Json& p = n->value("params");
    EXPECT_EQ(p.value("collection").asString(), "core.get_jobs");
    if (p.value("id") == id && p.value("fields").value("state").asString() == "SUCCESS") {
      finished = true;
      EXPECT_TRUE(p.value("fields").value("time_finished").value("$date").isInt());
    }
  }
  EXPECT_TRUE(finished);
  Json jobs = ok("core.get_jobs", arr({arr({arr({"id", "=", id})})}));
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs.at(0).value("state").asString(), "SUCCESS");
  EXPECT_EQ(jobs.at(0).value("method").asString(), "service.control");
  // With legacy_jobs off the response waits for the job and carries its result.
  ok("core.set_options", arr({obj({{"legacy_jobs", false}})}));
  Json result = ok("service.control", arr({"STOP", "iscsitarget"}));
  EXPECT_EQ(result, Json(false));
  EXPECT_EQ(ok("service.started", arr({"iscsitarget"})), Json(false));
}

TEST_P(ProtocolTest, LegacyHandshakeAndPing) {
  SimClient raw(server_->port(), "/websocket", false, /*handshake=*/false);
  raw.sendText(R"({"msg":"method","id":"1","method":"core.ping","params":[]})");
  auto m = raw.receive();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->value("msg").asString(), "failed");
  raw.sendText(R"({"msg":"connect","version":"1","support":["1"]})");
  m = raw.receive();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->value("msg").asString(), "connected");
  EXPECT_FALSE(m->value("session").asString().empty());
  raw.sendText(R"({"msg":"ping","id":"p1"})");
  m = raw.receive();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->value("msg").asString(), "pong");
  EXPECT_EQ(m->value("id").asString(), "p1");
  raw.sendText(R"({"msg":"sub","id":"s1","name":"core.get_jobs"})");
  m = raw.receive();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->value("msg").asString(), "ready");
}

TEST_P(ProtocolTest, JsonRpcProtocolErrors) {
  if (!scale25()) GTEST_SKIP() << "JSON-RPC is 25.04+";
  client_->sendText("{not json");
  auto m = client_->receive();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->value("error").value("code").asInt(), -32700);
  client_->sendText(R"([{"jsonrpc":"2.0","id":1,"method":"core.ping"}])");
  m = client_->receive();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->value("error").value("code").asInt(), -32600);
  // A notification (no id) gets no answer; the next call does.
  client_->sendText(R"({"jsonrpc":"2.0","method":"core.ping","params":[]})");
  EXPECT_EQ(client_->call("core.ping").result.asString(), "pong");
}

TEST_P(ProtocolTest, ErrorEncodingIsExact) {
  createZvol("tank/v", kGiB);
  Reply r =
      client_->call("iscsi.extent.create", arr({obj({{"name", "e"}, {"disk", "zvol/tank/v"}})}));
  ASSERT_TRUE(r.ok);
  r = client_->call("iscsi.extent.create", arr({obj({{"name", "e"}, {"disk", "zvol/tank/v"}})}));
  ASSERT_FALSE(r.ok);
  if (client_->legacy()) {
    EXPECT_EQ(r.error.value("error").asInt(), EAGAIN);
    EXPECT_EQ(r.error.value("errname").asString(), "EAGAIN");
    EXPECT_EQ(r.error.value("type").asString(), "VALIDATION");
  } else {
    EXPECT_EQ(r.error.value("message").asString(), "Invalid params");
    const Json& data = r.error.value("data");
    EXPECT_EQ(data.value("errname").asString(), "EINVAL");
    EXPECT_NE(data.value("reason").asString().find(
                  "[EINVAL] iscsi_extent_create.name: Extent name must be unique"),
              std::string::npos);
    EXPECT_EQ(data.value("trace").value("class").asString(), "ValidationErrors");
  }
  EXPECT_TRUE(r.hasItem("iscsi_extent_create.name", "Extent name must be unique"));
  r = client_->call("pool.dataset.promote", arr({"tank/v"}));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.errnum, EBADMSG);
  EXPECT_NE(r.reason.find("[EBADMSG] Only cloned datasets can be promoted."), std::string::npos);
  if (!client_->legacy()) {
    EXPECT_EQ(r.error.value("message").asString(), "Method call error");
    EXPECT_EQ(r.error.value("data").value("errname").asString(), "EBADMSG");
  } else {
    EXPECT_TRUE(r.error.value("type").isNull());
  }
}

INSTANTIATE_TEST_SUITE_P(AllVersions, ProtocolTest, ::testing::ValuesIn(allPersonalities()),
                         personalityTestName);

}  // namespace
}  // namespace tnascsi::sim::testing

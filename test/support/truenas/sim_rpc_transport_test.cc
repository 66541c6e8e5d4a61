// SimRpcTransport against the real WebSocket path: on every personality the same calls give the
// same results and the same decoded TrueNAS errors in process as through WsConnection over a
// loopback socket; the simulator's drop faults and a cut link end the connection (Unavailable,
// then a new login and generation); a call whose reply was dropped still ran; a wrong key is
// PermissionDenied.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "common/base/clock.h"
#include "controller/truenas/ws_connection.h"
#include "test/support/truenas/sim_backend.h"

namespace tnascsi::testing {
namespace {

using controller::truenas::RpcTransport;
using controller::truenas::WireProtocol;
namespace json = controller::truenas::json;

constexpr const char* kKey = SimBackend::kApiKey;

// A fresh simulator (SimBackend: pool tank, parent tank/k8s, a portal) listening on loopback,
// with clients over either path.
struct Sim {
  explicit Sim(const std::string& personality) : backend(options(personality)) {}
  static SimBackend::Options options(const std::string& personality) {
    SimBackend::Options o;
    o.personality = personality;
    return o;
  }
  std::unique_ptr<controller::truenas::WsConnection> ws() {
    controller::truenas::ConnectionOptions c;
    c.url = backend.server().wsUrl();
    c.apiKeyFile = backend.apiKeyFile();
    return std::make_unique<controller::truenas::WsConnection>(c, common::systemClock());
  }
  SimBackend backend;
  sim::SimServer* server = &backend.server();
  SimRpcTransport::Link link;
};

RpcTransport::Deadline soon() {
  return std::chrono::steady_clock::now() + std::chrono::seconds(20);
}

StatusOr<json::Var> callText(RpcTransport& t, const std::string& method,
                             const std::string& params) {
  auto parsed = json::parse(params);
  if (!parsed.ok()) return parsed.status();
  return t.call(method, json::asArray(*parsed), soon());
}

// What a caller can observe of a result: the JSON text, or the code and message of the error.
std::string observed(const StatusOr<json::Var>& r) {
  return r.ok() ? "ok " + json::stringify(*r) : r.status().ToString();
}

class SimRpcTransportTest : public ::testing::TestWithParam<const char*> {};

TEST_P(SimRpcTransportTest, AnswersAndErrorsMatchTheWebSocketPath) {
  Sim overSocket(GetParam()), inProcess(GetParam());
  auto ws = overSocket.ws();
  SimRpcTransport direct(*inProcess.server, kKey, "", inProcess.link);
  const std::string vol = R"([{"name":"tank/k8s/v1","type":"VOLUME","volsize":1073741824,)"
                          R"("volblocksize":"16K"}])";
  struct Step {
    const char* method;
    std::string params;
    bool compareResult;  // results with timestamps or generated values are compared by ok-ness
  };
  const std::vector<Step> steps = {
      {"system.version", "[]", true},
      {"pool.dataset.create", R"([{"name":"tank/k8s/bad name!"}])", true},
      {"pool.dataset.create", vol, false},
      {"pool.dataset.create", vol, true},  // AlreadyExists
      {"pool.dataset.create", R"([{"name":"tank/k8s/v2","type":"VOLUME","volsize":1000}])", true},
      {"iscsi.extent.get_instance", "[999]", true},
      {"iscsi.extent.create", R"([{"name":"e1","disk":"zvol/tank/k8s/missing"}])", true},
      {"pool.dataset.query", R"([[["id","=","tank/k8s/none"]]])", true},
      {"no.such_method", "[]", true},
  };
  for (const Step& step : steps) {
    SCOPED_TRACE(std::string(step.method) + " " + step.params);
    auto a = callText(*ws, step.method, step.params);
    auto b = callText(direct, step.method, step.params);
    if (step.compareResult) {
      EXPECT_EQ(observed(b), observed(a));
    } else {
      EXPECT_EQ(b.ok(), a.ok()) << observed(a) << " vs " << observed(b);
    }
  }
  EXPECT_EQ(*direct.protocol(soon()), *ws->protocol(soon()));
  EXPECT_EQ(*direct.protocol(soon()),
            std::string(GetParam()) >= "25.04" ? WireProtocol::kJsonRpc : WireProtocol::kLegacyDdp);
}

TEST_P(SimRpcTransportTest, DroppedConnectionFailsUnavailableThenReconnects) {
  Sim s(GetParam());
  SimRpcTransport t(*s.server, kKey, "", s.link);
  EXPECT_EQ(t.connectionGeneration(), 0u);
  ASSERT_TRUE(callText(t, "core.ping", "[]").ok());
  EXPECT_EQ(t.connectionGeneration(), 1u);
  EXPECT_TRUE(t.connected());
  sim::Json fault = sim::Json::object();
  fault.set("drop_after_calls", 0);
  ASSERT_TRUE(s.server->faults().set(fault).ok());
  EXPECT_EQ(callText(t, "core.ping", "[]").status().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(t.connected());
  ASSERT_TRUE(callText(t, "core.ping", "[]").ok());
  EXPECT_EQ(t.connectionGeneration(), 2u) << "a new session, logged in again";
  EXPECT_EQ(s.server->calls().count("auth.login_with_api_key"), 2);
}

TEST_P(SimRpcTransportTest, ADroppedReplyStillRan) {
  Sim s(GetParam());
  SimRpcTransport t(*s.server, kKey, "", s.link);
  sim::Json rule = sim::Json::object();
  rule.set("method", "pool.dataset.create");
  sim::Json fault = sim::Json::object();
  fault.set("drop_reply", rule);
  ASSERT_TRUE(s.server->faults().set(fault).ok());
  auto created = callText(t, "pool.dataset.create", R"([{"name":"tank/k8s/lost"}])");
  EXPECT_EQ(created.status().code(), StatusCode::kUnavailable);
  auto found = callText(t, "pool.dataset.query", R"([[["id","=","tank/k8s/lost"]]])");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(json::asArray(*found)->size(), 1u);
}

TEST_P(SimRpcTransportTest, ACutLinkLosesCallsInFlightAndRefusesConnectsUntilRestored) {
  Sim s(GetParam());
  SimRpcTransport t(*s.server, kKey, "", s.link);
  ASSERT_TRUE(callText(t, "core.ping", "[]").ok());
  sim::Json slow = sim::Json::object();
  slow.set("latency_ms", 300);
  ASSERT_TRUE(s.server->faults().set(slow).ok());
  std::atomic<bool> started{false};
  StatusOr<json::Var> inFlight = absl::UnknownError("not run");
  std::thread caller([&] {
    started = true;
    inFlight = callText(t, "pool.dataset.create", R"([{"name":"tank/k8s/cut"}])");
  });
  while (!started) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  s.link.setUp(false);
  caller.join();
  s.server->faults().clear();
  EXPECT_EQ(inFlight.status().code(), StatusCode::kUnavailable) << observed(inFlight);
  EXPECT_FALSE(t.connected());
  EXPECT_EQ(callText(t, "core.ping", "[]").status().code(), StatusCode::kUnavailable);
  s.link.setUp(true);
  EXPECT_TRUE(callText(t, "core.ping", "[]").ok());
  EXPECT_EQ(t.connectionGeneration(), 2u);
}

TEST_P(SimRpcTransportTest, WrongKeyIsPermissionDenied) {
  Sim s(GetParam());
  SimRpcTransport t(*s.server, "1-zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
                    "", s.link);
  EXPECT_EQ(callText(t, "core.ping", "[]").status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(t.connectionGeneration(), 0u);
}

TEST(SimRpcTransportLoginEx, UsernameLogsInWithLoginExOnJsonRpc) {
  Sim s("25.04");
  SimRpcTransport t(*s.server, kKey, "root", s.link);
  ASSERT_TRUE(callText(t, "core.ping", "[]").ok());
  EXPECT_EQ(s.server->calls().count("auth.login_ex"), 1);
  EXPECT_EQ(s.server->calls().count("auth.login_with_api_key"), 0);
}

std::string personalityName(const ::testing::TestParamInfo<const char*>& info) {
  std::string name = "v";
  for (const char* c = info.param; *c != '\0'; ++c) {
    if (*c != '.') name += *c;
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Personalities, SimRpcTransportTest,
                         ::testing::Values("13.0", "24.10", "25.04", "25.10"), personalityName);

}  // namespace
}  // namespace tnascsi::testing

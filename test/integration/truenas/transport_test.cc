// WsConnection against the TrueNAS simulator over loopback: multiplexing, reconnect after a drop,
// the server's per-connection limit, the bounded wait queue, no login storm with a wrong key,
// deadlines, TLS verification, the ws:// rule, both protocols and keepalive (also against a
// frozen middleware). Slow calls come from the simulator's latency fault; what the connections
// did is read from its call log and ConnectionStats.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "common/base/clock.h"
#include "common/base/files.h"
#include "common/log/log.h"
#include "controller/truenas/truenas_client.h"
#include "controller/truenas/ws_connection.h"
#include "test/truenas-sim/server/sim_server.h"

namespace tnascsi::controller::truenas {
namespace {

using Clock = std::chrono::steady_clock;
using SimPtr = std::unique_ptr<sim::SimServer>;

constexpr const char* kKey = "1-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ01";
constexpr int kDatasets = 8;

class TransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tnas-transport-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    keyFile_ = dir_ + "/api-key";
    writeKey(kKey);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void writeKey(const std::string& key) {
    ASSERT_TRUE(common::writeFileAtomic(keyFile_, key + "\n").ok());
  }

  static sim::SimOptions simOptions(const std::string& personality = "25.04") {
    sim::SimOptions o;
    o.personality = personality;
    o.apiKey = kKey;
    o.pools = {{"tank", int64_t{1} << 40}};
    return o;
  }
  // A listening simulator with datasets tank/d0 .. tank/d7.
  static SimPtr startSim(const sim::SimOptions& options) {
    auto created = sim::SimServer::create(options);
    if (!created.ok()) throw std::runtime_error(created.status().ToString());
    SimPtr server = std::move(*created);
    if (!server->start().ok()) throw std::runtime_error("the simulator did not start");
    for (int i = 0; i < kDatasets; ++i) {
      sim::Json spec = sim::Json::object();
      spec.set("name", "tank/d" + std::to_string(i));
      sim::Json params = sim::Json::array();
      params.push(spec);
      if (!server->model().call("pool.dataset.create", params).ok()) {
        throw std::runtime_error("dataset setup failed");
      }
    }
    return server;
  }
  static SimPtr startSim(const std::string& personality = "25.04") {
    return startSim(simOptions(personality));
  }

  ConnectionOptions options(const sim::SimServer& server) {
    ConnectionOptions o;
    o.url = server.wsUrl();
    o.apiKeyFile = keyFile_;
    o.connectTimeout = std::chrono::milliseconds(3000);
    o.pingInterval = std::chrono::milliseconds(60000);
    o.backoffInitial = std::chrono::milliseconds(10);
    o.backoffMax = std::chrono::milliseconds(50);
    return o;
  }

  static Clock::time_point in(int ms) { return Clock::now() + std::chrono::milliseconds(ms); }
  // Dataset tank/d<i>: a call whose answer names its caller.
  static StatusOr<json::Var> getDataset(RpcTransport& conn, int i, Clock::time_point deadline) {
    return conn.call("pool.dataset.get_instance", json::makeArray({"tank/d" + std::to_string(i)}),
                     deadline);
  }
  static std::string idOf(const json::Var& dataset) {
    return json::getString(json::asObject(dataset), "id");
  }
  static Status ping(RpcTransport& conn, int deadlineMs = 5000) {
    return conn.call("core.ping", json::makeArray(), in(deadlineMs)).status();
  }
  static void setLatency(sim::SimServer& server, int ms) {
    sim::Json fault = sim::Json::object();
    fault.set("latency_ms", ms);
    ASSERT_TRUE(server.faults().set(fault).ok());
  }
  static void setPause(sim::SimServer& server, bool paused) {
    sim::Json fault = sim::Json::object();
    fault.set("pause", paused);
    ASSERT_TRUE(server.faults().set(fault).ok());
  }
  // Login calls the simulator received (either mechanism).
  static int64_t logins(sim::SimServer& server) {
    return server.calls().count("auth.login_with_api_key") + server.calls().count("auth.login_ex");
  }

  std::string dir_;
  std::string keyFile_;
};

TEST_F(TransportTest, MultiplexesConcurrentCallsOnOneConnection) {
  SimPtr server = startSim();
  WsConnection conn(options(*server), common::systemClock());
  ASSERT_TRUE(ping(conn).ok());
  setLatency(*server, 300);
  const auto start = Clock::now();
  std::vector<std::future<StatusOr<json::Var>>> calls;
  for (int i = 0; i < kDatasets; ++i) {
    calls.push_back(
        std::async(std::launch::async, [&, i] { return getDataset(conn, i, in(10000)); }));
  }
  for (int i = 0; i < kDatasets; ++i) {
    StatusOr<json::Var> r = calls[i].get();
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(idOf(*r), "tank/d" + std::to_string(i));  // each answer reached its own caller
  }
  const auto elapsed = Clock::now() - start;
  std::cout << "[measure] 8 concurrent 300 ms calls on one connection took "
            << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms\n";
  EXPECT_LT(elapsed, std::chrono::milliseconds(8 * 300 / 2)) << "calls were serialized";
  EXPECT_EQ(server->connectionStats().accepted, 1);
  EXPECT_EQ(logins(*server), 1);
  EXPECT_GE(server->connectionStats().maxRunning, 4);
}

TEST_F(TransportTest, DropFailsInFlightWithUnavailableThenReconnects) {
  SimPtr server = startSim();
  ConnectionOptions o = options(*server);
  o.backgroundReconnect = false;
  WsConnection conn(o, common::systemClock());
  ASSERT_TRUE(ping(conn).ok());
  setLatency(*server, 1500);
  auto inflight = std::async(std::launch::async, [&] { return getDataset(conn, 0, in(10000)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto dropAt = Clock::now();
  server->dropConnections();
  StatusOr<json::Var> r = inflight.get();
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status();
  EXPECT_NE(r.status().message().find("may or may not"), std::string::npos) << r.status();
  const auto failAfter = Clock::now() - dropAt;
  std::cout << "[measure] in-flight call failed "
            << std::chrono::duration_cast<std::chrono::milliseconds>(failAfter).count()
            << " ms after the server dropped the connection\n";
  EXPECT_LT(failAfter, std::chrono::milliseconds(1200)) << "not failed promptly";
  server->faults().clear();
  const uint64_t gen = conn.connectionGeneration();
  StatusOr<json::Var> next = getDataset(conn, 2, in(5000));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(idOf(*next), "tank/d2");
  EXPECT_EQ(server->connectionStats().accepted, 2);
  EXPECT_EQ(logins(*server), 2);  // re-authenticated once
  EXPECT_GT(conn.connectionGeneration(), gen);
}

TEST_F(TransportTest, NeverExceedsServerLimitManyCallers) {
  SimPtr server = startSim();
  WsConnection conn(options(*server), common::systemClock());
  ASSERT_TRUE(ping(conn).ok());
  setLatency(*server, 50);
  std::vector<std::future<StatusOr<json::Var>>> calls;
  for (int i = 0; i < 60; ++i) {
    calls.push_back(std::async(std::launch::async,
                               [&, i] { return getDataset(conn, i % kDatasets, in(20000)); }));
  }
  int ok = 0;
  for (auto& f : calls) ok += f.get().ok();
  EXPECT_EQ(ok, 60);
  EXPECT_EQ(server->connectionStats().tooBusy, 0);
  EXPECT_LE(server->connectionStats().maxRunning, 10);
  EXPECT_GE(server->connectionStats().maxRunning, 2) << "calls ran concurrently";
}

TEST_F(TransportTest, BoundedWaitQueueRejectsExcess) {
  SimPtr server = startSim();
  ConnectionOptions o = options(*server);
  o.maxRunningCalls = 2;
  o.maxQueuedCalls = 3;
  WsConnection conn(o, common::systemClock());
  ASSERT_TRUE(ping(conn).ok());
  setLatency(*server, 400);
  std::vector<std::future<StatusOr<json::Var>>> calls;
  for (int i = 0; i < 12; ++i) {
    calls.push_back(std::async(std::launch::async,
                               [&, i] { return getDataset(conn, i % kDatasets, in(20000)); }));
  }
  int ok = 0;
  int exhausted = 0;
  for (auto& f : calls) {
    StatusOr<json::Var> r = f.get();
    if (r.ok()) ++ok;
    if (r.status().code() == StatusCode::kResourceExhausted) ++exhausted;
  }
  EXPECT_EQ(ok + exhausted, 12);
  EXPECT_GE(exhausted, 1);
  EXPECT_GE(ok, 5);
  EXPECT_LE(server->connectionStats().maxRunning, 2);
  EXPECT_EQ(server->connectionStats().tooBusy, 0);
}

TEST_F(TransportTest, WrongKeyIsPermanentAndDoesNotHammerTheServer) {
  SimPtr server = startSim();
  writeKey("1-wrongwrongwrongwrongwrongwrongwrongwrongwrongwrongwrongwrongwrong");
  WsConnection conn(options(*server), common::systemClock());
  for (int i = 0; i < 30; ++i) {
    Status r = ping(conn, 3000);
    ASSERT_EQ(r.code(), StatusCode::kPermissionDenied) << r;
    EXPECT_EQ(r.message().find("wrongwrong"), std::string::npos) << "key leaked";
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(logins(*server), 1);
  // Each new (still wrong) key gets a try, but never more than 5 per minute.
  for (int i = 0; i < 10; ++i) {
    writeKey("1-wrong" + std::to_string(i) + "wrongwrongwrongwrongwrongwrongwrongwrongwrongwrong");
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    (void)ping(conn, 3000);
  }
  EXPECT_LE(logins(*server), 5);
  EXPECT_GE(logins(*server), 2);
  EXPECT_LE(conn.authAttempts(), 5);
}

TEST_F(TransportTest, DeadlineExceededAndConnectionStillUsable) {
  SimPtr server = startSim();
  WsConnection conn(options(*server), common::systemClock());
  ASSERT_TRUE(ping(conn).ok());
  setLatency(*server, 1500);
  const auto start = Clock::now();
  StatusOr<json::Var> r = getDataset(conn, 1, in(200));
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status();
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(1000));
  server->faults().clear();
  EXPECT_TRUE(ping(conn).ok());
  EXPECT_EQ(server->connectionStats().accepted, 1);
}

TEST_F(TransportTest, PlainWsToNonLoopbackIsRefused) {
  ConnectionOptions o;
  o.url = "ws://192.0.2.10:80";  // TEST-NET-1; the refusal happens before any connection
  o.apiKeyFile = keyFile_;
  WsConnection conn(o, common::systemClock());
  Status r = ping(conn, 2000);
  EXPECT_EQ(r.code(), StatusCode::kFailedPrecondition) << r;
  EXPECT_NE(r.message().find("wss://"), std::string::npos) << r;
  EXPECT_EQ(conn.authAttempts(), 0);
}

TEST_F(TransportTest, LegacyProtocolWithKeepalive) {
  SimPtr server = startSim("24.10");
  ConnectionOptions o = options(*server);
  o.pingInterval = std::chrono::milliseconds(100);
  WsConnection conn(o, common::systemClock());
  StatusOr<WireProtocol> p = conn.protocol(in(5000));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, WireProtocol::kLegacyDdp);
  StatusOr<json::Var> r = getDataset(conn, 7, in(5000));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(idOf(*r), "tank/d7");
  std::this_thread::sleep_for(std::chrono::milliseconds(450));
  EXPECT_GE(server->connectionStats().legacyPings, 2);
  EXPECT_TRUE(conn.connected());
  // Errors decode through the legacy path too.
  EXPECT_EQ(conn.call("no.such", json::makeArray(), in(5000)).status().code(),
            StatusCode::kUnimplemented);
}

TEST_F(TransportTest, JsonRpcKeepaliveUsesCorePing) {
  SimPtr server = startSim();
  ConnectionOptions o = options(*server);
  o.pingInterval = std::chrono::milliseconds(100);
  WsConnection conn(o, common::systemClock());
  ASSERT_TRUE(getDataset(conn, 1, in(5000)).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(450));
  EXPECT_GE(server->calls().count("core.ping"), 2);
  EXPECT_EQ(server->connectionStats().legacyPings, 0);
}

TEST_F(TransportTest, UnansweredKeepaliveOfAFrozenMiddlewareDropsAndReconnects) {
  for (const char* personality : {"25.04", "24.10"}) {
    SCOPED_TRACE(personality);
    SimPtr server = startSim(personality);
    ConnectionOptions o = options(*server);
    o.pingInterval = std::chrono::milliseconds(100);
    o.pingTimeout = std::chrono::milliseconds(150);
    WsConnection conn(o, common::systemClock());
    ASSERT_TRUE(ping(conn).ok());
    setPause(*server, true);  // calls and pings go unanswered
    const auto until = Clock::now() + std::chrono::seconds(5);
    while (server->connectionStats().accepted < 2 && Clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_GE(server->connectionStats().accepted, 2) << "dead peer noticed, reconnected";
    setPause(*server, false);
    Status after = ping(conn);
    EXPECT_TRUE(after.ok()) << after;
  }
}

TEST_F(TransportTest, LoginExWithUsernameAndExpiredKey) {
  sim::SimOptions so = simOptions();
  so.apiKeyUser = "csi";
  {
    SimPtr server = startSim(so);
    ConnectionOptions o = options(*server);
    o.username = "csi";
    WsConnection conn(o, common::systemClock());
    EXPECT_TRUE(ping(conn).ok());
    EXPECT_EQ(server->calls().count("auth.login_ex"), 1);
  }
  SimPtr server = startSim(so);
  server->dispatcher().setKeyRevoked(true);
  ConnectionOptions o = options(*server);
  o.username = "csi";
  WsConnection conn(o, common::systemClock());
  Status r = ping(conn);
  EXPECT_EQ(r.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(r.message().find("expired or revoked"), std::string::npos) << r;
}

TEST_F(TransportTest, ClientOverRealConnectionReadsVersion) {
  SimPtr server = startSim("25.10");
  WsConnection conn(options(*server), common::systemClock());
  TrueNasClient client(conn, common::systemClock());
  StatusOr<VersionInfo> info = client.versionInfo();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->protocol, WireProtocol::kJsonRpc);
  EXPECT_TRUE(info->capabilities.poolSnapshotNamespace);
  EXPECT_EQ(info->productType, ProductType::kCommunityEdition);
  EXPECT_TRUE(client.ping().ok());
}

TEST_F(TransportTest, UnreachableServerIsUnavailable) {
  uint16_t port = 0;
  {
    SimPtr gone = startSim();
    port = gone->port();
    gone->stop();
  }
  ConnectionOptions o;
  o.url = "ws://127.0.0.1:" + std::to_string(port);
  o.apiKeyFile = keyFile_;
  o.connectTimeout = std::chrono::milliseconds(1000);
  WsConnection conn(o, common::systemClock());
  Status r = ping(conn, 3000);
  EXPECT_EQ(r.code(), StatusCode::kUnavailable) << r;
}

TEST_F(TransportTest, ApiKeyNeverReachesLogsOrErrors) {
  std::mutex mu;
  std::vector<std::string> lines;
  common::setLogLevel(common::LogLevel::kDebug);
  common::setLogSinkForTest([&](const std::string& line) {
    std::lock_guard<std::mutex> lock(mu);
    lines.push_back(line);
  });
  const std::string good = kKey;
  const std::string bad = "7-secretsecretsecretsecretsecretsecretsecretsecretsecretsecretsecr";
  std::vector<Status> statuses;
  {
    SimPtr server = startSim();
    {
      WsConnection conn(options(*server), common::systemClock());
      statuses.push_back(ping(conn));
      server->dropConnections();
      statuses.push_back(getDataset(conn, 1, in(5000)).status());
    }
    writeKey(bad);
    ConnectionOptions o = options(*server);
    o.username = "csi";
    WsConnection conn(o, common::systemClock());
    statuses.push_back(ping(conn));
  }
  common::setLogSinkForTest(nullptr);
  common::setLogLevel(common::LogLevel::kInfo);
  EXPECT_FALSE(lines.empty());
  for (const auto& line : lines) {
    EXPECT_EQ(line.find(good.substr(2)), std::string::npos) << line;
    EXPECT_EQ(line.find(bad.substr(2)), std::string::npos) << line;
  }
  ASSERT_EQ(statuses.size(), 3u);
  EXPECT_EQ(statuses[2].code(), StatusCode::kPermissionDenied);
  for (const auto& st : statuses) {
    EXPECT_EQ(st.message().find(good.substr(2)), std::string::npos) << st;
    EXPECT_EQ(st.message().find(bad.substr(2)), std::string::npos) << st;
  }
}

// ---- TLS --------------------------------------------------------------------------------------

class TlsTest : public TransportTest {
 protected:
  void SetUp() override {
    TransportTest::SetUp();
    cert_ = dir_ + "/cert.pem";
    key_ = dir_ + "/key.pem";
    const std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
        "-addext subjectAltName=IP:127.0.0.1 -keyout " +
        key_ + " -out " + cert_ + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "openssl not available";
  }
  SimPtr startTlsSim() {
    sim::SimOptions o = simOptions();
    o.tlsCert = cert_;
    o.tlsKey = key_;
    return startSim(o);
  }
  std::string cert_;
  std::string key_;
};

TEST_F(TlsTest, SelfSignedWithoutCaFailsVerificationClearly) {
  SimPtr server = startTlsSim();
  ASSERT_TRUE(server->tls());
  WsConnection conn(options(*server), common::systemClock());
  Status r = ping(conn);
  EXPECT_EQ(r.code(), StatusCode::kFailedPrecondition) << r;
  EXPECT_NE(r.message().find("certificate verification failed"), std::string::npos) << r;
  EXPECT_NE(r.message().find("self-signed certificate"), std::string::npos) << r;
  EXPECT_EQ(logins(*server), 0);  // the key never left the client
}

TEST_F(TlsTest, WithCaFileWorks) {
  SimPtr server = startTlsSim();
  ConnectionOptions o = options(*server);
  o.caFile = cert_;
  WsConnection conn(o, common::systemClock());
  StatusOr<json::Var> r = getDataset(conn, 5, in(5000));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(idOf(*r), "tank/d5");
  EXPECT_EQ(logins(*server), 1);
}

TEST_F(TlsTest, InsecureSkipVerifyWorks) {
  SimPtr server = startTlsSim();
  ConnectionOptions o = options(*server);
  o.insecureSkipVerify = true;
  WsConnection conn(o, common::systemClock());
  EXPECT_TRUE(ping(conn).ok());
}

}  // namespace
}  // namespace tnascsi::controller::truenas

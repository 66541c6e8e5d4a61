// WsConnection against the in-test server over loopback: multiplexing, reconnect, concurrency
// limits, bounded queue, auth lockout avoidance, deadlines, TLS verification, the ws:// rule,
// both protocols and keepalive.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <iostream>
#include <thread>
#include <vector>

#include "common/base/clock.h"
#include "common/base/files.h"
#include "controller/truenas/truenas_client.h"
#include "controller/truenas/ws_connection.h"
#include "test/integration/truenas/fake_truenas_server.h"

namespace tnascsi::controller::truenas {
namespace {

using testing::FakeServerConfig;
using testing::FakeTrueNasServer;
using Clock = std::chrono::steady_clock;

class TransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tnas-transport-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    keyFile_ = dir_ + "/api-key";
    writeKey(FakeServerConfig().apiKey);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void writeKey(const std::string& key) {
    ASSERT_TRUE(common::writeFileAtomic(keyFile_, key + "\n").ok());
  }

  ConnectionOptions options(const FakeTrueNasServer& server) {
    ConnectionOptions o;
    o.url = server.url();
    o.apiKeyFile = keyFile_;
    o.connectTimeout = std::chrono::milliseconds(3000);
    o.pingInterval = std::chrono::milliseconds(60000);
    o.backoffInitial = std::chrono::milliseconds(10);
    o.backoffMax = std::chrono::milliseconds(50);
    return o;
  }

  static Clock::time_point in(int ms) { return Clock::now() + std::chrono::milliseconds(ms); }
  static json::ArrayPtr args(int64_t v) { return json::makeArray({v}); }

  std::string dir_;
  std::string keyFile_;
};

TEST_F(TransportTest, MultiplexesConcurrentCallsOnOneConnection) {
  FakeTrueNasServer server(FakeServerConfig{});
  WsConnection conn(options(server), common::systemClock());
  ASSERT_TRUE(conn.call("test.echo", args(1), in(5000)).ok());
  const auto start = Clock::now();
  std::vector<std::future<StatusOr<json::Var>>> calls;
  for (int i = 0; i < 8; ++i) {
    calls.push_back(std::async(
        std::launch::async, [&, i] { return conn.call("test.sleep", args(300 + i), in(10000)); }));
  }
  for (int i = 0; i < 8; ++i) {
    StatusOr<json::Var> r = calls[i].get();
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(json::toInt(*r).value_or(-1), 300 + i);  // each reply reached its own caller
  }
  const auto elapsed = Clock::now() - start;
  std::cout << "[measure] 8 concurrent 300-307 ms calls on one connection took "
            << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms\n";
  EXPECT_LT(elapsed, std::chrono::milliseconds(8 * 300 / 2)) << "calls were serialized";
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(server.authAttempts(), 1);
  EXPECT_GE(server.maxConcurrent(), 4);
}

TEST_F(TransportTest, DropFailsInFlightWithUnavailableThenReconnects) {
  FakeTrueNasServer server(FakeServerConfig{});
  ConnectionOptions o = options(server);
  o.backgroundReconnect = false;
  WsConnection conn(o, common::systemClock());
  ASSERT_TRUE(conn.call("test.echo", args(1), in(5000)).ok());
  auto inflight = std::async(std::launch::async,
                             [&] { return conn.call("test.sleep", args(1500), in(10000)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto dropAt = Clock::now();
  server.dropConnections();
  StatusOr<json::Var> r = inflight.get();
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status();
  EXPECT_NE(r.status().message().find("may or may not"), std::string::npos) << r.status();
  const auto failAfter = Clock::now() - dropAt;
  std::cout << "[measure] in-flight call failed "
            << std::chrono::duration_cast<std::chrono::milliseconds>(failAfter).count()
            << " ms after the server dropped the connection\n";
  EXPECT_LT(failAfter, std::chrono::milliseconds(1400)) << "not failed promptly";
  const uint64_t gen = conn.connectionGeneration();
  StatusOr<json::Var> next = conn.call("test.echo", args(2), in(5000));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(json::toInt(*next).value_or(0), 2);
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(server.authAttempts(), 2);  // re-authenticated once
  EXPECT_GT(conn.connectionGeneration(), gen);
}

TEST_F(TransportTest, NeverExceedsServerLimitManyCallers) {
  FakeTrueNasServer server(FakeServerConfig{});
  WsConnection conn(options(server), common::systemClock());
  std::vector<std::future<StatusOr<json::Var>>> calls;
  for (int i = 0; i < 60; ++i) {
    calls.push_back(std::async(std::launch::async,
                               [&] { return conn.call("test.sleep", args(50), in(20000)); }));
  }
  int ok = 0;
  for (auto& f : calls) ok += f.get().ok();
  EXPECT_EQ(ok, 60);
  EXPECT_EQ(server.tooBusyReplies(), 0);
  EXPECT_LE(server.maxConcurrent(), 10);
}

TEST_F(TransportTest, BoundedWaitQueueRejectsExcess) {
  FakeTrueNasServer server(FakeServerConfig{});
  ConnectionOptions o = options(server);
  o.maxRunningCalls = 2;
  o.maxQueuedCalls = 3;
  WsConnection conn(o, common::systemClock());
  ASSERT_TRUE(conn.call("test.echo", args(1), in(5000)).ok());
  std::vector<std::future<StatusOr<json::Var>>> calls;
  for (int i = 0; i < 12; ++i) {
    calls.push_back(std::async(std::launch::async,
                               [&] { return conn.call("test.sleep", args(400), in(20000)); }));
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
  EXPECT_LE(server.maxConcurrent(), 2);
  EXPECT_EQ(server.tooBusyReplies(), 0);
}

TEST_F(TransportTest, WrongKeyIsPermanentAndDoesNotHammerTheServer) {
  FakeTrueNasServer server(FakeServerConfig{});
  writeKey("1-wrongwrongwrongwrongwrongwrongwrongwrongwrongwrongwrongwrongwrong");
  WsConnection conn(options(server), common::systemClock());
  for (int i = 0; i < 30; ++i) {
    StatusOr<json::Var> r = conn.call("test.echo", args(i), in(3000));
    ASSERT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status();
    EXPECT_EQ(r.status().message().find("wrongwrong"), std::string::npos) << "key leaked";
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(server.authAttempts(), 1);
  // Each new (still wrong) key gets a try, but never more than 5 per minute.
  for (int i = 0; i < 10; ++i) {
    writeKey("1-wrong" + std::to_string(i) + "wrongwrongwrongwrongwrongwrongwrongwrongwrongwrong");
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    (void)conn.call("test.echo", args(i), in(3000));
  }
  EXPECT_LE(server.authAttempts(), 5);
  EXPECT_GE(server.authAttempts(), 2);
  EXPECT_LE(conn.authAttempts(), 5);
}

TEST_F(TransportTest, DeadlineExceededAndConnectionStillUsable) {
  FakeTrueNasServer server(FakeServerConfig{});
  WsConnection conn(options(server), common::systemClock());
  ASSERT_TRUE(conn.call("test.echo", args(1), in(5000)).ok());
  const auto start = Clock::now();
  StatusOr<json::Var> r = conn.call("test.sleep", args(1500), in(200));
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status();
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(1000));
  EXPECT_TRUE(conn.call("test.echo", args(3), in(5000)).ok());
  EXPECT_EQ(server.connections(), 1);
}

TEST_F(TransportTest, PlainWsToNonLoopbackIsRefused) {
  ConnectionOptions o;
  o.url = "ws://192.0.2.10:80";  // TEST-NET-1; the refusal happens before any connection
  o.apiKeyFile = keyFile_;
  WsConnection conn(o, common::systemClock());
  StatusOr<json::Var> r = conn.call("core.ping", json::makeArray(), in(2000));
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition) << r.status();
  EXPECT_NE(r.status().message().find("wss://"), std::string::npos) << r.status();
  EXPECT_EQ(conn.authAttempts(), 0);
}

TEST_F(TransportTest, LegacyProtocolWithKeepalive) {
  FakeServerConfig cfg;
  cfg.jsonRpc = false;
  cfg.version = "TrueNAS-SCALE-24.10.2";
  cfg.productType = "SCALE";
  FakeTrueNasServer server(cfg);
  ConnectionOptions o = options(server);
  o.pingInterval = std::chrono::milliseconds(100);
  WsConnection conn(o, common::systemClock());
  StatusOr<WireProtocol> p = conn.protocol(in(5000));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, WireProtocol::kLegacyDdp);
  StatusOr<json::Var> r = conn.call("test.echo", args(7), in(5000));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(json::toInt(*r).value_or(0), 7);
  std::this_thread::sleep_for(std::chrono::milliseconds(450));
  EXPECT_GE(server.pings(), 2);
  EXPECT_TRUE(conn.connected());
  // Errors decode through the legacy path too.
  EXPECT_EQ(conn.call("no.such", json::makeArray(), in(5000)).status().code(),
            StatusCode::kUnimplemented);
}

TEST_F(TransportTest, JsonRpcKeepaliveUsesCorePing) {
  FakeTrueNasServer server(FakeServerConfig{});
  ConnectionOptions o = options(server);
  o.pingInterval = std::chrono::milliseconds(100);
  WsConnection conn(o, common::systemClock());
  ASSERT_TRUE(conn.call("test.echo", args(1), in(5000)).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(450));
  EXPECT_GE(server.pings(), 2);
}

TEST_F(TransportTest, LoginExWithUsernameAndExpiredKey) {
  FakeTrueNasServer server(FakeServerConfig{});
  ConnectionOptions o = options(server);
  o.username = "csi";
  {
    WsConnection conn(o, common::systemClock());
    EXPECT_TRUE(conn.call("test.echo", args(1), in(5000)).ok());
  }
  FakeServerConfig expired;
  expired.keyExpired = true;
  FakeTrueNasServer server2(expired);
  ConnectionOptions o2 = options(server2);
  o2.username = "csi";
  WsConnection conn2(o2, common::systemClock());
  StatusOr<json::Var> r = conn2.call("test.echo", args(1), in(5000));
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(r.status().message().find("expired or revoked"), std::string::npos) << r.status();
}

TEST_F(TransportTest, ClientOverRealConnectionReadsVersion) {
  FakeServerConfig cfg;
  cfg.version = "TrueNAS-25.10.0";
  FakeTrueNasServer server(cfg);
  WsConnection conn(options(server), common::systemClock());
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
    FakeTrueNasServer gone(FakeServerConfig{});
    port = gone.port();
  }
  ConnectionOptions o;
  o.url = "ws://127.0.0.1:" + std::to_string(port);
  o.apiKeyFile = keyFile_;
  o.connectTimeout = std::chrono::milliseconds(1000);
  WsConnection conn(o, common::systemClock());
  StatusOr<json::Var> r = conn.call("core.ping", json::makeArray(), in(3000));
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status();
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
  FakeServerConfig tlsConfig() {
    FakeServerConfig c;
    c.certFile = cert_;
    c.keyFile = key_;
    return c;
  }
  std::string cert_;
  std::string key_;
};

TEST_F(TlsTest, SelfSignedWithoutCaFailsVerificationClearly) {
  FakeTrueNasServer server(tlsConfig());
  WsConnection conn(options(server), common::systemClock());
  StatusOr<json::Var> r = conn.call("test.echo", args(1), in(5000));
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition) << r.status();
  EXPECT_NE(r.status().message().find("certificate verification failed"), std::string::npos)
      << r.status();
  EXPECT_NE(r.status().message().find("self-signed certificate"), std::string::npos) << r.status();
  EXPECT_EQ(server.authAttempts(), 0);  // the key never left the client
}

TEST_F(TlsTest, WithCaFileWorks) {
  FakeTrueNasServer server(tlsConfig());
  ConnectionOptions o = options(server);
  o.caFile = cert_;
  WsConnection conn(o, common::systemClock());
  StatusOr<json::Var> r = conn.call("test.echo", args(5), in(5000));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(json::toInt(*r).value_or(0), 5);
  EXPECT_EQ(server.authAttempts(), 1);
}

TEST_F(TlsTest, InsecureSkipVerifyWorks) {
  FakeTrueNasServer server(tlsConfig());
  ConnectionOptions o = options(server);
  o.insecureSkipVerify = true;
  WsConnection conn(o, common::systemClock());
  EXPECT_TRUE(conn.call("test.echo", args(5), in(5000)).ok());
}

}  // namespace
}  // namespace tnascsi::controller::truenas

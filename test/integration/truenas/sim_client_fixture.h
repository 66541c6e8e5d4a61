// SimClientTest: the fixture of the client-against-the-simulator suites: per test a fresh
// in-process simulator of one personality (pool "tank", 100 GiB) and a real TrueNasClient over
// WebSocket with the API key in a file.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "common/base/clock.h"
#include "common/base/files.h"
#include "controller/truenas/truenas_client.h"
#include "controller/truenas/ws_connection.h"
#include "test/truenas-sim/server/sim_server.h"

namespace tnascsi::controller::truenas {

inline constexpr const char* kKey =
    "1-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ01";

class SimClientTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tnas-simclient-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ASSERT_TRUE(common::writeFileAtomic(dir_ + "/key", std::string(kKey) + "\n").ok());
    sim::SimOptions o;
    o.personality = GetParam();
    o.apiKey = kKey;
    o.pools = {{"tank", int64_t{100} << 30}};
    auto created = sim::SimServer::create(o);
    ASSERT_TRUE(created.ok()) << created.status();
    server_ = std::move(*created);
    auto port = server_->start();
    ASSERT_TRUE(port.ok()) << port.status();
    ConnectionOptions c;
    c.url = server_->wsUrl();
    c.apiKeyFile = dir_ + "/key";
    conn_ = std::make_unique<WsConnection>(c, common::systemClock());
    client_ = std::make_unique<TrueNasClient>(*conn_, common::systemClock());
  }
  void TearDown() override {
    client_.reset();
    conn_.reset();
    if (server_) server_->stop();
    std::filesystem::remove_all(dir_);
  }

  std::string dir_;
  std::unique_ptr<sim::SimServer> server_;
  std::unique_ptr<WsConnection> conn_;
  std::unique_ptr<TrueNasClient> client_;
};

// Test-name suffix of a personality: "25.04" -> "v25_04".
inline std::string simTestName(const ::testing::TestParamInfo<const char*>& p) {
  std::string n = p.param;
  for (char& ch : n) {
    if (ch == '.') ch = '_';
  }
  return "v" + n;
}

}  // namespace tnascsi::controller::truenas

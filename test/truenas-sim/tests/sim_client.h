// Test helpers: SimClient, a minimal Poco WebSocket client for the simulator speaking JSON-RPC
// 2.0 or the legacy protocol with one normalised response type, and SimFixture, which runs an
// in-process SimServer on port 0 with a pool and an API key. Not thread-safe (one test thread).
#pragma once

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/WebSocket.h>
#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "test/truenas-sim/json/json.h"
#include "test/truenas-sim/server/sim_server.h"

namespace tnascsi::sim::testing {

inline constexpr char kApiKey[] =
    "7-aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789aBcDeFgHiJkLmNoPqRsTuVwXyZ01";
inline constexpr int64_t kGiB = 1024LL * 1024 * 1024;

// A reply, normalised across wire formats.
struct Reply {
  bool ok = false;
  Json result;
  Json error;      // the raw error object
  int code = 0;    // JSON-RPC error code (0 on legacy)
  int errnum = 0;  // data.error (JSON-RPC) or error.error (legacy)
  Json extra;      // [[attr, msg, errno], ...] or CallError extra
  std::string reason;
  bool closed = false;  // the connection ended instead of answering

  // Whether extra holds [attr, msg, errno] whose attr equals `attr` and msg contains `msg`.
  bool hasItem(const std::string& attr, const std::string& msg) const;
  std::string describe() const;
};

class SimClient {
 public:
  // Connects to `path` ("/api/current" or "/websocket"); legacy does the connect handshake.
  SimClient(uint16_t port, const std::string& path, bool tls = false, bool handshake = true);
  ~SimClient();

  bool legacy() const { return legacy_; }
  Reply call(const std::string& method, Json params = Json::array());
  // Sends without waiting; returns the id used.
  Json send(const std::string& method, Json params = Json::array());
  Reply wait(const Json& id);
  void sendText(const std::string& text);
  // Next message (response or notification); nullopt on close/timeout. closeCode set on close.
  std::optional<Json> receive(int timeoutMs = 5000);
  std::optional<Json> nextNotification(int timeoutMs = 5000);
  int closeCode() const { return closeCode_; }
  bool loginWithKey(const std::string& key = kApiKey);

 private:
  std::unique_ptr<Poco::Net::HTTPClientSession> session_;
  std::unique_ptr<Poco::Net::WebSocket> ws_;
  bool legacy_;
  int64_t nextId_ = 1;
  std::deque<Json> notifications_;
  std::deque<Json> responses_;
  int closeCode_ = 0;
};

// Parameterised over the personality name.
class SimFixture : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Builds options for this personality (override fields before startServer()).
  SimOptions defaultOptions() const;
  void startServer(SimOptions options, std::unique_ptr<Backing> backing = nullptr);
  // A logged-in client on the personality's native protocol.
  std::unique_ptr<SimClient> connect(bool login = true);

  const std::string& personality() const { return personality_; }
  bool scale25() const { return personality_ == "25.04" || personality_ == "25.10"; }
  bool core() const { return personality_ == "13.0"; }
  std::string snapNs() const { return personality_ == "25.10" ? "pool.snapshot" : "zfs.snapshot"; }

  // Convenience wrappers that assert success.
  Json ok(const std::string& method, Json params);
  Json createZvol(const std::string& name, int64_t size, Json extra = Json::object());
  Json createFs(const std::string& name, Json extra = Json::object());

  std::string personality_;
  std::string tempDir_;
  std::unique_ptr<SimServer> server_;
  std::unique_ptr<SimClient> client_;
};

// Builds a JSON array from values.
inline Json arr(std::initializer_list<Json> items) {
  Json a = Json::array();
  for (const auto& i : items) a.push(i);
  return a;
}
// Builds an object from key/value pairs.
inline Json obj(std::initializer_list<std::pair<const char*, Json>> items) {
  Json o = Json::object();
  for (const auto& [k, v] : items) o.set(k, v);
  return o;
}

// The personalities, for INSTANTIATE_TEST_SUITE_P.
inline std::vector<std::string> allPersonalities() {
  return {"13.0", "24.10", "25.04", "25.10"};
}
// Test-name suffix for a personality ("v25_04").
inline std::string personalityTestName(const ::testing::TestParamInfo<std::string>& p) {
  std::string n = "v" + p.param;
  for (char& c : n) c = c == '.' ? '_' : c;
  return n;
}

std::string makeTempDir();
// An HTTP request against the server (control plane, REST); returns status and body.
std::pair<int, std::string> httpRequest(uint16_t port, const std::string& method,
                                        const std::string& path, const std::string& body = "",
                                        const std::string& authorization = "");

}  // namespace tnascsi::sim::testing

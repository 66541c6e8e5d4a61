// Simulator machinery: persistence across restarts, the /_sim control plane (call counts,
// faults), ExecBacking with a recording script, TLS, REST, and the truenas-sim CLI.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/base/files.h"
#include "test/truenas-sim/tests/conformance.h"

namespace tnascsi::sim::testing {
namespace {

class ServerTest : public ConformanceTest {};

TEST_P(ServerTest, StatePersistsAcrossRestart) {
  createZvol("tank/v", kGiB, obj({{"comments", "keep me"}}));
  Json p = portal();
  Json t = target("t", p.value("id"));
  Json e = extent("e", "tank/v");
  ok("iscsi.targetextent.create",
     arr({obj({{"target", t.value("id")}, {"extent", e.value("id")}})}));
  ok(snapNs() + ".create", arr({obj({{"dataset", "tank/v"}, {"name", "s"}})}));
  startServer(defaultOptions());
  client_ = connect();
  Json v = ok("pool.dataset.get_instance", arr({"tank/v"}));
  EXPECT_EQ(v.value("comments").value("value").asString(), "keep me");
  Json e2 = ok("iscsi.extent.get_instance", arr({e.value("id")}));
  EXPECT_EQ(e2.value("serial"), e.value("serial"));
  EXPECT_EQ(e2.value("naa"), e.value("naa"));
  EXPECT_EQ(ok("iscsi.targetextent.query", arr({})).size(), 1u);
  EXPECT_EQ(ok(snapNs() + ".query", arr({})).size(), 1u);
  // Ids keep counting after a restart.
  Json p2 = portal("127.0.0.1");
  EXPECT_EQ(p2.value("id").asInt(), 2);
}

TEST_P(ServerTest, CallCountsOverHttp) {
  ASSERT_EQ(httpRequest(server_->port(), "POST", "/_sim/calls/reset").first, 200);
  ok("pool.query", arr({}));
  ok("pool.query", arr({}));
  ok("system.version", arr({}));
  auto [status, body] = httpRequest(server_->port(), "GET", "/_sim/calls");
  ASSERT_EQ(status, 200);
  auto j = Json::parse(body);
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->value("total").asInt(), 3);
  EXPECT_EQ(j->value("methods").value("pool.query").asInt(), 2);
  EXPECT_EQ(server_->calls().count("system.version"), 1);
}

TEST_P(ServerTest, InjectedFailureThenRecovery) {
  createZvol("tank/v", kGiB);
  auto [status, body] = httpRequest(
      server_->port(), "POST", "/_sim/faults",
      R"({"fail":{"method":"iscsi.extent.create","code":"CallError","errno":14,"message":"boom","times":1}})");
  ASSERT_EQ(status, 200) << body;
  Reply r =
      client_->call("iscsi.extent.create", arr({obj({{"name", "e"}, {"disk", "zvol/tank/v"}})}));
  expectCallError(r, EFAULT, "boom");
  extent("e", "tank/v");
  EXPECT_EQ(httpRequest(server_->port(), "POST", "/_sim/faults", R"({"nope":1})").first, 400);
}

TEST_P(ServerTest, LatencyAndDropFaults) {
  ASSERT_TRUE(server_->faults().set(obj({{"latency_ms", 150}})).ok());
  auto t0 = std::chrono::steady_clock::now();
  ok("core.ping", arr({}));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(150));
  ASSERT_EQ(httpRequest(server_->port(), "DELETE", "/_sim/faults").first, 200);
  ASSERT_TRUE(server_->faults().set(obj({{"drop_after_calls", 2}})).ok());
  EXPECT_TRUE(client_->call("core.ping").ok);
  EXPECT_TRUE(client_->call("core.ping").ok);
  Reply dropped = client_->call("core.ping");
  EXPECT_TRUE(dropped.closed) << dropped.describe();
  client_ = connect();
  EXPECT_TRUE(client_->call("core.ping").ok) << "the drop fault is one-shot";
}

TEST_P(ServerTest, DropReplyRunsTheCallThenDropsTheConnection) {
  createZvol("tank/v", kGiB);
  ASSERT_TRUE(
      server_->faults().set(obj({{"drop_reply", obj({{"method", "iscsi.extent.create"}})}})).ok());
  EXPECT_EQ(server_->faults().toJson().value("drop_reply").size(), 1u);
  Reply dropped =
      client_->call("iscsi.extent.create", arr({obj({{"name", "e"}, {"disk", "zvol/tank/v"}})}));
  EXPECT_TRUE(dropped.closed) << dropped.describe();
  client_ = connect();
  Json made = ok("iscsi.extent.query", arr({arr({arr({"name", "=", "e"})})}));
  EXPECT_EQ(made.size(), 1u) << "TrueNAS applied the call whose answer was lost";
  EXPECT_EQ(server_->faults().toJson().value("drop_reply").size(), 0u) << "one-shot";
  EXPECT_EQ(httpRequest(server_->port(), "POST", "/_sim/faults", R"({"drop_reply":{}})").first,
            400);
}

TEST_P(ServerTest, PauseHoldsCallsUntilResumed) {
  ASSERT_TRUE(server_->faults().set(obj({{"pause", true}})).ok());
  Json id = client_->send("core.ping");
  EXPECT_FALSE(client_->receive(300).has_value()) << "paused calls are not answered";
  ASSERT_TRUE(server_->faults().set(obj({{"pause", false}})).ok());
  EXPECT_TRUE(client_->wait(id).ok);
}

TEST_P(ServerTest, ExecBackingReceivesEventsAndFailuresRollBack) {
  const std::string script = tempDir_ + "/backing.sh";
  const std::string log = tempDir_ + "/events.jsonl";
  {
    std::ofstream f(script);
    f << "#!/bin/sh\n"
         "ev=$(cat)\n"
         "echo \"$ev\" >> '"
      << log
      << "'\n"
         "case \"$ev\" in *tank/fail*) echo 'lio: cannot create backstore' >&2; "
         "echo second >&2; exit 3;; esac\n"
         "exit 0\n";
  }
  ::chmod(script.c_str(), 0755);
  SimOptions o = defaultOptions();
  o.backingRoot = tempDir_ + "/root";
  startServer(o, std::make_unique<ExecBacking>(script));
  client_ = connect();
  createZvol("tank/v", kGiB);
  extent("e", "tank/v");
  Reply r =
      client_->call("pool.dataset.create",
                    arr({obj({{"name", "tank/fail"}, {"type", "VOLUME"}, {"volsize", kGiB}})}));
  expectCallError(r, EFAULT, "lio: cannot create backstore");
  EXPECT_EQ(r.reason.find("second"), std::string::npos) << "only the first stderr line";
  EXPECT_FALSE(client_->call("pool.dataset.get_instance", arr({"tank/fail"})).ok)
      << "a failed backing rolls the model back";
  auto text = common::readFile(log);
  ASSERT_TRUE(text.ok());
  std::istringstream lines(*text);
  std::string line;
  std::vector<Json> events;
  while (std::getline(lines, line)) {
    auto j = Json::parse(line);
    ASSERT_TRUE(j.ok()) << line;
    events.push_back(*j);
  }
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events[0].value("event").asString(), "zvol.create");
  EXPECT_EQ(events[0].value("name").asString(), "tank/v");
  EXPECT_EQ(events[0].value("volsize").asInt(), kGiB);
  EXPECT_EQ(events[0].value("root").asString(), tempDir_ + "/root");
  EXPECT_EQ(events[1].value("event").asString(), "iscsi.config");
  EXPECT_EQ(events[1].value("config").value("extents").at(0).value("disk").asString(),
            "zvol/tank/v");
  EXPECT_EQ(events[2].value("event").asString(), "zvol.create");
  EXPECT_EQ(events[2].value("name").asString(), "tank/fail");
}

TEST_P(ServerTest, TlsSelfSigned) {
  SimOptions o = defaultOptions();
  o.tlsSelfSigned = true;
  o.treatLoopbackInsecure = true;  // TLS alone must make the transport secure
  startServer(o);
  EXPECT_EQ(server_->wsUrl().rfind("wss://", 0), 0u);
  client_ = connect();
  EXPECT_TRUE(client_->call("pool.query").ok);
  EXPECT_FALSE(server_->dispatcher().keyRevoked());
}

TEST_P(ServerTest, RestSubset) {
  const std::string bearer = std::string("Bearer ") + kApiKey;
  EXPECT_EQ(httpRequest(server_->port(), "GET", "/api/v2.0/system/version").first, 401);
  auto [status, body] = httpRequest(server_->port(), "GET", "/api/v2.0/system/version", "", bearer);
  EXPECT_EQ(status, 200);
  EXPECT_NE(body.find("TrueNAS-"), std::string::npos);
  createFs("tank/a");
  std::tie(status, body) =
      httpRequest(server_->port(), "GET", "/api/v2.0/pool/dataset?name=tank%2Fa", "", bearer);
  EXPECT_EQ(status, 200);
  EXPECT_NE(body.find("\"tank/a\""), std::string::npos) << body;
  std::tie(status, body) =
      httpRequest(server_->port(), "GET", "/api/v2.0/pool/dataset/id/tank%2Fnope", "", bearer);
  EXPECT_EQ(status, 404) << body;
  std::tie(status, body) = httpRequest(server_->port(), "POST", "/api/v2.0/pool/dataset",
                                       R"({"name":"tank/missing/x"})", bearer);
  EXPECT_EQ(status, 422) << body;
  EXPECT_NE(body.find("pool_dataset_create.name"), std::string::npos) << body;
  std::tie(status, body) =
      httpRequest(server_->port(), "DELETE", "/api/v2.0/pool/dataset/id/tank%2Fa",
                  R"({"recursive":true})", bearer);
  EXPECT_EQ(status, 200) << body;
}

TEST_P(ServerTest, CliPrintsListeningAndServes) {
  const std::string keyFile = tempDir_ + "/key";
  ASSERT_TRUE(common::writeFileAtomic(keyFile, std::string(kApiKey) + "\n").ok());
  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  const std::string state = tempDir_ + "/cli-state.json";
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::close(out[0]);
    ::execl(TRUENAS_SIM_BINARY, TRUENAS_SIM_BINARY, "--personality", personality().c_str(),
            "--listen", "127.0.0.1:0", "--api-key-file", keyFile.c_str(), "--state", state.c_str(),
            "--pool", "tank:100G", "--log-level", "error", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out[1]);
  std::string text;
  char buf[256];
  while (text.find('\n') == std::string::npos) {
    ssize_t n = ::read(out[0], buf, sizeof(buf));
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(out[0]);
  ASSERT_NE(text.find("listening on ws://127.0.0.1:"), std::string::npos) << text;
  const uint16_t port = static_cast<uint16_t>(std::atoi(text.substr(text.rfind(':') + 1).c_str()));
  {
    SimClient c(port, scale25() ? "/api/current" : "/websocket");
    EXPECT_TRUE(c.loginWithKey());
    Json pool = c.call("pool.query").result;
    ASSERT_EQ(pool.size(), 1u);
    EXPECT_EQ(pool.at(0).value("size").asInt(), 100 * kGiB);
  }
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_TRUE(common::readFile(state).ok());
}

INSTANTIATE_TEST_SUITE_P(AllVersions, ServerTest, ::testing::ValuesIn(allPersonalities()),
                         personalityTestName);

}  // namespace
}  // namespace tnascsi::sim::testing

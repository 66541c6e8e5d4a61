// The real binaries' /metrics after real CSI calls, judged by a real Prometheus parser.
//
// The controller runs against the TrueNAS simulator binary (prepared by tnas-truenas-setup), the
// node agent NFS-only on temp directories. The test makes a known set of CSI calls, scrapes
// /metrics over HTTP and hands the text, the calls it made and the simulator's own count of the
// TrueNAS calls it received (GET /_sim/calls) to check_metrics.py, which parses the text with
// python3-prometheus-client and checks the naming conventions and that every count matches.
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <csignal>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "absl/status/status.h"
#include "proto/csi.grpc.pb.h"
#include "test/integration/conformance/controller_fixture.h"
#include "test/support/subprocess.h"

namespace tnascsi {
namespace {

using testing::Subprocess;
using testing::TempDir;
using Calls = std::map<std::string, std::map<std::string, int>>;  // method -> code -> count

struct Http {
  int status = 0;
  std::string body;
};

Http http(int port, const std::string& method, const std::string& path) {
  Http out;
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
    session.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentLength(0);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    std::ostringstream body;
    Poco::StreamCopier::copyStream(in, body);
    out.status = response.getStatus();
    out.body = body.str();
  } catch (const std::exception& e) {
    out.body = e.what();
  }
  return out;
}

// Waits for `pattern` (one capture group) in the process output.
std::string waitForOutput(const Subprocess& p, const std::string& pattern) {
  const std::regex re(pattern);
  for (int i = 0; i < 200; ++i) {
    std::smatch m;
    const std::string out = p.output();
    if (std::regex_search(out, m, re)) return m[1];
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return "";
}

int metricsPort(const Subprocess& p) {
  const std::string port =
      waitForOutput(p, "serving /metrics and /healthz\" address=[0-9.]+:([0-9]+)");
  return port.empty() ? 0 : std::stoi(port);
}

std::string json(const Calls& calls) {
  std::string out = "{";
  for (const auto& [method, codes] : calls) {
    if (out.size() > 1) out += ",";
    out += "\"" + method + "\":{";
    bool first = true;
    for (const auto& [code, n] : codes) {
      out += std::string(first ? "" : ",") + "\"" + code + "\":" + std::to_string(n);
      first = false;
    }
    out += "}";
  }
  return out + "}";
}

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

// Runs check_metrics.py; returns its exit code and appends its output to *log.
int check(const std::vector<std::string>& args, std::string* log) {
  std::vector<std::string> argv{"/usr/bin/python3", TNAS_CHECK_METRICS};
  argv.insert(argv.end(), args.begin(), args.end());
  Subprocess py(argv);
  const int rc = py.wait(std::chrono::seconds(60));
  *log = py.output();
  return rc;
}

grpc::Status grpcOk(const char* what, const grpc::Status& s) {
  EXPECT_TRUE(s.ok()) << what << ": " << s.error_message();
  return s;
}

std::string code(const grpc::Status& s) {
  // gRPC and absl share the numbering; the metrics label codes with absl's names too.
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(s.error_code()));
}

TEST(MetricsScrapeTest, ControllerAgainstSimulatorCountsMatchTheCallsMade) {
  TempDir dir;
  const std::string key = dir.path() + "/api-key";
  writeFile(key, "1-" + std::string(64, 'k') + "\n");
  ::chmod(key.c_str(), 0600);
  Subprocess sim({TNAS_SIM_BIN, "--personality", "25.10", "--listen", "127.0.0.1:0",
                  "--api-key-file", key, "--state", dir.path() + "/sim.json", "--pool",
                  "tank:20G"});
  const std::string url = waitForOutput(sim, "listening on (ws://[0-9.:]+)");
  ASSERT_FALSE(url.empty()) << sim.output();
  const int simPort = std::stoi(url.substr(url.rfind(':') + 1));
  Subprocess setup({TNAS_SETUP_BIN, "--url", url, "--api-key-file", key, "--dataset", "tank/k8s",
                    "--portal-ip", "127.0.0.1", "--service", "iscsitarget", "--service", "nfs"});
  ASSERT_EQ(setup.wait(std::chrono::seconds(60)), 0) << setup.output();
  ASSERT_EQ(http(simPort, "POST", "/_sim/calls/reset").status, 200);

  const std::string sock = dir.path() + "/controller.sock";
  Subprocess controller({TNAS_CONTROLLER_BIN, "--endpoint", "unix://" + sock, "--truenas-url", url,
                         "--api-key-file", key, "--parent-dataset", "tank/k8s", "--portal",
                         "127.0.0.1:3260", "--metrics-address", "127.0.0.1:0"});
  ASSERT_TRUE(testing::waitForPath(sock, std::chrono::seconds(20))) << controller.output();
  const int port = metricsPort(controller);
  ASSERT_GT(port, 0) << controller.output();
  EXPECT_EQ(http(port, "GET", "/healthz").body, "ok\n");

  auto channel = grpc::CreateChannel("unix://" + sock, grpc::InsecureChannelCredentials());
  auto identity = csi::v1::Identity::NewStub(channel);
  auto ctl = csi::v1::Controller::NewStub(channel);
  Calls made;
  auto record = [&made](const char* method, const grpc::Status& s) { ++made[method][code(s)]; };
  for (int i = 0; i < 2; ++i) {
    grpc::ClientContext ctx;
    csi::v1::ProbeResponse resp;
    record("Probe", grpcOk("Probe", identity->Probe(&ctx, {}, &resp)));
  }
  std::vector<std::string> volumes;
  for (const auto& [name, protocol] : std::vector<std::pair<std::string, std::string>>{
           {"pvc-m1", "iscsi"}, {"pvc-m2", "iscsi"}, {"pvc-m3", "nfs"}, {"pvc-m1", "iscsi"}}) {
    grpc::ClientContext ctx;
    csi::v1::CreateVolumeResponse resp;
    record("CreateVolume",
           grpcOk("CreateVolume",
                  ctl->CreateVolume(&ctx, testing::createRequest(name, protocol), &resp)));
    if (name != "pvc-m1" || volumes.empty()) volumes.push_back(resp.volume().volume_id());
  }
  {  // bad input: a clear error, counted under its code
    grpc::ClientContext ctx;
    csi::v1::CreateVolumeResponse resp;
    grpc::Status s = ctl->CreateVolume(&ctx, testing::createRequest("", "iscsi"), &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    record("CreateVolume", s);
  }
  std::string snapshot;
  {
    grpc::ClientContext ctx;
    csi::v1::CreateSnapshotRequest req;
    req.set_name("snap-m1");
    req.set_source_volume_id(volumes.at(0));
    csi::v1::CreateSnapshotResponse resp;
    record("CreateSnapshot", grpcOk("CreateSnapshot", ctl->CreateSnapshot(&ctx, req, &resp)));
    snapshot = resp.snapshot().snapshot_id();
  }
  {
    grpc::ClientContext ctx;
    csi::v1::DeleteSnapshotRequest req;
    req.set_snapshot_id(snapshot);
    csi::v1::DeleteSnapshotResponse resp;
    record("DeleteSnapshot", grpcOk("DeleteSnapshot", ctl->DeleteSnapshot(&ctx, req, &resp)));
  }
  for (const auto& id : volumes) {
    grpc::ClientContext ctx;
    csi::v1::DeleteVolumeRequest req;
    req.set_volume_id(id);
    csi::v1::DeleteVolumeResponse resp;
    record("DeleteVolume", grpcOk("DeleteVolume", ctl->DeleteVolume(&ctx, req, &resp)));
  }
  // iSCSI deletes schedule the leftover sweep (debounced, 5 s); wait until it has run so the
  // TrueNAS calls stand still while both sides are read.
  std::string text;
  for (int i = 0; i < 200; ++i) {
    text = http(port, "GET", "/metrics").body;
    if (text.find("truenas_csi_leftover_sweeps_total{backend=") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const Http simCalls = http(simPort, "GET", "/_sim/calls");
  ASSERT_EQ(simCalls.status, 200);
  text = http(port, "GET", "/metrics").body;

  writeFile(dir.path() + "/controller.prom", text);
  writeFile(dir.path() + "/csi-calls.json", json(made));
  writeFile(dir.path() + "/sim-calls.json", simCalls.body);
  std::string log;
  EXPECT_EQ(check({"--scrape", dir.path() + "/controller.prom", "--component", "controller",
                   "--csi-calls", dir.path() + "/csi-calls.json", "--truenas-calls",
                   dir.path() + "/sim-calls.json", "--expect-sweep"},
                  &log),
            0)
      << log << "\n--- scrape:\n"
      << text;
  std::printf("%s", log.c_str());
  EXPECT_EQ(controller.stop(SIGTERM), 0);
}

TEST(MetricsScrapeTest, NodeAgentCountsMatchTheCallsMade) {
  TempDir dir;
  const std::string sock = dir.path() + "/node.sock";
  Subprocess node({TNAS_NODE_BIN, "--endpoint", "unix://" + sock, "--kubelet-dir",
                   dir.path() + "/kubelet", "--state-dir", dir.path() + "/state",
                   "--register-with-kubelet=false", "--iscsi=false", "--node-name", "n1",
                   "--metrics-address", "127.0.0.1:0"});
  ASSERT_TRUE(testing::waitForPath(sock, std::chrono::seconds(20))) << node.output();
  const int port = metricsPort(node);
  ASSERT_GT(port, 0) << node.output();
  auto channel = grpc::CreateChannel("unix://" + sock, grpc::InsecureChannelCredentials());
  auto stub = csi::v1::Node::NewStub(channel);
  Calls made;
  for (int i = 0; i < 3; ++i) {
    grpc::ClientContext ctx;
    csi::v1::NodeGetInfoResponse resp;
    ++made["NodeGetInfo"][code(grpcOk("NodeGetInfo", stub->NodeGetInfo(&ctx, {}, &resp)))];
  }
  {  // hostile input: a path outside the kubelet dir is refused, and counted under its code
    grpc::ClientContext ctx;
    csi::v1::NodeUnstageVolumeRequest req;
    req.set_volume_id("v");
    req.set_staging_target_path("/etc");
    csi::v1::NodeUnstageVolumeResponse resp;
    grpc::Status s = stub->NodeUnstageVolume(&ctx, req, &resp);
    EXPECT_FALSE(s.ok());
    ++made["NodeUnstageVolume"][code(s)];
  }
  const std::string text = http(port, "GET", "/metrics").body;
  writeFile(dir.path() + "/node.prom", text);
  writeFile(dir.path() + "/csi-calls.json", json(made));
  std::string log;
  EXPECT_EQ(check({"--scrape", dir.path() + "/node.prom", "--component", "node", "--csi-calls",
                   dir.path() + "/csi-calls.json"},
                  &log),
            0)
      << log << "\n--- scrape:\n"
      << text;
  std::printf("%s", log.c_str());
  EXPECT_EQ(node.stop(SIGTERM), 0);
}

}  // namespace
}  // namespace tnascsi

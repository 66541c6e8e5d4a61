// tnas-e2e-nfs-fencing: per-node NFS exports (StorageClass nfsExportPerNode, issue #16) on a real
// kernel NFS server, driven over CSI against the running controller and node agent (guest script
// test/e2e/guest/nfs-fencing-in-guest.sh). Client "A" is this node: the agent reports its NFS
// client address in the node id and mounts through NodeStage; client "B" is an address no node
// was published to: the test mounts the share itself through a server address whose route makes
// the kernel NFS client connect from B's address (NFSv3, see options()). Steps:
//   nobody may mount before the first publish (A and B refused); after ControllerPublish to A the
//   agent stages and writes; B is refused; after a publish to B's address B mounts and reads A's
//   file (the server's client table shows B's address); after unpublishing B it is refused again;
//   after A's unstage + ControllerUnpublish a fresh mount from A is refused too.
//
//   tnas-e2e-nfs-fencing --controller EP --node EP --b-server IP --b-address IP [--report-dir D]
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "test/e2e/csi_calls.h"
#include "test/e2e/faults_tools.h"
#include "test/e2e/stack_flags.h"
#include "test/e2e/steps.h"

namespace tnascsi::e2e {
namespace {

struct Config {
  StackEndpoints stack;
  std::string bServer;   // a server address whose route has src = bAddress
  std::string bAddress;  // B's client address
  std::string reportDir;
};

// The kernel's TCP connections to the NFS port ("local -> peer" pairs): which source address
// each mount really uses.
std::string nfsConnections() {
  std::string out;
  runCommand({"ss", "-tnH", "state", "established", "( dport = :2049 )"}, &out);
  std::string pairs;
  size_t pos = 0;
  while (pos < out.size()) {
    size_t end = out.find('\n', pos);
    if (end == std::string::npos) end = out.size();
    std::vector<std::string> cols;
    std::string line = out.substr(pos, end - pos), col;
    for (char c : line + " ") {
      if (c == ' ' || c == '\t') {
        if (!col.empty()) cols.push_back(col);
        col.clear();
      } else {
        col += c;
      }
    }
    if (cols.size() >= 4) pairs += (pairs.empty() ? "" : ", ") + cols[2] + " -> " + cols[3];
    pos = end + 1;
  }
  return pairs;
}

// B mounts with NFSv3 (own TCP connection per server address, MNT checked by mountd): a second
// NFSv4.1 mount of the same server through another address is trunked into the first mount's
// client and connection, so it would travel from A's address (measured in the guest: while the
// agent had A mounted, B's v4 mount showed only the connection from 127.0.0.1). A mounts as the
// agent does, with 4.2.
std::string gBServer;
std::string options(const std::string& server) {
  return server == gBServer ? "vers=3,proto=tcp,mountproto=tcp,nolock,soft,timeo=50,retrans=1"
                            : "vers=4.2,soft,timeo=50,retrans=1";
}

// Mounts server:share on a fresh directory with the kernel NFS client, reads `file` if given
// (and notes the NFS connections while mounted in *conns), unmounts. 0 on success; the mount's
// exit status otherwise (*out: its output / the content).
int tryMount(const std::string& server, const std::string& share, const std::string& dir,
             const std::string& file, std::string* out, std::string* conns = nullptr) {
  ::mkdir(dir.c_str(), 0755);
  int rc = runCommand(
      {"timeout", "60", "mount", "-t", "nfs", "-o", options(server), server + ":" + share, dir},
      out);
  if (rc != 0) return rc;
  if (!file.empty()) {
    std::ifstream in(dir + "/" + file);
    std::getline(in, *out);
  }
  if (conns != nullptr) *conns = nfsConnections();
  std::string ignored;
  runCommand({"umount", dir}, &ignored);
  return 0;
}

// The addresses of the NFSv4 clients the kernel server knows (/proc/fs/nfsd/clients/*/info).
std::string nfsdClients() {
  std::string out;
  runCommand({"sh", "-c", "cat /proc/fs/nfsd/clients/*/info 2>/dev/null | grep -h '^address:'"},
             &out);
  for (auto& c : out) c = c == '\n' ? ' ' : c;
  return out;
}

bool run(const Config& cfg) {
  gBServer = cfg.bServer;
  CsiCalls csi(cfg.stack);
  Steps steps;
  VolumeSpec spec;
  spec.protocol = "nfs";
  spec.parameters["nfsExportPerNode"] = "true";
  spec.sizeBytes = 1LL << 30;
  E2eVolume v;
  v.name = "pvc-nfs-fencing";
  std::string nodeId, server, share;
  const std::string otherNode = "e2e-other,," + cfg.bAddress;
  const std::string dirA = "/run/tnas-e2e/fence-a", dirB = "/run/tnas-e2e/fence-b";
  auto refused = [&](const std::string& srv, const std::string& dir, std::string* d) {
    std::string out;
    int rc = tryMount(srv, share, dir, "", &out);
    *d = "mount from " + srv + " route: exit " + std::to_string(rc) + " " + out;
    return rc != 0;
  };
  bool ok = steps.step("NodeGetInfo reports the NFS address", [&](std::string* d) {
    grpc::Status s = csi.nodeGetInfo(&nodeId);
    *d = s.ok() ? nodeId : CsiCalls::describe("NodeGetInfo", s);
    return s.ok() && nodeId.find(',') != nodeId.rfind(',');
  }) && steps.step("CreateVolume nfsExportPerNode", [&](std::string* d) {
    grpc::Status s = csi.createVolume(v, spec);
    csi.setPaths(v, spec);
    server = v.volumeContext["server"];
    share = v.volumeContext["share"];
    *d = s.ok() ? v.id + " " + server + ":" + share : CsiCalls::describe("CreateVolume", s);
    return s.ok();
  }) && steps.step("before any publish: A refused", [&](std::string* d) {
    return refused(server, dirA, d);
  }) && steps.step("before any publish: B refused", [&](std::string* d) {
    return refused(cfg.bServer, dirB, d);
  }) && steps.step("publish to A, stage + write through the agent", [&](std::string* d) {
    std::string error;
    if (!csi.attach(v, spec, nodeId, &error)) {
      *d = error;
      return false;
    }
    std::ofstream(v.target + "/from-a") << "written by A\n";
    *d = "NFS connections: " + nfsConnections() + "; nfsd clients: " + nfsdClients();
    return true;
  }) && steps.step("B (unpublished) refused", [&](std::string* d) {
    return refused(cfg.bServer, dirB, d);
  }) && steps.step("publish to B's address: B mounts and reads A's file", [&](std::string* d) {
    grpc::Status s = csi.controllerPublish(v, spec, otherNode);
    if (!s.ok()) {
      *d = CsiCalls::describe("ControllerPublishVolume", s);
      return false;
    }
    std::string out;
    std::string conns;
    int rc = tryMount(cfg.bServer, share, dirB, "from-a", &out, &conns);
    *d = "exit " + std::to_string(rc) + " read '" + out +
         "'; NFS connections while mounted: " + conns;
    return rc == 0 && out == "written by A" && conns.find(cfg.bAddress + ":") != std::string::npos;
  }) && steps.step("unpublish B: B refused again", [&](std::string* d) {
    grpc::Status s = csi.controllerUnpublish(v, otherNode);
    if (!s.ok()) {
      *d = CsiCalls::describe("ControllerUnpublishVolume", s);
      return false;
    }
    return refused(cfg.bServer, dirB, d);
  }) && steps.step("detach A (unpublish): A refused", [&](std::string* d) {
    std::string error;
    if (!csi.detach(v, nodeId, &error)) {
      *d = error;
      return false;
    }
    return refused(server, dirA, d);
  });
  steps.step("DeleteVolume", [&](std::string* d) {
    std::string ignored;
    csi.detach(v, nodeId, &ignored);  // after a failed step; no-ops otherwise
    csi.controllerUnpublish(v, otherNode);
    grpc::Status s = csi.deleteVolume(v.id);
    *d = s.ok() ? "" : CsiCalls::describe("DeleteVolume", s);
    return s.ok();
  });
  if (!cfg.reportDir.empty()) {
    steps.writeReport(cfg.reportDir + "/nfs-fencing.json", "nfs-fencing");
  }
  return ok && steps.allOk();
}

}  // namespace
}  // namespace tnascsi::e2e

int main(int argc, char** argv) {
  tnascsi::e2e::Config cfg;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = tnascsi::e2e::flagValue(argc, argv, &i);
    if (tnascsi::e2e::takeStackFlag(a, next, &cfg.stack)) continue;
    if (a == "--b-server") {
      cfg.bServer = next();
    } else if (a == "--b-address") {
      cfg.bAddress = next();
    } else if (a == "--report-dir") {
      cfg.reportDir = next();
    } else {
      cfg.bServer.clear();
      break;
    }
  }
  if (cfg.stack.controllerEndpoint.empty() || cfg.stack.nodeEndpoint.empty() ||
      cfg.bServer.empty() || cfg.bAddress.empty()) {
    std::fprintf(stderr,
                 "usage: tnas-e2e-nfs-fencing %s --b-server IP --b-address IP "
                 "[--report-dir D]\n",
                 tnascsi::e2e::kStackFlagsUsage);
    return 2;
  }
  bool ok = tnascsi::e2e::run(cfg);
  std::printf("nfs-fencing: %s\n", ok ? "PASSED" : "FAILED");
  return ok ? 0 : 1;
}

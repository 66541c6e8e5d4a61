// tnas-truenas-setup: does, through the project's own TrueNAS client, what a storage admin does
// on a TrueNAS system before installing the driver: the parent dataset, an iSCSI portal, the
// iSCSI and NFS services running. Idempotent. Used by the end-to-end tests and the demo against
// the simulator.
//
//   tnas-truenas-setup --url ws://127.0.0.1:PORT --api-key-file F --dataset tank/k8s
//                      [--portal-ip 127.0.0.1[,127.0.0.2…]] [--service iscsitarget] [--service nfs]
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/base/clock.h"
#include "controller/truenas/truenas_client.h"
#include "controller/truenas/ws_connection.h"

using namespace tnascsi;  // NOLINT(google-build-using-namespace): tool main only
namespace tn = tnascsi::controller::truenas;

namespace {

int fail(const std::string& what, const Status& s) {
  std::fprintf(stderr, "tnas-truenas-setup: %s: %s\n", what.c_str(), s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  tn::ConnectionOptions conn;
  std::string dataset, portalIp;
  std::vector<std::string> services;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--url") {
      conn.url = v;
    } else if (k == "--api-key-file") {
      conn.apiKeyFile = v;
    } else if (k == "--dataset") {
      dataset = v;
    } else if (k == "--portal-ip") {
      portalIp = v;
    } else if (k == "--service") {
      services.push_back(v);
    } else {
      std::fprintf(stderr, "tnas-truenas-setup: unknown argument %s\n", k.c_str());
      return 2;
    }
  }
  if (conn.url.empty() || conn.apiKeyFile.empty()) {
    std::fprintf(stderr,
                 "usage: tnas-truenas-setup --url URL --api-key-file F [--dataset pool/path]\n"
                 "       [--portal-ip IP] [--service NAME]...\n");
    return 2;
  }
  tn::WsConnection connection(conn, common::systemClock());
  tn::TrueNasClient api(connection, common::systemClock());

  if (!dataset.empty()) {
    auto existing = api.getDataset(dataset);
    if (absl::IsNotFound(existing.status())) {
      tn::DatasetCreateSpec spec;
      spec.name = dataset;
      auto created = api.createDataset(spec);
      if (!created.ok()) return fail("create dataset " + dataset, created.status());
      std::printf("created dataset %s\n", dataset.c_str());
    } else if (!existing.ok()) {
      return fail("look up dataset " + dataset, existing.status());
    } else {
      std::printf("dataset %s exists\n", dataset.c_str());
    }
  }
  if (!portalIp.empty()) {
    auto portals = api.listIscsiPortals();
    if (!portals.ok()) return fail("list iSCSI portals", portals.status());
    // One portal, one listen entry per address (comma-separated: a multipath portal; TrueNAS
    // keeps every listen IP of a portal, ref:src/middlewared/middlewared/plugins/iscsi_/
    // portal.py:59-68 at TS-25.04.2.6, and the target listens on each).
    std::vector<std::string> ips = absl::StrSplit(portalIp, ',', absl::SkipEmpty());
    bool found = false;
    for (const auto& p : *portals) {
      for (const auto& l : p.listen) found = found || l.ip == ips.front();
    }
    if (!found) {
      tn::IscsiPortalCreateSpec spec;
      spec.listenIps = ips;
      spec.comment = "truenas-csi";
      auto created = api.createIscsiPortal(spec);
      if (!created.ok()) return fail("create iSCSI portal on " + portalIp, created.status());
      std::printf("created iSCSI portal on %s\n", portalIp.c_str());
    } else {
      std::printf("iSCSI portal on %s exists\n", portalIp.c_str());
    }
  }
  for (const auto& s : services) {
    Status st = api.ensureServiceRunning(s);
    if (!st.ok()) return fail("start service " + s, st);
    std::printf("service %s running\n", s.c_str());
  }
  return 0;
}

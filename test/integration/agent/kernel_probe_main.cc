// tnas-agent-kernel-probe: drives the agent's real kernel-side classes (IscsidInitiator,
// SysfsBlockDevices, UdevDiskWaiter) from the command line so the guest rig can prove them against
// a real iscsid and kernel. Output is key=value lines on stdout; errors go to stderr with exit 1.
//
//   tnas-agent-kernel-probe probe
//   tnas-agent-kernel-probe sessions
//   tnas-agent-kernel-probe login --target IQN --portal ADDR[:PORT] [--lun N] [--chap-file F]
//                                 [--timeout-ms N] [--replacement-timeout S]
//   tnas-agent-kernel-probe lun --sid N --lun L [--timeout-ms N]   (wait for a LUN, print identity)
//   tnas-agent-kernel-probe rescan --sid N --lun L                 (re-read capacity)
//   tnas-agent-kernel-probe logout (--sid N | --target IQN --portal ADDR[:PORT])
//
// Common flags: --socket NAME (iscsid abstract socket), --sysfs DIR (a non-default root is read
// directly instead of through libopeniscsiusr, for tests). The CHAP file holds
// `user=`, `secret=`, `user_in=`, `secret_in=` lines; secrets are never taken from argv.
#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

#include "agent/block/disk_waiter.h"
#include "agent/block/sysfs_block_devices.h"
#include "agent/iscsi/iscsid_initiator.h"
#include "common/base/files.h"

namespace tnascsi::agent {
namespace {

int usage() {
  std::cerr << "usage: tnas-agent-kernel-probe probe|sessions|login|lun|rescan|logout [flags]\n"
               "  login  --target IQN --portal ADDR[:PORT] [--lun N] [--chap-file FILE]\n"
               "         [--timeout-ms N] [--replacement-timeout S]\n"
               "  lun    --sid N --lun L [--timeout-ms N]\n"
               "  rescan --sid N --lun L\n"
               "  logout --sid N | --target IQN --portal ADDR[:PORT]\n"
               "  common: --socket NAME --sysfs DIR\n";
  return 2;
}

int fail(const Status& st) {
  std::cerr << "error: " << st << "\n";
  return 1;
}

bool splitPortal(const std::string& portal, std::string* address, int* port) {
  *port = 3260;
  std::string p = portal;
  if (!p.empty() && p[0] == '[') {  // [v6]:port
    const size_t close = p.find(']');
    if (close == std::string::npos) {
      return false;
    }
    *address = p.substr(1, close - 1);
    if (close + 1 < p.size()) {
      if (p[close + 1] != ':') {
        return false;
      }
      *port = std::stoi(p.substr(close + 2));
    }
    return true;
  }
  const size_t colon = p.rfind(':');
  if (colon != std::string::npos && p.find(':') == colon) {
    *address = p.substr(0, colon);
    *port = std::stoi(p.substr(colon + 1));
  } else {
    *address = p;
  }
  return true;
}

StatusOr<ChapCredentials> readChapFile(const std::string& path) {
  TNAS_ASSIGN_OR_RETURN(std::string text, common::readFile(path));
  ChapCredentials chap;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
      line.pop_back();
    }
    const size_t eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string::npos) {
      continue;
    }
    const std::string key = line.substr(0, eq);
    const std::string value = line.substr(eq + 1);
    if (key == "user") {
      chap.user = value;
    }
    if (key == "secret") {
      chap.secret = value;
    }
    if (key == "user_in") {
      chap.userIn = value;
    }
    if (key == "secret_in") {
      chap.secretIn = value;
    }
  }
  return chap;
}

void printSession(const IscsiSession& s) {
  std::cout << "session sid=" << s.sid << " host=" << s.hostNo << " target=" << s.targetIqn
            << " address=" << s.address << " port=" << s.port << " tpgt=" << s.tpgt
            << " state=" << s.state << "\n";
}

void printDevice(const BlockDevice& d) {
  std::cout << "lun scsi=" << d.address.str() << " dev=" << d.devnode << " size=" << d.sizeBytes
            << " vendor=" << d.vendor << " model=" << d.model << " state=" << d.state
            << " serial=" << d.identity.serial << "\n";
  for (const auto& id : d.identity.designators) {
    std::cout << "designator " << id << "\n";
  }
}

// H:0:T:L of LUN `lun` on session `sid`: the host from the session, the target id from its
// existing LUNs (0 when it has none yet).
StatusOr<ScsiAddress> lunAddress(IscsiInitiator& initiator, BlockDevices& devices, int sid,
                                 int lun) {
  TNAS_ASSIGN_OR_RETURN(std::vector<IscsiSession> all, initiator.sessions());
  for (const auto& s : all) {
    if (s.sid != sid) {
      continue;
    }
    auto luns = devices.sessionLuns(sid);
    const int target = luns.ok() && !luns->empty() ? luns->front().target : 0;
    return ScsiAddress{s.hostNo, 0, target, lun};
  }
  return absl::NotFoundError("no iSCSI session " + std::to_string(sid));
}

int run(int argc, char** argv) {
  if (argc < 2) {
    return usage();
  }
  const std::string cmd = argv[1];
  std::map<std::string, std::string> flags;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0 || i + 1 >= argc) {
      return usage();
    }
    flags[a.substr(2)] = argv[++i];
  }
  auto flag = [&](const std::string& k, const std::string& def = "") {
    auto it = flags.find(k);
    return it == flags.end() ? def : it->second;
  };
  IscsidInitiatorOptions options;
  options.socketName = flag("socket", wire::kIscsidSocketName);
  if (!flag("replacement-timeout").empty()) {
    options.record.replacementTimeoutSec = std::stoi(flag("replacement-timeout"));
  }
  const std::string sysfs = flag("sysfs", "/sys");
  // A non-default sysfs root (tests) is read directly; the real one through libopeniscsiusr.
  std::unique_ptr<SessionSource> source;
  if (sysfs == "/sys") {
    source = std::make_unique<OpeniscsiusrSessionSource>(sysfs);
  } else {
    source = std::make_unique<SysfsSessionSource>(sysfs);
  }
  IscsidInitiator initiator(options, std::move(source));
  SysfsBlockDevices devices(sysfs, std::make_unique<UdevDiskWaiter>(),
                            sysfs == "/sys" ? "/dev" : sysfs + "/dev");

  if (cmd == "probe") {
    if (Status st = initiator.probe(); !st.ok()) {
      return fail(st);
    }
    auto layout = initiator.layout();
    auto name = initiator.initiatorName();
    std::cout << "layout=" << layoutName(*layout) << "\n"
              << "request_size=" << requestSize(*layout) << "\n"
              << "initiator=" << (name.ok() ? *name : std::string()) << "\n";
    return 0;
  }
  if (cmd == "sessions") {
    auto all = initiator.sessions();
    if (!all.ok()) {
      return fail(all.status());
    }
    for (const auto& s : *all) {
      printSession(s);
    }
    return 0;
  }
  std::string address;
  int port = 3260;
  if (!flag("portal").empty() && !splitPortal(flag("portal"), &address, &port)) {
    return usage();
  }
  if (cmd == "login") {
    if (flag("target").empty() || address.empty()) {
      return usage();
    }
    LoginRequest req;
    req.targetIqn = flag("target");
    req.address = address;
    req.port = port;
    if (!flag("chap-file").empty()) {
      auto chap = readChapFile(flag("chap-file"));
      if (!chap.ok()) {
        return fail(chap.status());
      }
      req.chap = *chap;
    }
    auto session = initiator.login(req);
    if (!session.ok()) {
      return fail(session.status());
    }
    printSession(*session);
    if (!flag("lun").empty()) {
      auto addr = lunAddress(initiator, devices, session->sid, std::stoi(flag("lun")));
      if (!addr.ok()) {
        return fail(addr.status());
      }
      auto dev = devices.waitForLun(
          *addr, std::chrono::milliseconds(std::stoi(flag("timeout-ms", "30000"))));
      if (!dev.ok()) {
        return fail(dev.status());
      }
      printDevice(*dev);
    }
    return 0;
  }
  if (cmd == "lun" || cmd == "rescan") {
    if (flag("sid").empty() || flag("lun").empty()) {
      return usage();
    }
    auto addr = lunAddress(initiator, devices, std::stoi(flag("sid")), std::stoi(flag("lun")));
    if (!addr.ok()) {
      return fail(addr.status());
    }
    auto dev = cmd == "lun"
                   ? devices.waitForLun(
                         *addr, std::chrono::milliseconds(std::stoi(flag("timeout-ms", "30000"))))
                   : devices.rescanLun(*addr);
    if (!dev.ok()) {
      return fail(dev.status());
    }
    printDevice(*dev);
    return 0;
  }
  if (cmd == "logout") {
    int sid = -1;
    if (!flag("sid").empty()) {
      sid = std::stoi(flag("sid"));
    } else {
      auto s = initiator.findSession(flag("target"), address, port);
      if (!s.ok()) {
        return fail(s.status());
      }
      if (!*s) {
        std::cout << "logout=not-logged-in\n";
        return 0;
      }
      sid = (*s)->sid;
    }
    // Clean removal first (reference §2.4): flush and delete each LUN, then log out.
    auto luns = devices.sessionLuns(sid);
    if (luns.ok()) {
      for (const auto& a : *luns) {
        auto d = devices.findLun(a);
        if (d.ok()) {
          (void)devices.flush(d->devnode);
        }
        if (Status st = devices.removeLun(a); !st.ok()) {
          return fail(st);
        }
        std::cout << "removed scsi=" << a.str() << "\n";
      }
    }
    if (Status st = initiator.logout(sid); !st.ok()) {
      return fail(st);
    }
    std::cout << "logout sid=" << sid << "\n";
    return 0;
  }
  return usage();
}

}  // namespace
}  // namespace tnascsi::agent

int main(int argc, char** argv) {
  try {
    return tnascsi::agent::run(argc, argv);
  } catch (const std::exception& e) {  // std::stoi on a malformed number
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
}

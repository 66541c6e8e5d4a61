// The LIO (kernel iSCSI target) state the guest backing manages, as plain values: fileio
// backstores and iSCSI targets with one TPG (tpgt_1), its portals, LUNs, ACLs and CHAP settings.
// Both the desired state (built from the simulator's iscsi.config) and the current state (read
// back from configfs) use these types, so reconciling is a pure comparison (lio_plan.h).
// Plain data; not synchronised.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

namespace tnascsi::sim {

// CHAP credentials; empty user means "not set". Mutual fields set the target's own credentials.
struct ChapCredentials {
  std::string userid;
  std::string password;
  std::string useridMut;
  std::string passwordMut;
  bool operator==(const ChapCredentials&) const = default;
};

// core/fileio_0/<name>: a sparse file exported as a SCSI disk.
struct Backstore {
  std::string file;        // absolute path of the backing file (written to udev_path)
  uint64_t size = 0;       // bytes, used at creation only; resize is a separate operation
  std::string unitSerial;  // wwn/vpd_unit_serial (VPD page 0x80)
  std::string companyId;   // wwn/company_id ("0x589cfc"), empty to keep LIO's default
  // Identity: a change of file or serial needs the backstore (and its LUNs) recreated.
  bool sameIdentity(const Backstore& o) const {
    return file == o.file && unitSerial == o.unitSerial && companyId == o.companyId;
  }
};

// An initiator ACL: the LUN numbers it sees (mapped to the TPG LUN of the same number) and CHAP.
struct Acl {
  std::set<int> luns;
  ChapCredentials chap;
};

// iscsi/<iqn>/tpgt_1.
struct Target {
  std::set<std::string> portals;    // "127.0.0.1:3260"
  std::map<int, std::string> luns;  // LUN id -> backstore name
  bool demoMode = false;            // generate_node_acls=1: every initiator admitted
  bool chap = false;                // attrib/authentication
  ChapCredentials demoChap;         // tpgt_1/auth/* (demo mode only)
  std::map<std::string, Acl> acls;  // initiator IQN -> ACL (ACL mode only)
};

struct LioState {
  std::map<std::string, Backstore> backstores;  // name -> backstore
  std::map<std::string, Target> targets;        // IQN -> target
};

}  // namespace tnascsi::sim

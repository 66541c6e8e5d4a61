// TrueNAS domain types, iSCSI: global config, portals, initiator groups, CHAP auth, targets,
// extents and target-extent mappings with their specs. Ids are TrueNAS's integer row ids.
// Plain value types: no JSON and no transport types (truenas_client.h converts between these and
// each TrueNAS version's wire format); not synchronized (copy them between threads).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tnascsi::controller::truenas {

struct IscsiGlobal {
  int64_t id = 0;
  std::string basename;  // "iqn.2005-10.org.freenas.ctl"
  std::vector<std::string> isnsServers;
  int listenPort = 3260;
  std::optional<int> poolAvailThreshold;
  bool alua = false;
};

struct IscsiListen {
  std::string ip;
  int port = 0;  // from iscsi.global listen_port (entries only)
};

struct IscsiPortal {
  int64_t id = 0;
  int64_t tag = 0;
  std::string comment;
  std::vector<IscsiListen> listen;
};

struct IscsiPortalCreateSpec {
  std::vector<std::string> listenIps;  // at least one
  std::string comment;
};

struct IscsiInitiatorGroup {
  int64_t id = 0;
  std::vector<std::string> initiators;  // empty = all initiators allowed
  std::string comment;
};

struct IscsiInitiatorGroupSpec {
  std::vector<std::string> initiators;
  std::string comment;
};

enum class IscsiAuthMethod { kNone, kChap, kChapMutual };

// CHAP credentials. `secret`/`peersecret` are secrets: never log them, never put them in an error.
struct IscsiAuth {
  int64_t id = 0;
  int64_t tag = 0;
  std::string user;
  std::string secret;  // "********" unless the session may read secrets
  std::string peeruser;
  std::string peersecret;
};

struct IscsiAuthSpec {
  int64_t tag = 0;
  std::string user;
  std::string secret;  // 12-16 characters
  std::string peeruser;
  std::string peersecret;
};

struct IscsiTargetGroup {
  int64_t portal = 0;
  std::optional<int64_t> initiator;  // initiator group id
  IscsiAuthMethod authMethod = IscsiAuthMethod::kNone;
  std::optional<int64_t> auth;  // auth TAG (not id)
};

struct IscsiTarget {
  int64_t id = 0;
  std::string name;
  std::optional<std::string> alias;
  std::string mode = "ISCSI";
  std::vector<IscsiTargetGroup> groups;
  std::vector<std::string> authNetworks;
  int64_t relTgtId = 0;
};

struct IscsiTargetSpec {
  std::string name;
  std::optional<std::string> alias;
  std::vector<IscsiTargetGroup> groups;
  std::vector<std::string> authNetworks;  // ignored where unsupported (CORE)
};

struct IscsiTargetUpdateSpec {
  std::optional<std::string> name;
  std::optional<std::optional<std::string>> alias;  // set to nullopt-inside to clear
  std::optional<std::vector<IscsiTargetGroup>> groups;
  std::optional<std::vector<std::string>> authNetworks;
};

struct IscsiTargetDeleteOptions {
  bool force = false;          // even with active sessions
  bool deleteExtents = false;  // also the mapped extents (25.04+; emulated on older versions)
};

struct IscsiExtent {
  int64_t id = 0;
  std::string name;
  std::string type = "DISK";  // DISK|FILE
  std::string disk;           // "zvol/tank/k8s/pvc-1"
  std::string path;
  std::string serial;
  std::string naa;  // "0x6589cfc000000..."
  int blocksize = 512;
  bool pblocksize = false;
  std::optional<int> availThreshold;
  std::string comment;
  bool insecureTpc = true;
  bool xen = false;
  std::string rpm = "SSD";
  bool ro = false;
  bool enabled = true;
  std::string vendor;
  std::string productId;  // 25.10+
  bool locked = false;
};

struct IscsiExtentCreateSpec {
  std::string name;
  std::string disk;                   // "zvol/<dataset>"
  std::optional<std::string> serial;  // auto when absent
  int blocksize = 512;
  bool pblocksize = false;
  std::string comment;
  bool insecureTpc = true;
  bool xen = false;
  std::string rpm = "SSD";
  bool ro = false;
  bool enabled = true;
  std::optional<std::string> productId;  // dropped before 25.10
};

struct IscsiExtentUpdateSpec {
  std::optional<std::string> name;
  std::optional<std::string> disk;
  std::optional<std::string> comment;
  std::optional<bool> ro;
  std::optional<bool> enabled;
  std::optional<int> blocksize;
  std::optional<std::string> serial;
};

struct IscsiExtentDeleteOptions {
  bool remove = false;  // delete a FILE extent's backing file
  bool force = false;   // even with active sessions
};

struct IscsiTargetExtent {
  int64_t id = 0;
  int64_t target = 0;
  int64_t extent = 0;
  int64_t lunid = 0;
};

struct IscsiTargetExtentSpec {
  int64_t target = 0;
  int64_t extent = 0;
  std::optional<int64_t> lunid;  // lowest free when absent
};

}  // namespace tnascsi::controller::truenas

// The volume context and node-stage secrets the controller and the StorageClass hand to the node,
// parsed and validated. This is the contract with the controller (controller/provision writes
// these keys into CreateVolumeResponse.volume.volume_context):
//
//   protocol     "iscsi" | "nfs"                      (required)
//   iSCSI:
//   portal       "10.0.0.5", "10.0.0.5:3260", "[fd00::5]:3260", or a host name
//   portals      portals, comma-separated, tried in order after `portal` (one of the two required)
//   iqn          target IQN                            (required)
//   lun          LUN number 0..16383                   (required)
//   serial       the LUN's VPD page 0x80 unit serial   (serial and/or naa required)
//   naa          a page 0x83 designator, "naa.<hex>"   (compared case-insensitively)
//   mkfsOptions  extra mkfs options, space-separated (validated by Filesystems::format)
//   multipath    "true": log in to every portal and stage the dm-multipath map that holds all
//                paths (docs/multipath.md); absent or "false": the first portal that works
//   NFS:
//   server       NFS server host name or address       (required)
//   share        export path, absolute                 (required)
//   nfsVersion   "3", "4", "4.0", "4.1", "4.2"         (default "4.2")
//
// Node-stage secrets (CHAP, docs/storageclass-parameters.md): chapUser, chapSecret (one-way),
// chapMutualUser, chapMutualSecret (mutual).
// Values are never logged or echoed into errors. Pure functions; thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "agent/iscsi/initiator.h"
#include "common/base/status.h"

namespace tnascsi::agent::stage {

using StringMap = std::map<std::string, std::string>;

struct Portal {
  std::string host;  // as given (name or literal, without brackets)
  int port = 3260;
};

struct IscsiVolumeContext {
  std::vector<Portal> portals;  // `portal` first
  std::string iqn;
  int lun = 0;
  std::string serial;
  std::string naa;
  std::vector<std::string> mkfsOptions;
  bool multipath = false;
};

struct NfsVolumeContext {
  std::string server;
  std::string share;
  std::string version = "4.2";
};

enum class Protocol { kIscsi, kNfs };

StatusOr<Protocol> parseProtocol(const StringMap& context);
StatusOr<Portal> parsePortal(const std::string& text);
StatusOr<IscsiVolumeContext> parseIscsiContext(const StringMap& context);
StatusOr<NfsVolumeContext> parseNfsContext(const StringMap& context);
// CHAP from node-stage secrets. InvalidArgument if a password comes without its user name or
// mutual CHAP without one-way CHAP. Messages name keys, never values.
StatusOr<ChapCredentials> parseChapSecrets(const StringMap& secrets);

}  // namespace tnascsi::agent::stage

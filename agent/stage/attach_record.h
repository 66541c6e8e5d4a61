// Attach records: what the agent did to the host for each staged volume, one JSON file per volume
// under <state-dir>/volumes/, so unstage, the self-healing loop and an agent restart can undo or
// repair it from facts even when the device or the session is already gone.
//
// The file holds the CHAP credentials needed to log in again after a session vanished, so it is
// written 0600 in a root-only directory and its content is never logged.
//
// AttachRecordStore is thread-safe (a mutex serialises file access); callers serialise work per
// volume with common::InFlight.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "agent/iscsi/initiator.h"
#include "common/base/status.h"

namespace tnascsi::agent::stage {

struct AttachRecord {
  enum class Phase { kAttaching, kStaged, kDetaching };

  std::string volumeId;
  std::string protocol;  // "iscsi" | "nfs"
  Phase phase = Phase::kAttaching;
  std::string stagingPath;
  bool block = false;     // raw block volume: no filesystem, no staging mount
  std::string fsType;     // filesystem volumes
  int64_t updatedAt = 0;  // wall clock, seconds since the epoch

  // iSCSI
  std::string iqn;
  std::string portalAddress;  // numeric address actually logged in to
  int portalPort = 3260;
  int lun = 0;
  std::string serial;
  std::string naa;
  int sid = -1;         // session id at stage time (a hint; sessions are looked up by portal)
  std::string devnode;  // device at stage time (a hint; devices are looked up by LUN)
  ChapCredentials chap;

  // NFS
  std::string nfsServer;
  std::string nfsExport;
  std::string nfsVersion;
  std::vector<std::string> mountOptions;

  // Where the volume is published: recorded before the bind is made and dropped after it is
  // gone, so unpublish, unstage and stats act only on paths this agent put the volume at.
  // `created`: the agent made the file or directory there (only then does unpublish remove it).
  struct Target {
    std::string path;
    bool created = false;
  };
  std::vector<Target> targets;

  bool isIscsi() const { return protocol == "iscsi"; }
  const Target* findTarget(const std::string& path) const;

  // ---- multipath (issue #16; docs/multipath.md): added fields only --------------------------
  // Every path logged in to (the first is also portalAddress/portalPort), and the dm-multipath
  // map staged. Unstage and the self-healing loop act on these recorded paths and this map only.
  struct Path {
    std::string address;  // numeric portal address logged in to
    int port = 3260;
    int sid = -1;         // session id at stage time (a hint; sessions are looked up by portal)
    std::string devnode;  // the path's disk at stage time (a hint)
  };
  bool multipath = false;
  std::vector<Path> paths;
  std::string mapName;  // dm/name at stage time
  std::string mapUuid;  // dm/uuid ("mpath-…"); empty when a single path was staged without a map
  // True when the record's session (single-path) or one of its paths is `key` (sessionKey()).
  bool usesSession(const std::string& key) const;
  // ---- end multipath ----------------------------------------------------------------------
};

std::string phaseName(AttachRecord::Phase phase);

// "<iqn>@<address>:<port>": identifies a session by what it was logged in to.
std::string sessionKey(const std::string& iqn, const std::string& address, int port);
bool parseSessionKey(const std::string& key, std::string* iqn, std::string* address, int* port);

// JSON (de)serialisation. InvalidArgument (DataLoss for structural damage) on bad input.
std::string recordToJson(const AttachRecord& record);
StatusOr<AttachRecord> recordFromJson(const std::string& json);

class AttachRecordStore {
 public:
  // `stateDir` is the agent's state directory; records live in `<stateDir>/volumes/`.
  explicit AttachRecordStore(std::string stateDir);

  // Creates the directory (0700). Call once at start-up.
  Status init();

  // Atomically writes the record (0600). Errors from the filesystem.
  Status save(const AttachRecord& record);

  // The record of `volumeId`, nullopt if none. A corrupt file is quarantined (renamed to
  // "<file>.corrupt") and reported as nullopt, not as an error; a file that exists but cannot be
  // read is an error (the caller must not act as if the volume had no record).
  StatusOr<std::optional<AttachRecord>> load(const std::string& volumeId);

  // Deletes the record. OK if it does not exist.
  Status remove(const std::string& volumeId);

  // Every readable record; corrupt files are logged and quarantined.
  StatusOr<std::vector<AttachRecord>> loadAll();

  // The record's file. Its name fits NAME_MAX for every id validateVolumeId accepts: the
  // percent-encoded id, or (when that is too long) a prefix of it plus '~' and the id's SHA-256.
  std::string pathFor(const std::string& volumeId) const;

  // Session ownership markers (<stateDir>/sessions/): a session this agent created by logging
  // in. Only owned sessions are ever logged out; sessions found already logged in (someone
  // else's, or from before a marker existed) are never touched. `key` is sessionKey(...).
  Status markSessionOwned(const std::string& key);
  bool isSessionOwned(const std::string& key);
  Status clearSessionOwned(const std::string& key);
  StatusOr<std::vector<std::string>> ownedSessions();

 private:
  StatusOr<std::optional<AttachRecord>> readQuarantining(const std::string& path);

  std::string stateDir_;
  std::string dir_;
  std::string sessionsDir_;
  std::mutex mu_;
};

}  // namespace tnascsi::agent::stage

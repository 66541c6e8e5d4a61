// TrueNAS domain types, storage: pools and datasets/zvols with their create, update and delete
// specs, and the permission/owner specs of a dataset's directory. Sizes are bytes; a dataset is
// named by its full name ("tank/k8s/pvc-1"), TrueNAS's id.
// Plain value types: no JSON and no transport types (truenas_client.h converts between these and
// each TrueNAS version's wire format); not synchronized (copy them between threads).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tnascsi::controller::truenas {

struct Pool {
  int64_t id = 0;
  std::string name;
  std::string path;    // "/mnt/tank"
  std::string status;  // "ONLINE", "DEGRADED", ...
  bool healthy = false;
  uint64_t size = 0;
  uint64_t allocated = 0;
  uint64_t free = 0;
  // A data vdev is dRAID: pool.query topology.data[].type "DRAID" (libzfs "draid" upper-cased,
  // TS-24.10.2.4:src/middlewared/middlewared/plugins/pool_/topology.py:53-55). TrueNAS refuses
  // zvols with a volblocksize below 32K there (plugins/pool_/dataset.py:377-382). CORE has no
  // dRAID.
  bool draid = false;
};

enum class DatasetType { kFilesystem, kVolume };

struct Dataset {
  std::string name;  // full name == TrueNAS id, "tank/k8s/pvc-1"
  DatasetType type = DatasetType::kFilesystem;
  std::string pool;
  // Sizes are the parsed byte values; nullopt when unset ("none") or not selected.
  std::optional<uint64_t> volsize;       // VOLUME only
  std::optional<uint64_t> volblocksize;  // VOLUME only, bytes (16K -> 16384)
  std::optional<uint64_t> refquota;      // FILESYSTEM only
  std::optional<uint64_t> quota;
  std::optional<uint64_t> refreservation;
  std::optional<uint64_t> reservation;
  uint64_t used = 0;
  uint64_t available = 0;
  std::string origin;                                 // "pool/ds@snap" for a clone, empty otherwise
  std::map<std::string, std::string> userProperties;  // "ns:key" -> value (LOCAL and INHERITED)
  std::string comments;
  std::optional<std::string> mountpoint;  // nullopt for volumes / none
  bool sparse = false;                    // VOLUME: no refreservation backing volsize
  std::string compression;                // upper-case as TrueNAS shows it ("LZ4", "OFF")
  std::string sync;                       // "STANDARD", "ALWAYS", "DISABLED"
  std::string dedup;                      // "ON", "OFF", "VERIFY"
  bool readonly = false;
  bool encrypted = false;
  bool locked = false;
};

struct DatasetCreateSpec {
  std::string name;  // full name, required
  DatasetType type = DatasetType::kFilesystem;
  std::optional<uint64_t> volsize;       // required for VOLUME
  std::optional<uint64_t> volblocksize;  // bytes: 512..131072, power of two
  std::optional<bool> sparse;
  std::optional<bool> forceSize;  // bypass the 80 % rule
  std::optional<std::string> comments;
  std::optional<std::string> sync;         // STANDARD|ALWAYS|DISABLED|INHERIT
  std::optional<std::string> compression;  // LZ4, ZSTD, OFF, INHERIT, ...
  std::optional<std::string> dedup;        // ON|VERIFY|OFF|INHERIT
  std::optional<uint64_t> quota;           // FILESYSTEM; 0 or >= 1 GiB
  std::optional<uint64_t> refquota;        // FILESYSTEM; 0 or >= 1 GiB
  std::optional<uint64_t> reservation;
  std::optional<uint64_t> refreservation;
  std::optional<std::string> shareType;               // GENERIC|NFS|... (FILESYSTEM)
  std::optional<bool> createAncestors;                // not on CORE
  std::map<std::string, std::string> userProperties;  // "ns:key" -> value
};

struct DatasetUpdateSpec {
  std::optional<uint64_t> volsize;  // grow only
  std::optional<bool> forceSize;
  std::optional<std::string> comments;
  std::optional<std::string> sync;
  std::optional<std::string> compression;
  std::optional<std::string> dedup;
  std::optional<uint64_t> quota;  // 0 = none
  std::optional<uint64_t> refquota;
  std::optional<uint64_t> reservation;
  std::optional<uint64_t> refreservation;
  std::map<std::string, std::string> setUserProperties;  // added or changed
  std::vector<std::string> removeUserProperties;
};

struct DatasetDeleteOptions {
  bool recursive = false;  // also children and snapshots
  bool force = false;      // unmount busy filesystems
};

// filesystem.setperm on a directory below /mnt (a dataset's mountpoint): sets its mode and,
// when given, its owner. TrueNAS refuses a mode outside 001-777 and, unless stripAcl, a path
// carrying a non-trivial ACL.
struct PathPermissionsSpec {
  std::string path;            // "/mnt/tank/k8s/nfs-1"
  uint32_t mode = 0755;        // permission bits only (0001-0777)
  std::optional<int64_t> uid;  // nullopt: unchanged
  std::optional<int64_t> gid;  // nullopt: unchanged
  bool stripAcl = false;       // options.stripacl
};

// filesystem.chown on a directory below /mnt; at least one of uid/gid is set.
struct PathOwnerSpec {
  std::string path;
  std::optional<int64_t> uid;  // nullopt: unchanged
  std::optional<int64_t> gid;  // nullopt: unchanged
};

}  // namespace tnascsi::controller::truenas

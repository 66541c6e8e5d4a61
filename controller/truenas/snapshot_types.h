// TrueNAS domain types, snapshots: snapshots and their create/delete/clone specs, local
// replication and rollback. Sizes are bytes; ids are full names ("tank/k8s/pvc-1@snap").
// Plain value types: no JSON and no transport types (truenas_client.h converts between these and
// each TrueNAS version's wire format); not synchronized (copy them between threads).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace tnascsi::controller::truenas {

struct Snapshot {
  std::string id;       // "tank/ds@snap"
  std::string dataset;  // "tank/ds"
  std::string name;     // "snap"
  uint64_t createtxg = 0;
  std::optional<std::chrono::system_clock::time_point> creation;
  uint64_t used = 0;
  uint64_t referenced = 0;
  // ZFS defer_destroy: deleted with `defer` while clones exist; gone once the last clone goes.
  bool deferDestroy = false;
  std::map<std::string, std::string> userProperties;
};

struct SnapshotCreateSpec {
  std::string dataset;  // required
  std::string name;     // required (naming schemas are not used)
  bool recursive = false;
  std::map<std::string, std::string> userProperties;  // set as ZFS properties at creation
};

struct SnapshotDeleteOptions {
  bool defer = false;      // destroy once the last clone is gone
  bool recursive = false;  // same-named snapshots of children
};

struct SnapshotCloneSpec {
  std::string snapshot;                                  // "tank/ds@snap"
  std::string datasetDst;                                // "tank/ds2"
  std::map<std::string, std::string> datasetProperties;  // ZFS properties for the clone
};

// A local copy through replication.run_onetime: PUSH over transport LOCAL of the one snapshot
// `sourceDataset@snapshotName` into `targetDataset`, which must not exist. The copy is a full
// receive (no ZFS origin); it keeps the received snapshot, carries no properties of the source
// (properties=false; volsize/volblocksize come with the stream) and is left writable
// (readonly IGNORE, retention NONE, only_from_scratch).
struct LocalReplicationSpec {
  std::string sourceDataset;  // "tank/k8s/pvc-1"
  std::string snapshotName;   // "snap-1" (after the '@')
  std::string targetDataset;  // "tank/k8s/pvc-2"
};

struct SnapshotRollbackOptions {
  bool recursive = false;        // destroy newer snapshots (-r)
  bool recursiveClones = false;  // and their clones (-R)
  bool force = false;            // unmount (-f)
};

}  // namespace tnascsi::controller::truenas

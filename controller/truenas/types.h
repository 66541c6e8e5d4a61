// Plain domain types of the TrueNAS API as the controller sees them: versions and capabilities,
// pools, datasets/zvols, snapshots, iSCSI objects, NFS shares, their create/update specs, and the
// query filter/options builder. No JSON and no transport types appear here; the client
// (truenas_client.h) converts between these and each TrueNAS version's wire format.
//
// Sizes are bytes. Ids are TrueNAS's: datasets and snapshots by full name ("tank/k8s/pvc-1",
// "tank/k8s/pvc-1@snap"), iSCSI and NFS objects by integer row id. Plain value types; not
// synchronized (copy them between threads).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace tnascsi::controller::truenas {

// ------------------------------------------------------------------------------------------------
// Versions and capabilities

enum class ProductType { kUnknown, kScale, kScaleEnterprise, kCommunityEdition, kCore };

// "SCALE", "SCALE_ENTERPRISE", "COMMUNITY_EDITION", "CORE"; anything else -> kUnknown.
ProductType parseProductType(const std::string& text);
const char* productTypeName(ProductType type);

// A parsed `system.version` string. See parseTrueNasVersion() in version.h.
struct Version {
  int major = 0;
  int minor = 0;
  int patch = 0;         // 0 when absent ("25.10" nightlies)
  std::string update;    // CORE update suffix, e.g. "U6.8"; empty otherwise
  bool nightly = false;  // "MASTER" builds
  std::string raw;       // the string TrueNAS returned

  // Orders by (major, minor, patch); update/nightly do not take part.
  friend bool operator<(const Version& a, const Version& b) {
    if (a.major != b.major) return a.major < b.major;
    if (a.minor != b.minor) return a.minor < b.minor;
    return a.patch < b.patch;
  }
  static Version of(int maj, int min, int pat = 0) {
    Version v;
    v.major = maj;
    v.minor = min;
    v.patch = pat;
    return v;
  }
  bool atLeast(int maj, int min, int pat = 0) const { return !(*this < of(maj, min, pat)); }
};

enum class WireProtocol { kJsonRpc, kLegacyDdp };

// What the connected TrueNAS can do; derived once from version + product type (capabilities.h).
// The client consults it to build requests; the controller may consult it for limits.
struct Capabilities {
  // Snapshots live under pool.snapshot.* (25.10+) instead of zfs.snapshot.* (older).
  bool poolSnapshotNamespace = false;
  // NFS shares have `paths: [..]` (CORE 13) instead of `path: ".."`.
  bool nfsPathsList = false;
  // pool.dataset.create/update accept `user_properties` (SCALE). CORE keeps metadata in comments.
  bool datasetUserProperties = true;
  // iscsi.target.delete takes a third argument `delete_extents` (25.04+).
  bool targetDeleteExtents = false;
  // 24.10: iscsi.target.delete also removes initiator groups no longer referenced.
  bool targetDeleteRemovesOrphanInitiators = false;
  // service.control(verb, name) job (25.10+) instead of service.start/reload.
  bool serviceControl = false;
  // core.set_options accepts legacy_jobs:false, so job calls answer with the job result (25.10+).
  bool legacyJobsOption = false;
  // auth.login_ex with API_KEY_PLAIN exists (25.04+).
  bool loginEx = false;
  // Logging in with an API key over a non-TLS, non-loopback transport revokes it (25.04+).
  bool revokesKeyOnPlainTransport = false;
  // Portals carry discovery_authmethod/authgroup (24.10, CORE) instead of iscsi.auth
  // discovery_auth.
  bool portalDiscoveryAuth = false;
  // iscsi.extent has `product_id` (25.10+).
  bool extentProductId = false;
  // pool.dataset.rename exists (25.10+).
  bool datasetRename = false;
  // Maximum full dataset name length the API accepts (200 on <=25.04, 255 from 25.10).
  size_t maxDatasetNameLength = 200;
  // Maximum iSCSI target name length (120 from 25.04; 0 = not checked by the server).
  size_t maxTargetNameLength = 120;
  // Maximum iSCSI extent name length (64 on SCALE; 0 = not checked, CORE).
  size_t maxExtentNameLength = 64;
  // zfs.snapshot.delete takes `recursive` (SCALE). CORE 13.0 accepts only `defer`
  // (TN-13.0-U6.8:src/middlewared/middlewared/plugins/zfs.py:1052-1055).
  bool snapshotDeleteRecursive = true;
  // zfs.snapshot.clone takes `dataset_properties` (SCALE). CORE 13.0 takes only `snapshot` and
  // `dataset_dst` (TN-13.0-U6.8:src/middlewared/middlewared/plugins/zfs.py:1071-1075).
  bool cloneDatasetProperties = true;
  // sharing.nfs.create refuses a non-empty `security` while NFSv4 is off (CORE 13.0,
  // TN-13.0-U6.8:src/middlewared/middlewared/plugins/nfs.py:416-419).
  bool nfsSecurityNeedsV4 = false;
  // pool.dataset.create accepts compression ON and INHERIT (SCALE; not CORE 13.0).
  bool compressionOnAndInherit = true;
  // The name of the group with gid 0: "root" on SCALE (Debian), "wheel" on CORE (FreeBSD).
  std::string rootGroupName = "root";
  // Maximum hosts (and networks) per NFS share (42 on 25.10; 0 = unlimited).
  size_t maxNfsHostsPerShare = 0;
  // Server concurrency limit per connection (calls beyond it fail) and the number that run at once.
  int serverMaxConcurrentCalls = 20;
  int serverRunningCalls = 10;
  // The version is newer than any this client knows; the newest known behaviour is assumed.
  bool unknownNewerVersion = false;
};

struct VersionInfo {
  std::string fullVersion;  // system.version, e.g. "TrueNAS-25.04.2"
  Version version;
  ProductType productType = ProductType::kUnknown;
  WireProtocol protocol = WireProtocol::kJsonRpc;
  Capabilities capabilities;
};

// ------------------------------------------------------------------------------------------------
// Query filters and options (TrueNAS `[filters, options]`)

enum class FilterOp {
  kEq,             // =
  kNe,             // !=
  kGt,             // >
  kGe,             // >=
  kLt,             // <
  kLe,             // <=
  kRegex,          // ~
  kIn,             // in      (value is a list)
  kNotIn,          // nin
  kContains,       // rin     (field is a list that contains value)
  kNotContains,    // rnin
  kStartsWith,     // ^
  kNotStartsWith,  // !^
  kEndsWith,       // $
  kNotEndsWith,    // !$
};

// The wire operator, e.g. "=" or "^"; `caseInsensitive` adds TrueNAS's "C" prefix (not for kRegex).
std::string filterOpString(FilterOp op, bool caseInsensitive = false);

using FilterValue = std::variant<std::nullptr_t, bool, int64_t, double, std::string,
                                 std::vector<std::string>, std::vector<int64_t>>;

// A conjunction of conditions; a condition is either a term [field, op, value] or an OR of
// sub-filters (["OR", [branch, ...]], each branch itself a conjunction). Field paths are dotted
// (`user_properties.csi:pvc.value`); use escapeFieldComponent() for keys that contain dots.
// Field names are those of the 25.x entries; the client rewrites the few that differ per version
// (NFS `path` on CORE becomes a `paths` containment).
class QueryFilter {
 public:
  struct Term {
    std::string field;
    FilterOp op = FilterOp::kEq;
    FilterValue value;
    bool caseInsensitive = false;
  };
  struct Or;
  using Condition = std::variant<Term, Or>;
  struct Or {
    std::vector<QueryFilter> branches;
  };

  QueryFilter() = default;
  // Starts a filter with one term.
  static QueryFilter where(std::string field, FilterOp op, FilterValue value);
  // A filter matching any of `branches` (each branch is ANDed internally).
  static QueryFilter anyOf(std::vector<QueryFilter> branches);

  // Adds a term (AND). Returns *this for chaining.
  QueryFilter& and_(std::string field, FilterOp op, FilterValue value);
  QueryFilter& andCaseInsensitive(std::string field, FilterOp op, std::string value);
  // Adds an OR group (AND-ed with the rest).
  QueryFilter& andAnyOf(std::vector<QueryFilter> branches);

  const std::vector<Condition>& conditions() const { return conditions_; }
  bool empty() const { return conditions_.empty(); }

  // Escapes "." in one path component (a user property key such as "org.example:x").
  static std::string escapeFieldComponent(const std::string& component);

 private:
  std::vector<Condition> conditions_;
};

struct QueryOptions {
  std::vector<std::string> select;   // empty = all fields (unselected struct fields stay default)
  std::vector<std::string> orderBy;  // "name", "-lunid", "nulls_last:name"
  int64_t offset = 0;
  int64_t limit = 0;  // 0 = no limit
  // The two result-shape flags. Domain query methods set them themselves (get* methods use `get`,
  // count() uses `count`); passing them to a query* method returns InvalidArgument.
  bool count = false;
  bool get = false;
};

// Kinds of collections that count() can count.
enum class Collection {
  kPools,
  kDatasets,
  kSnapshots,
  kIscsiPortals,
  kIscsiInitiators,
  kIscsiAuth,
  kIscsiTargets,
  kIscsiExtents,
  kIscsiTargetExtents,
  kNfsShares,
};

// ------------------------------------------------------------------------------------------------
// Storage

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

struct SnapshotRollbackOptions {
  bool recursive = false;        // destroy newer snapshots (-r)
  bool recursiveClones = false;  // and their clones (-R)
  bool force = false;            // unmount (-f)
};

// ------------------------------------------------------------------------------------------------
// iSCSI

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

// ------------------------------------------------------------------------------------------------
// NFS

struct NfsShare {
  int64_t id = 0;
  std::string path;                // CORE: the first of `paths`
  std::vector<std::string> paths;  // CORE only; SCALE: {path}
  std::string comment;
  std::vector<std::string> networks;
  std::vector<std::string> hosts;
  bool ro = false;
  std::optional<std::string> maprootUser;
  std::optional<std::string> maprootGroup;
  std::optional<std::string> mapallUser;
  std::optional<std::string> mapallGroup;
  std::vector<std::string> security;  // SYS, KRB5, ...
  bool enabled = true;
  bool locked = false;
};

struct NfsShareSpec {
  std::string path;  // sent as `paths: [path]` on CORE
  std::string comment;
  std::vector<std::string> networks;
  std::vector<std::string> hosts;
  bool ro = false;
  std::optional<std::string> maprootUser;
  std::optional<std::string> maprootGroup;
  std::optional<std::string> mapallUser;
  std::optional<std::string> mapallGroup;
  std::vector<std::string> security;
  bool enabled = true;
};

struct NfsShareUpdateSpec {
  std::optional<std::string> comment;
  std::optional<std::vector<std::string>> networks;
  std::optional<std::vector<std::string>> hosts;
  std::optional<bool> ro;
  std::optional<bool> enabled;
};

// ------------------------------------------------------------------------------------------------
// Services

struct ServiceState {
  std::string name;      // "iscsitarget", "nfs"
  bool enabled = false;  // start on boot
  bool running = false;  // state == "RUNNING"
};

}  // namespace tnascsi::controller::truenas

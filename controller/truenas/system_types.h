// TrueNAS domain types, system area: the parsed version, product type, wire protocol and
// capabilities of the connected TrueNAS (filled in by version.h), and service states.
// Plain value types: no JSON and no transport types (truenas_client.h converts between these and
// each TrueNAS version's wire format); not synchronized (copy them between threads).
#pragma once

#include <cstddef>
#include <string>

namespace tnascsi::controller::truenas {

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

// What the connected TrueNAS can do; derived once from version + product type (version.h).
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
// Services

struct ServiceState {
  std::string name;      // "iscsitarget", "nfs"
  bool enabled = false;  // start on boot
  bool running = false;  // state == "RUNNING"
};

}  // namespace tnascsi::controller::truenas

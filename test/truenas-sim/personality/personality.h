// Personality: what differs between the TrueNAS versions the simulator impersonates (CORE 13.0,
// SCALE 24.10, 25.04, 25.10): endpoints, method names, field shapes, limits and side effects.
// Every flag cites the reference section (docs: /work/shared/reference/truenas-api.md) it models.
// Immutable after construction; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace tnascsi::sim {

enum class Version { kCore13, kScale2410, kScale2504, kScale2510 };

struct Personality {
  Version version = Version::kScale2504;
  std::string name;                      // "25.04"
  std::string versionFull;               // system.version: "TrueNAS-25.04.2"
  std::string versionShort;              // system.version_short: "25.04.2"
  std::string infoVersion;               // system.info.version
  std::vector<std::string> apiVersions;  // GET /api/versions (empty: 404)

  bool jsonRpc = false;           // §1.1 /api/current
  bool loginEx = false;           // §1.4 auth.login_ex
  bool revokesPlainKeys = false;  // §1.4 revocation on a non-secure transport
  bool legacyJobsOption = false;  // §1.2 core.set_options legacy_jobs (25.10)
  bool setOptionsReturnsOptions = false;
  bool serviceControl = false;         // §6 service.control job (25.10)
  bool datasetNameMax200 = false;      // §3.4 (24.10, 25.04)
  bool parentMayNotBeVolume = false;   // §3.4 (25.04+)
  bool userProperties = true;          // §9 CORE: none
  bool createAncestors = true;         // §9 CORE: none
  bool snapdirDisabled = false;        // §9 25.04+
  std::string snapshotNs;              // "zfs.snapshot" or "pool.snapshot" (§3.8)
  bool zfsSnapshotPrivate = false;     // 25.10: zfs.snapshot.* still callable (private)
  bool suspendVms = false;             // zfs.snapshot.create suspend_vms (≤25.04)
  bool strictModels = false;           // §1.2 pydantic iscsi/nfs: extra keys rejected (25.04+)
  bool strictDatasetModels = false;    // §9 25.10 pool.dataset pydantic
  bool nfsPaths = false;               // §5.1 CORE `paths`
  bool nfsMax42 = false;               // 25.10 (25.04.2.6 reverted it)
  bool nfsDeleteReturnsTrue = false;   // §5.1 25.04+ (24.10: null)
  bool nfsExposeSnapshots = false;     // 25.04+
  bool portalDiscoveryFields = false;  // §4.2 24.10/CORE
  bool authDiscoveryAuth = false;      // §4.4 25.04+
  bool authRejectsHashAndEdgeSpaces = false;  // §4.4 25.04+
  bool targetNameMax120 = false;              // §4.5 25.04+
  bool targetIscsiParameters = false;         // §4.5 25.04+
  bool targetDeleteExtents = false;           // §4.5 25.04+ delete(id, force, delete_extents)
  bool cleansOrphanInitiators = false;        // §4.5 24.10 only
  bool extentNameMax64 = true;                // §4.6 SCALE; CORE none
  bool extentProductId = false;               // §4.6 25.10
  bool initiatorAuthNetwork = false;          // §4.3 CORE
  bool iscsiIser = false;                     // §4.1 25.04+
  bool datasetRename = false;                 // §3.7 25.10
  bool destroySnapshotsAllDefault = false;    // §3.7 24.10: all=true
  std::string productType;                    // system.product_type

  bool isCore() const { return version == Version::kCore13; }
};

// "24.10", "25.04", "25.10", "13.0"; nullopt for anything else.
std::optional<Personality> personalityFor(const std::string& name);

}  // namespace tnascsi::sim

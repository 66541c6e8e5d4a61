// The four personalities; see personality.h and reference §9.
#include "test/truenas-sim/personality/personality.h"

namespace tnascsi::sim {

std::optional<Personality> personalityFor(const std::string& name) {
  Personality p;
  p.name = name;
  if (name == "13.0") {
    p.version = Version::kCore13;
    p.versionFull = "TrueNAS-13.0-U6.8";
    p.versionShort = "13.0-U6.8";
    p.infoVersion = p.versionFull;
    p.userProperties = false;
    p.createAncestors = false;
    p.snapshotNs = "zfs.snapshot";
    p.nfsPaths = true;
    p.portalDiscoveryFields = true;
    p.extentNameMax64 = false;
    p.initiatorAuthNetwork = true;
    p.destroySnapshotsAllDefault = true;
    p.productType = "CORE";
    return p;
  }
  if (name == "24.10") {
    p.version = Version::kScale2410;
    p.versionFull = "TrueNAS-SCALE-24.10.2";
    p.versionShort = "24.10.2";
    p.infoVersion = p.versionFull;
    p.datasetNameMax200 = true;
    p.snapshotNs = "zfs.snapshot";
    p.suspendVms = true;
    p.portalDiscoveryFields = true;
    p.cleansOrphanInitiators = true;
    p.destroySnapshotsAllDefault = true;
    p.productType = "SCALE";
    return p;
  }
  if (name == "25.04" || name == "25.10") {
    bool v2510 = name == "25.10";
    p.version = v2510 ? Version::kScale2510 : Version::kScale2504;
    p.versionShort = v2510 ? "25.10.0" : "25.04.2";
    p.versionFull = "TrueNAS-" + p.versionShort;
    p.infoVersion = p.versionShort;
    p.apiVersions = {"v25.04.0", "v25.04.1", "v25.04.2"};
    if (v2510) p.apiVersions.push_back("v25.10.0");
    p.jsonRpc = true;
    p.loginEx = true;
    p.revokesPlainKeys = true;
    p.legacyJobsOption = v2510;
    p.setOptionsReturnsOptions = v2510;
    p.serviceControl = v2510;
    p.datasetNameMax200 = !v2510;
    p.parentMayNotBeVolume = true;
    p.snapdirDisabled = true;
    p.snapshotNs = v2510 ? "pool.snapshot" : "zfs.snapshot";
    p.zfsSnapshotPrivate = v2510;
    p.suspendVms = !v2510;
    p.strictModels = true;
    p.strictDatasetModels = v2510;
    // TS-25.10.0:src/middlewared/middlewared/api/v25_04_0/nfs.py:21-22,95-102; TS-25.04.2.6
    // reverted the limiter (commit 244b717370, NAS-138229).
    p.nfsMax42 = v2510;
    p.nfsDeleteReturnsTrue = true;
    p.nfsExposeSnapshots = true;
    p.authDiscoveryAuth = true;
    p.authRejectsHashAndEdgeSpaces = true;
    p.targetNameMax120 = true;
    p.targetIscsiParameters = true;
    p.targetDeleteExtents = true;
    p.extentProductId = v2510;
    p.iscsiIser = true;
    p.datasetRename = v2510;
    p.productType = "COMMUNITY_EDITION";
    return p;
  }
  return std::nullopt;
}

}  // namespace tnascsi::sim

// TrueNAS version strings -> Version, and (version, product type) -> Capabilities. Pure functions,
// thread-safe. The table of what changed in which release lives in version.cc (reference §9).
#pragma once

#include <string>

#include "common/base/status.h"
#include "controller/truenas/system_types.h"

namespace tnascsi::controller::truenas {

// Parses every `system.version` / `system.version_short` format TrueNAS has used:
//   "TrueNAS-SCALE-24.10.2", "TrueNAS-25.04.2", "TrueNAS-25.10.0", "TrueNAS-25.10-MASTER-2025...",
//   "TrueNAS-13.0-U6.8", "FreeNAS-11.3-U5", "25.04.2".
// InvalidArgument when no "<major>.<minor>" number can be found.
StatusOr<Version> parseTrueNasVersion(const std::string& text);

// The newest release whose behaviour this client knows; newer versions get its capabilities and
// Capabilities::unknownNewerVersion.
Version newestKnownVersion();

// The capability set of a backend. Never fails: unknown product types are judged by the version,
// unknown newer versions get the newest known behaviour (with unknownNewerVersion set).
Capabilities capabilitiesFor(const Version& version, ProductType product);

}  // namespace tnascsi::controller::truenas

// StorageClass parameters and provisioner secrets, parsed and validated before anything touches
// TrueNAS (docs/storageclass-parameters.md is the user-facing contract). Every error is
// INVALID_ARGUMENT naming the parameter (or secret key) and what is allowed; secret values never
// appear in messages. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/base/status.h"
#include "controller/provision/nfs_root_permissions.h"
#include "controller/provision/volume_id.h"

namespace tnascsi::controller::provision {

using StringMap = std::map<std::string, std::string>;

struct IscsiParameters {
  uint64_t volblocksize = 16 * 1024;
  bool sparse = true;
  std::optional<std::string> compression;  // upper-case TrueNAS value
  std::optional<std::string> dedup;
  std::optional<std::string> sync;
  int extentBlocksize = 512;
  bool extentInsecureTpc = true;
  bool extentXen = false;
  std::string extentRpm = "SSD";
  std::string mkfsOptions;           // passed through to the node in the volume context
  std::vector<std::string> portals;  // host:port; empty = the backend's portals
  bool multipath = false;            // the node logs in to every portal and stages the dm map
};

struct NfsParameters {
  bool reservation = false;
  std::vector<std::string> networks;
  std::vector<std::string> hosts;
  std::optional<std::string> maprootUser = "root";
  std::optional<std::string> maprootGroup = "root";
  std::optional<std::string> mapallUser;
  std::optional<std::string> mapallGroup;
  std::string security = "SYS";
  std::string version = "4.2";
  // nfsExportPerNode: the share admits only the addresses of the nodes the volume is published to
  // (ControllerPublish/Unpublish edit its hosts); disabled while published nowhere.
  bool exportPerNode = false;
  // nfsRootMode/Uid/Gid/StripAcl: applied to the root directory of new empty volumes only (not to
  // volumes with a content source: those keep the source's root as the copied data expects).
  NfsRootPermissions root;
};

struct VolumeParameters {
  Protocol protocol = Protocol::kIscsi;
  std::string backend;  // empty = the default backend
  std::string fsType = "ext4";
  bool detachedFromSnapshots = false;
  bool detachedFromVolumes = false;
  IscsiParameters iscsi;
  NfsParameters nfs;
  // Metadata the external-provisioner adds (--extra-create-metadata); stored, not compared.
  std::string pvcName;
  std::string pvcNamespace;
  std::string pvName;
  // Hash of every parameter except the metadata above: two CreateVolume calls with the same name
  // are compatible only if their hashes agree.
  std::string fingerprint;
};

// Parses `parameters` (CreateVolumeRequest.parameters). Unknown keys and keys of the other
// protocol are rejected.
StatusOr<VolumeParameters> parseVolumeParameters(const StringMap& parameters);

// Per-volume CHAP from the provisioner secret (keys chapUser, chapSecret, chapMutualUser,
// chapMutualSecret). Other keys are ignored (a Secret may serve several purposes).
struct ChapCredentials {
  std::string user;
  std::string secret;
  std::string mutualUser;
  std::string mutualSecret;
  bool enabled() const { return !user.empty(); }
  bool mutual() const { return !mutualUser.empty(); }
};

// Validates the TrueNAS rules before any call: a secret needs its user and vice versa; secrets
// are 12-16 characters, without '#' and without leading/trailing whitespace; mutual CHAP needs
// one-way CHAP and a different secret. Empty map -> disabled.
StatusOr<ChapCredentials> parseChapSecrets(const StringMap& secrets);

// Parses "512", "4K", "16K", "128K" (powers of two between 512 and 128K).
std::optional<uint64_t> parseBlockSize(const std::string& text);

}  // namespace tnascsi::controller::provision

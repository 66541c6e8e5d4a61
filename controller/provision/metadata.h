// Ownership marker and volume metadata kept in ZFS user properties of the volume's dataset (and of
// snapshots we create). TrueNAS CORE has no user properties in its API; the client keeps the same
// map in the dataset's `comments` there, so this code sees one map on every version.
//
// A dataset, snapshot, target or initiator group without our marker is never modified or deleted:
// deterministic names can collide with objects an administrator made by hand, and those must fail
// loudly (ALREADY_EXISTS / FAILED_PRECONDITION), not be adopted.
#pragma once

#include <map>
#include <string>

namespace tnascsi::controller::provision::props {

// Marker: value is the CSI driver name that owns the object.
inline constexpr const char* kOwner = "truenas-csi:owner";
// The CSI volume (or snapshot) name the object was created for.
inline constexpr const char* kCsiName = "truenas-csi:csi_name";
inline constexpr const char* kProtocol = "truenas-csi:protocol";
// Fingerprint of the StorageClass parameters (compatibility of a repeated CreateVolume).
inline constexpr const char* kParameters = "truenas-csi:parameters";
// Content source: "" | "snapshot:<snapshot id>" | "volume:<volume id>".
inline constexpr const char* kContentSource = "truenas-csi:content_source";
inline constexpr const char* kPvcName = "truenas-csi:pvc_name";
inline constexpr const char* kPvcNamespace = "truenas-csi:pvc_namespace";
inline constexpr const char* kPvName = "truenas-csi:pv_name";
// iSCSI: the volume's initiator group id and CHAP auth tag (absent without CHAP).
inline constexpr const char* kInitiatorGroup = "truenas-csi:initiator_group";
inline constexpr const char* kAuthTag = "truenas-csi:auth_tag";
// Set when DeleteVolume could not destroy the data yet (snapshots or clones depend on it); the
// volume is gone for CSI and is destroyed when its last snapshot/clone goes.
inline constexpr const char* kDeleted = "truenas-csi:deleted";
// The capacity CreateVolume decided (datasets); on a snapshot, the source volume's capacity when
// it was taken (the size a restore needs).
inline constexpr const char* kCapacity = "truenas-csi:capacity";
// NFS: "true" when the share admits only the nodes the volume is published to (nfsExportPerNode).
inline constexpr const char* kNfsExportPerNode = "truenas-csi:nfs_export_per_node";
// On a snapshot made only to clone a volume from a volume: the clone's dataset.
inline constexpr const char* kCloneFor = "truenas-csi:clone_for";

using PropertyMap = std::map<std::string, std::string>;

inline std::string get(const PropertyMap& map, const char* key) {
  auto it = map.find(key);
  return it == map.end() ? std::string() : it->second;
}

inline bool ownedBy(const PropertyMap& map, const std::string& driverName) {
  return get(map, kOwner) == driverName;
}

// Prefix of the comment of a volume's initiator group: "truenas-csi:<dataset>".
inline std::string initiatorGroupKey(const std::string& dataset) {
  return "truenas-csi:" + dataset;
}

// The alias marking an iSCSI target as ours.
inline constexpr const char* kTargetAliasPrefix = "truenas-csi ";

}  // namespace tnascsi::controller::provision::props

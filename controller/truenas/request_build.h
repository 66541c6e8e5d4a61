// Request building per TrueNAS version: domain specs, filters and options -> the JSON parameters
// each release expects (method names, field names, argument shapes; reference §2-§6, §9).
// Pure functions of (spec, Capabilities); thread-safe. The key rule of 25.04+ strict models:
// only send fields the release knows, omit unset optionals.
#pragma once

#include <string>

#include "common/base/status.h"
#include "controller/truenas/dataset_types.h"
#include "controller/truenas/iscsi_types.h"
#include "controller/truenas/json_util.h"
#include "controller/truenas/nfs_types.h"
#include "controller/truenas/query_types.h"
#include "controller/truenas/snapshot_types.h"
#include "controller/truenas/system_types.h"

namespace tnascsi::controller::truenas {

// [filters] array. On CORE (`caps.nfsPathsList`) with `nfsShares`, `path = x` becomes
// `paths rin x` (the share list holds the path).
json::ArrayPtr encodeFilter(const QueryFilter& filter, const Capabilities& caps,
                            bool nfsShares = false);
// The options object; `extra` (may be null) is merged in as options.extra.
json::ObjectPtr encodeOptions(const QueryOptions& options, const json::ObjectPtr& extra = nullptr);
// [filters, options] ready to send.
json::ArrayPtr queryParams(const QueryFilter& filter, const QueryOptions& options,
                           const Capabilities& caps, const json::ObjectPtr& extra = nullptr,
                           bool nfsShares = false);

// "zfs.snapshot.<verb>" before 25.10, "pool.snapshot.<verb>" from 25.10.
std::string snapshotMethod(const Capabilities& caps, const std::string& verb);

// 16384 -> "16K". InvalidArgument unless a power of two between 512 and 128 KiB.
StatusOr<std::string> volblocksizeString(uint64_t bytes);

StatusOr<json::ObjectPtr> buildDatasetCreate(const DatasetCreateSpec& spec,
                                             const Capabilities& caps);
// `currentComments`: on CORE the stored comment (properties are merged into it).
StatusOr<json::ObjectPtr> buildDatasetUpdate(const DatasetUpdateSpec& spec,
                                             const Capabilities& caps,
                                             const std::string& currentComments);
json::ObjectPtr buildSnapshotCreate(const SnapshotCreateSpec& spec, const Capabilities& caps);
json::ObjectPtr buildSnapshotClone(const SnapshotCloneSpec& spec);
json::ObjectPtr buildPortalCreate(const IscsiPortalCreateSpec& spec);
json::ObjectPtr buildInitiatorGroup(const IscsiInitiatorGroupSpec& spec);
json::ObjectPtr buildAuth(const IscsiAuthSpec& spec);
json::ObjectPtr buildTargetCreate(const IscsiTargetSpec& spec, const Capabilities& caps);
json::ObjectPtr buildTargetUpdate(const IscsiTargetUpdateSpec& spec, const Capabilities& caps);
json::ObjectPtr buildExtentCreate(const IscsiExtentCreateSpec& spec, const Capabilities& caps);
json::ObjectPtr buildExtentUpdate(const IscsiExtentUpdateSpec& spec);
json::ObjectPtr buildTargetExtent(const IscsiTargetExtentSpec& spec);
json::ObjectPtr buildNfsCreate(const NfsShareSpec& spec, const Capabilities& caps);
json::ObjectPtr buildNfsUpdate(const NfsShareUpdateSpec& spec);

}  // namespace tnascsi::controller::truenas

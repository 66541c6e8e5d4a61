// Helpers shared by the iSCSI provisioner's files (iscsi_provisioner.cc: create and context;
// iscsi_lifecycle.cc: delete, expand, inspect, publish). Internal to controller/provision.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/base/status.h"
#include "controller/provision/backend.h"
#include "controller/provision/parameters.h"
#include "controller/truenas/truenas_api.h"

namespace tnascsi::controller::provision::iscsi_detail {

std::string leafOf(const std::string& dataset);
// "zvol/<dataset>", as extents name their disk.
std::string diskOf(const std::string& dataset);
// A positive integer user property of the dataset, or nullopt.
std::optional<int64_t> propInt(const truenas::Dataset& dataset, const char* key);
// The target alias marks our targets.
bool isOurTarget(const truenas::IscsiTarget& target);
// Deletes every CHAP credential with `tag`; NotFound entries are skipped.
Status deleteAuthTag(truenas::TrueNasApi& api, int64_t tag);
Status okIfNotFound(const Status& s);
// The CSI volume context of an iSCSI volume.
std::map<std::string, std::string> buildContext(Backend& backend, const VolumeParameters& params,
                                                const IscsiSetup& setup,
                                                const std::string& targetName, int64_t lun,
                                                const truenas::IscsiExtent& extent);

}  // namespace tnascsi::controller::provision::iscsi_detail

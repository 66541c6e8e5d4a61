// Helpers shared by the iSCSI provisioner's files (see iscsi_detail.h).
#include "controller/provision/iscsi_detail.h"

#include <cstdlib>

#include "absl/strings/str_join.h"
#include "controller/provision/metadata.h"

namespace tnascsi::controller::provision::iscsi_detail {

using truenas::TrueNasApi;

std::string leafOf(const std::string& dataset) {
  return dataset.substr(dataset.rfind('/') + 1);
}
std::string diskOf(const std::string& dataset) {
  return "zvol/" + dataset;
}

std::optional<int64_t> propInt(const truenas::Dataset& dataset, const char* key) {
  std::string value = props::get(dataset.userProperties, key);
  if (value.empty()) return std::nullopt;
  char* end = nullptr;
  long long n = std::strtoll(value.c_str(), &end, 10);
  if (end == nullptr || *end != '\0' || n <= 0) return std::nullopt;
  return n;
}

bool isOurTarget(const truenas::IscsiTarget& target) {
  return target.alias && target.alias->rfind(props::kTargetAliasPrefix, 0) == 0;
}

Status deleteAuthTag(TrueNasApi& api, int64_t tag) {
  auto entries = api.queryIscsiAuthByTag(tag);
  if (!entries.ok()) return entries.status();
  for (const auto& entry : *entries) {
    Status s = api.deleteIscsiAuth(entry.id);
    if (!s.ok() && s.code() != StatusCode::kNotFound) return s;
  }
  return absl::OkStatus();
}

Status okIfNotFound(const Status& s) {
  return s.code() == StatusCode::kNotFound ? absl::OkStatus() : s;
}

// Deletes the volume's initiator groups that admit nobody and are not the one its zvol records
// (left by a create whose reply was lost). Best effort: failures are logged.
namespace {

std::string naaDesignator(const std::string& naa) {
  std::string hex = naa.rfind("0x", 0) == 0 ? naa.substr(2) : naa;
  if (hex.empty()) return "";
  return "naa." + hex;
}

}  // namespace

std::map<std::string, std::string> buildContext(Backend& backend, const VolumeParameters& params,
                                                const IscsiSetup& setup,
                                                const std::string& targetName, int64_t lun,
                                                const truenas::IscsiExtent& extent) {
  std::map<std::string, std::string> ctx;
  const auto& portals =
      params.iscsi.portals.empty() ? backend.config().portals : params.iscsi.portals;
  ctx["protocol"] = "iscsi";
  if (!portals.empty()) ctx["portal"] = portals.front();
  if (portals.size() > 1) {
    ctx["portals"] = absl::StrJoin(portals.begin() + 1, portals.end(), ",");
  }
  ctx["iqn"] = setup.basename + ":" + targetName;
  ctx["lun"] = std::to_string(lun);
  if (!extent.serial.empty()) ctx["serial"] = extent.serial;
  std::string naa = naaDesignator(extent.naa);
  if (!naa.empty()) ctx["naa"] = naa;
  if (!params.iscsi.mkfsOptions.empty()) ctx["mkfsOptions"] = params.iscsi.mkfsOptions;
  if (params.iscsi.multipath) ctx["multipath"] = "true";
  return ctx;
}

}  // namespace tnascsi::controller::provision::iscsi_detail

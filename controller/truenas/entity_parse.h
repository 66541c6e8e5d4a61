// Conversion of TrueNAS query/create results (JSON) into the domain structs of the *_types.h
// headers. Tolerant of every version's shape: property dicts ({parsed, rawvalue, value, source}) or
// plain values, numbers as numbers or strings, missing keys (unselected fields keep their
// defaults). Never throws; a result that is not an object at all yields InvalidArgument.
// Thread-safe (pure).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/base/status.h"
#include "controller/truenas/dataset_types.h"
#include "controller/truenas/iscsi_types.h"
#include "controller/truenas/json_util.h"
#include "controller/truenas/nfs_types.h"
#include "controller/truenas/snapshot_types.h"
#include "controller/truenas/system_types.h"

namespace tnascsi::controller::truenas {

// `comments` carries user properties on CORE (no user_properties API there): the marker below
// followed by a JSON object of the properties. Other text is left alone.
inline constexpr const char* kCommentsPropertiesMarker = "tnascsi-props:";
std::string encodeCommentsProperties(const std::map<std::string, std::string>& props);
// The properties in a comment written by encodeCommentsProperties (empty map otherwise).
std::map<std::string, std::string> decodeCommentsProperties(const std::string& comments);

StatusOr<Pool> parsePool(const json::Var& v);
// `propertiesInComments`: CORE; user properties are decoded from comments.
StatusOr<Dataset> parseDataset(const json::Var& v, bool propertiesInComments);
StatusOr<Snapshot> parseSnapshot(const json::Var& v);
StatusOr<IscsiGlobal> parseIscsiGlobal(const json::Var& v);
StatusOr<IscsiPortal> parseIscsiPortal(const json::Var& v);
StatusOr<IscsiInitiatorGroup> parseIscsiInitiatorGroup(const json::Var& v);
StatusOr<IscsiAuth> parseIscsiAuth(const json::Var& v);
StatusOr<IscsiTarget> parseIscsiTarget(const json::Var& v);
StatusOr<IscsiExtent> parseIscsiExtent(const json::Var& v);
StatusOr<IscsiTargetExtent> parseIscsiTargetExtent(const json::Var& v);
StatusOr<NfsShare> parseNfsShare(const json::Var& v);
StatusOr<ServiceState> parseService(const json::Var& v);

// Applies `parse` to every element of a query result array. InvalidArgument if `v` is not an
// array or an element does not parse.
template <typename T, typename F>
StatusOr<std::vector<T>> parseList(const json::Var& v, F parse) {
  json::ArrayPtr a = json::asArray(v);
  if (!a) return absl::InvalidArgumentError("TrueNAS query result is not a list");
  std::vector<T> out;
  out.reserve(a->size());
  for (size_t i = 0; i < a->size(); ++i) {
    StatusOr<T> item = parse(a->get(static_cast<unsigned>(i)));
    if (!item.ok()) return item.status();
    out.push_back(std::move(*item));
  }
  return out;
}

}  // namespace tnascsi::controller::truenas

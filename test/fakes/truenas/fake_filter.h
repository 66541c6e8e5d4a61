// Evaluation of TrueNasApi QueryFilters over the fake's objects: each object exposes its fields
// through a getter; unknown fields are InvalidArgument (so a test notices the controller asking
// for a field the fake does not model). Supports =, !=, ^, $, in, nin and OR groups.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <variant>

#include "common/base/status.h"
#include "controller/truenas/query_types.h"

namespace tnascsi::controller::truenas::fake {

using FieldValue = std::variant<std::string, int64_t>;
using FieldGetter = std::function<std::optional<FieldValue>(const std::string& field)>;

StatusOr<bool> matches(const QueryFilter& filter, const FieldGetter& get);

}  // namespace tnascsi::controller::truenas::fake

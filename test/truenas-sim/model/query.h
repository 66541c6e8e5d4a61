// TrueNAS query semantics (utils/filter_list.py): filters `[field, op, value]` with the operators
// = != > >= < <= ~ in nin rin rnin ^ !^ $ !$ (and their C-prefixed case-insensitive forms),
// ["OR", [...]] groups, dotted paths with `\.` escapes and `*` wildcards; options select,
// order_by (with -, nulls_first:, nulls_last:), offset, limit, count and get.
// Thread-safe: pure functions.
#pragma once

#include <vector>

#include "common/base/status.h"
#include "test/truenas-sim/json/json.h"

namespace tnascsi::sim {

// True when `entry` satisfies every filter in `filters`. Invalid filters give a ValidationError.
StatusOr<bool> matchesFilters(const Json& entry, const Json& filters);

// Runs a whole query over `entries`. With get:true and no match the error is MatchNotFound
// (a CallError); count:true returns an integer.
StatusOr<Json> runQuery(const std::vector<Json>& entries, const Json& filters, const Json& options);

// get_instance(id): query [[pk,"=",id]] with get:true; a miss is InstanceNotFound.
StatusOr<Json> getInstance(const std::vector<Json>& entries, const std::string& pk, const Json& id,
                           const std::string& verboseName, const Json& options = Json::object());

// Resolves a dotted path (`a.b`, `a\.b`, `list.*.x`) to the values it names.
std::vector<Json> resolvePath(const Json& entry, const std::string& path);

}  // namespace tnascsi::sim

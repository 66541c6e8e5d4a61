// TrueNAS domain types, queries: the `[filters, options]` builder (QueryFilter, QueryOptions) and
// the collections count() counts.
// Plain value types: no JSON and no transport types (truenas_client.h converts between these and
// each TrueNAS version's wire format); not synchronized (copy them between threads).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace tnascsi::controller::truenas {

enum class FilterOp {
  kEq,             // =
  kNe,             // !=
  kGt,             // >
  kGe,             // >=
  kLt,             // <
  kLe,             // <=
  kRegex,          // ~
  kIn,             // in      (value is a list)
  kNotIn,          // nin
  kContains,       // rin     (field is a list that contains value)
  kNotContains,    // rnin
  kStartsWith,     // ^
  kNotStartsWith,  // !^
  kEndsWith,       // $
  kNotEndsWith,    // !$
};

// The wire operator, e.g. "=" or "^"; `caseInsensitive` adds TrueNAS's "C" prefix (not for kRegex).
std::string filterOpString(FilterOp op, bool caseInsensitive = false);

using FilterValue = std::variant<std::nullptr_t, bool, int64_t, double, std::string,
                                 std::vector<std::string>, std::vector<int64_t>>;

// A conjunction of conditions; a condition is either a term [field, op, value] or an OR of
// sub-filters (["OR", [branch, ...]], each branch itself a conjunction). Field paths are dotted
// (`user_properties.csi:pvc.value`); use escapeFieldComponent() for keys that contain dots.
// Field names are those of the 25.x entries; the client rewrites the few that differ per version
// (NFS `path` on CORE becomes a `paths` containment).
class QueryFilter {
 public:
  struct Term {
    std::string field;
    FilterOp op = FilterOp::kEq;
    FilterValue value;
    bool caseInsensitive = false;
  };
  struct Or;
  using Condition = std::variant<Term, Or>;
  struct Or {
    std::vector<QueryFilter> branches;
  };

  QueryFilter() = default;
  // Starts a filter with one term.
  static QueryFilter where(std::string field, FilterOp op, FilterValue value);
  // A filter matching any of `branches` (each branch is ANDed internally).
  static QueryFilter anyOf(std::vector<QueryFilter> branches);

  // Adds a term (AND). Returns *this for chaining.
  QueryFilter& and_(std::string field, FilterOp op, FilterValue value);
  QueryFilter& andCaseInsensitive(std::string field, FilterOp op, std::string value);
  // Adds an OR group (AND-ed with the rest).
  QueryFilter& andAnyOf(std::vector<QueryFilter> branches);

  const std::vector<Condition>& conditions() const { return conditions_; }
  bool empty() const { return conditions_.empty(); }

  // Escapes "." in one path component (a user property key such as "org.example:x").
  static std::string escapeFieldComponent(const std::string& component);

 private:
  std::vector<Condition> conditions_;
};

struct QueryOptions {
  std::vector<std::string> select;   // empty = all fields (unselected struct fields stay default)
  std::vector<std::string> orderBy;  // "name", "-lunid", "nulls_last:name"
  int64_t offset = 0;
  int64_t limit = 0;  // 0 = no limit
  // The two result-shape flags. Domain query methods set them themselves (get* methods use `get`,
  // count() uses `count`); passing them to a query* method returns InvalidArgument.
  bool count = false;
  bool get = false;
};

// Kinds of collections that count() can count.
enum class Collection {
  kPools,
  kDatasets,
  kSnapshots,
  kIscsiPortals,
  kIscsiInitiators,
  kIscsiAuth,
  kIscsiTargets,
  kIscsiExtents,
  kIscsiTargetExtents,
  kNfsShares,
};

}  // namespace tnascsi::controller::truenas

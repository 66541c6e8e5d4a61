// QueryFilter evaluation for the fake TrueNAS (see fake_filter.h).
#include "test/fakes/truenas/fake_filter.h"

#include <algorithm>

namespace tnascsi::controller::truenas::fake {
namespace {

StatusOr<bool> termMatches(const QueryFilter::Term& term, const FieldGetter& get) {
  auto field = get(term.field);
  if (!field) return absl::InvalidArgumentError("fake TrueNAS: unknown filter field " + term.field);
  auto asString = [](const FieldValue& v) {
    return std::holds_alternative<std::string>(v) ? std::get<std::string>(v)
                                                  : std::to_string(std::get<int64_t>(v));
  };
  std::string have = asString(*field);
  std::string want;
  if (auto* s = std::get_if<std::string>(&term.value)) want = *s;
  if (auto* i = std::get_if<int64_t>(&term.value)) want = std::to_string(*i);
  if (auto* b = std::get_if<bool>(&term.value)) want = *b ? "1" : "0";
  switch (term.op) {
    case FilterOp::kEq:
      return have == want;
    case FilterOp::kNe:
      return have != want;
    case FilterOp::kStartsWith:
      return have.rfind(want, 0) == 0;
    case FilterOp::kNotStartsWith:
      return have.rfind(want, 0) != 0;
    case FilterOp::kEndsWith:
      return have.size() >= want.size() &&
             have.compare(have.size() - want.size(), want.size(), want) == 0;
    case FilterOp::kIn:
    case FilterOp::kNotIn: {
      bool in = false;
      if (auto* list = std::get_if<std::vector<std::string>>(&term.value)) {
        in = std::find(list->begin(), list->end(), have) != list->end();
      } else if (auto* ints = std::get_if<std::vector<int64_t>>(&term.value)) {
        in = std::any_of(ints->begin(), ints->end(),
                         [&](int64_t v) { return std::to_string(v) == have; });
      }
      return term.op == FilterOp::kIn ? in : !in;
    }
    default:
      return absl::InvalidArgumentError("fake TrueNAS: unsupported filter operator " +
                                        filterOpString(term.op));
  }
}

}  // namespace

StatusOr<bool> matches(const QueryFilter& filter, const FieldGetter& get) {
  for (const auto& condition : filter.conditions()) {
    if (auto* term = std::get_if<QueryFilter::Term>(&condition)) {
      TNAS_ASSIGN_OR_RETURN(bool ok, termMatches(*term, get));
      if (!ok) return false;
    } else {
      const auto& anyOf = std::get<QueryFilter::Or>(condition);
      bool any = false;
      for (const auto& branch : anyOf.branches) {
        TNAS_ASSIGN_OR_RETURN(bool ok, matches(branch, get));
        any = any || ok;
      }
      if (!any) return false;
    }
  }
  return true;
}

}  // namespace tnascsi::controller::truenas::fake

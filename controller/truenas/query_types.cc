// Filter operators and the filter builder (see query_types.h).
#include "controller/truenas/query_types.h"

#include <utility>

namespace tnascsi::controller::truenas {

std::string filterOpString(FilterOp op, bool caseInsensitive) {
  const char* base = "=";
  switch (op) {
    case FilterOp::kEq:
      base = "=";
      break;
    case FilterOp::kNe:
      base = "!=";
      break;
    case FilterOp::kGt:
      base = ">";
      break;
    case FilterOp::kGe:
      base = ">=";
      break;
    case FilterOp::kLt:
      base = "<";
      break;
    case FilterOp::kLe:
      base = "<=";
      break;
    case FilterOp::kRegex:
      return "~";  // TrueNAS has no case-insensitive regex operator
    case FilterOp::kIn:
      base = "in";
      break;
    case FilterOp::kNotIn:
      base = "nin";
      break;
    case FilterOp::kContains:
      base = "rin";
      break;
    case FilterOp::kNotContains:
      base = "rnin";
      break;
    case FilterOp::kStartsWith:
      base = "^";
      break;
    case FilterOp::kNotStartsWith:
      base = "!^";
      break;
    case FilterOp::kEndsWith:
      base = "$";
      break;
    case FilterOp::kNotEndsWith:
      base = "!$";
      break;
  }
  return caseInsensitive ? std::string("C") + base : std::string(base);
}

QueryFilter QueryFilter::where(std::string field, FilterOp op, FilterValue value) {
  QueryFilter f;
  f.and_(std::move(field), op, std::move(value));
  return f;
}

QueryFilter QueryFilter::anyOf(std::vector<QueryFilter> branches) {
  QueryFilter f;
  f.andAnyOf(std::move(branches));
  return f;
}

QueryFilter& QueryFilter::and_(std::string field, FilterOp op, FilterValue value) {
  conditions_.emplace_back(Term{std::move(field), op, std::move(value), false});
  return *this;
}

QueryFilter& QueryFilter::andCaseInsensitive(std::string field, FilterOp op, std::string value) {
  conditions_.emplace_back(Term{std::move(field), op, FilterValue(std::move(value)), true});
  return *this;
}

QueryFilter& QueryFilter::andAnyOf(std::vector<QueryFilter> branches) {
  conditions_.emplace_back(Or{std::move(branches)});
  return *this;
}

std::string QueryFilter::escapeFieldComponent(const std::string& component) {
  std::string out;
  out.reserve(component.size());
  for (char c : component) {
    if (c == '.') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace tnascsi::controller::truenas

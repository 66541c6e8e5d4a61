// Query filtering and options; see query.h.
#include "test/truenas-sim/model/query.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <regex>

#include "test/truenas-sim/model/api_error.h"

namespace tnascsi::sim {
namespace {

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> parts;
  std::string cur;
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '\\' && i + 1 < path.size() && path[i + 1] == '.') {
      cur += '.';
      ++i;
    } else if (path[i] == '.') {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += path[i];
    }
  }
  parts.push_back(cur);
  return parts;
}

void resolveInto(const Json& node, const std::vector<std::string>& parts, size_t i,
                 std::vector<Json>& out) {
  if (i == parts.size()) {
    out.push_back(node);
    return;
  }
  if (parts[i] == "*" && node.isArray()) {
    for (const Json& v : node.asArray()) resolveInto(v, parts, i + 1, out);
    return;
  }
  if (node.isObject()) {
    if (const Json* v = node.get(parts[i])) resolveInto(*v, parts, i + 1, out);
    return;
  }
  if (node.isArray()) {
    char* end = nullptr;
    long idx = std::strtol(parts[i].c_str(), &end, 10);
    if (end && *end == '\0' && idx >= 0 && static_cast<size_t>(idx) < node.size()) {
      resolveInto(node.at(static_cast<size_t>(idx)), parts, i + 1, out);
    }
  }
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Json fold(const Json& v, bool ci) {
  if (!ci) return v;
  if (v.isString()) return Json(lower(v.asString()));
  if (v.isArray()) {
    Json out = Json::array();
    for (const Json& e : v.asArray()) out.push(fold(e, true));
    return out;
  }
  return v;
}

// Python-like ordering for numbers and strings; nullopt when not comparable.
std::optional<int> compare(const Json& a, const Json& b) {
  if (a.isNumber() && b.isNumber()) {
    double x = a.asDouble(), y = b.asDouble();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.isString() && b.isString()) return a.asString().compare(b.asString());
  if (a.isBool() && b.isBool()) return static_cast<int>(a.asBool()) - static_cast<int>(b.asBool());
  return std::nullopt;
}

bool contains(const Json& haystack, const Json& needle) {
  if (haystack.isArray()) {
    for (const Json& e : haystack.asArray()) {
      if (e == needle) return true;
    }
    return false;
  }
  if (haystack.isString() && needle.isString()) {
    return haystack.asString().find(needle.asString()) != std::string::npos;
  }
  return false;
}

StatusOr<bool> evalOp(const std::string& opIn, const Json& xIn, const Json& yIn) {
  bool ci = opIn.size() > 1 && opIn[0] == 'C' && opIn != "C~";
  std::string op = ci ? opIn.substr(1) : opIn;
  Json x = fold(xIn, ci), y = fold(yIn, ci);
  if (op == "=") return x == y;
  if (op == "!=") return x != y;
  if (op == ">" || op == ">=" || op == "<" || op == "<=") {
    auto c = compare(x, y);
    if (!c) return false;
    if (op == ">") return *c > 0;
    if (op == ">=") return *c >= 0;
    if (op == "<") return *c < 0;
    return *c <= 0;
  }
  if (op == "~") {
    if (!x.isString() || !y.isString()) return false;
    try {
      return std::regex_search(x.asString(), std::regex(y.asString()),
                               std::regex_constants::match_continuous);
    } catch (const std::regex_error&) {
      return validationError("filters", "Invalid regular expression");
    }
  }
  if (op == "in") return contains(y, x);
  if (op == "nin") return !contains(y, x);
  if (op == "rin") return !x.isNull() && contains(x, y);
  if (op == "rnin") return !x.isNull() && !contains(x, y);
  if (op == "^" || op == "!^" || op == "$" || op == "!$") {
    if (!x.isString() || !y.isString()) return false;
    const std::string& s = x.asString();
    const std::string& t = y.asString();
    bool r = (op == "^" || op == "!^")
                 ? s.compare(0, t.size(), t) == 0
                 : s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0;
    return op[0] == '!' ? !r : r;
  }
  return validationError("filters", "Invalid operation: " + opIn);
}

StatusOr<bool> matchOne(const Json& entry, const Json& filter);

StatusOr<bool> matchAll(const Json& entry, const Json& filters) {
  for (const Json& f : filters.asArray()) {
    TNAS_ASSIGN_OR_RETURN(bool ok, matchOne(entry, f));
    if (!ok) return false;
  }
  return true;
}

StatusOr<bool> matchOne(const Json& entry, const Json& filter) {
  if (!filter.isArray()) return validationError("filters", "Filter must be a list");
  if (filter.size() == 2 && filter.at(0).asString() == "OR") {
    for (const Json& alt : filter.at(1).asArray()) {
      bool ok = false;
      if (alt.isArray() && alt.size() > 0 && alt.at(0).isArray()) {
        TNAS_ASSIGN_OR_RETURN(ok, matchAll(entry, alt));
      } else {
        TNAS_ASSIGN_OR_RETURN(ok, matchOne(entry, alt));
      }
      if (ok) return true;
    }
    return false;
  }
  if (filter.size() != 3 || !filter.at(0).isString() || !filter.at(1).isString()) {
    return validationError("filters", "Invalid filter " + filter.dump());
  }
  const std::string& path = filter.at(0).asString();
  std::vector<Json> values = resolvePath(entry, path);
  if (values.empty()) values.push_back(Json());
  for (const Json& v : values) {
    TNAS_ASSIGN_OR_RETURN(bool ok, evalOp(filter.at(1).asString(), v, filter.at(2)));
    if (ok) return true;
  }
  return false;
}

Json selectFields(const Json& entry, const Json& select) {
  Json out = Json::object();
  for (const Json& s : select.asArray()) {
    std::string path = s.isArray() ? s.at(0).asString() : s.asString();
    std::string alias = s.isArray() ? s.at(1).asString() : path;
    std::vector<std::string> parts = splitPath(path);
    std::vector<Json> found;
    resolveInto(entry, parts, 0, found);
    if (found.empty()) continue;
    if (s.isArray() || parts.size() == 1) {
      out.set(s.isArray() ? alias : parts[0], found.front());
      continue;
    }
    // Nested select keeps the structure: {"a": {"b": v}}.
    Json* node = &out;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      Json& next = (*node)[parts[i]];
      if (!next.isObject()) next = Json::object();
      node = &next;
    }
    node->set(parts.back(), found.front());
  }
  return out;
}

}  // namespace

std::vector<Json> resolvePath(const Json& entry, const std::string& path) {
  std::vector<Json> out;
  resolveInto(entry, splitPath(path), 0, out);
  return out;
}

StatusOr<bool> matchesFilters(const Json& entry, const Json& filters) {
  if (!filters.isNull() && !filters.isArray()) {
    return validationError("filters", "Filters must be a list");
  }
  return matchAll(entry, filters);
}

StatusOr<Json> runQuery(const std::vector<Json>& entries, const Json& filters,
                        const Json& options) {
  if (!options.isNull() && !options.isObject()) {
    return validationError("options", "Options must be a dictionary");
  }
  std::vector<Json> rows;
  for (const Json& e : entries) {
    TNAS_ASSIGN_OR_RETURN(bool ok, matchesFilters(e, filters));
    if (ok) rows.push_back(e);
  }
  const Json orderBy = options.value("order_by", Json::array());
  for (auto it = orderBy.asArray().rbegin(); it != orderBy.asArray().rend(); ++it) {
    std::string key = it->asString();
    bool nullsFirst = false;
    if (key.rfind("nulls_first:", 0) == 0) {
      nullsFirst = true;
      key = key.substr(12);
    } else if (key.rfind("nulls_last:", 0) == 0) {
      key = key.substr(11);
    }
    bool desc = !key.empty() && key[0] == '-';
    if (desc) key = key.substr(1);
    std::stable_sort(rows.begin(), rows.end(), [&](const Json& a, const Json& b) {
      auto va = resolvePath(a, key), vb = resolvePath(b, key);
      Json x = va.empty() ? Json() : va[0], y = vb.empty() ? Json() : vb[0];
      if (x.isNull() || y.isNull()) {
        if (x.isNull() == y.isNull()) return false;
        return nullsFirst ? x.isNull() : y.isNull();
      }
      auto c = compare(x, y);
      if (!c) return false;
      return desc ? *c > 0 : *c < 0;
    });
  }
  int64_t offset = options.value("offset", 0).asInt();
  int64_t limit = options.value("limit", 0).asInt();
  if (offset > 0) {
    rows.erase(rows.begin(), rows.begin() + std::min<int64_t>(offset, rows.size()));
  }
  if (limit > 0 && static_cast<size_t>(limit) < rows.size()) rows.resize(limit);
  if (options.value("count", false).asBool()) return Json(static_cast<int64_t>(rows.size()));
  const Json select = options.value("select", Json::array());
  if (select.size() > 0) {
    for (Json& r : rows) r = selectFields(r, select);
  }
  if (options.value("get", false).asBool()) {
    // filter_list raises MatchNotFound (an IndexError, TS-24.10.2.4:src/middlewared/middlewared/
    // utils/__init__.py:563); it reaches the caller as an unexpected exception: EINVAL with
    // repr() as the reason (TS-24.10.2.4:.../main.py:239-245; JSON-RPC -32001 the same way,
    // TS-25.04.2.6:.../api/base/server/ws_handler/rpc.py:341-353).
    if (rows.empty()) return callError("MatchNotFound()", EINVAL);
    return rows.front();
  }
  Json out = Json::array();
  for (Json& r : rows) out.push(std::move(r));
  return out;
}

StatusOr<Json> getInstance(const std::vector<Json>& entries, const std::string& pk, const Json& id,
                           const std::string& verboseName, const Json& options) {
  Json filters = Json::array();
  Json f = Json::array();
  f.push(pk);
  f.push("=");
  f.push(id);
  filters.push(std::move(f));
  Json opts = options.isObject() ? options : Json::object();
  opts.set("get", true);
  auto r = runQuery(entries, filters, opts);
  if (!r.ok()) {
    ApiError e = apiErrorOf(r.status());
    if (e.kind == ErrorKind::kCallError && e.message == "MatchNotFound()") {
      return instanceNotFound(verboseName, id.isString() ? id.asString() : id.dump());
    }
  }
  return r;
}

}  // namespace tnascsi::sim

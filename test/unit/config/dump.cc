// Canonical text form of parsed config trees for tests (see dump.h).
#include "test/unit/config/dump.h"

#include <cstdio>

namespace tnascsi::common::testing {

std::string dump(const ConfigNode& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_string()) {
    std::string out = "\"";
    for (char c : v.get<std::string>()) {
      if (c == '\n') {
        out += "\\n";
      } else if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else {
        out += c;
      }
    }
    return out + "\"";
  }
  if (v.is_object()) {
    std::string out = "{";
    bool first = true;
    for (const auto& item : v.items()) {  // insertion order (ordered_json)
      if (!first) out += ",";
      first = false;
      out += item.key() + ":" + dump(item.value());
    }
    return out + "}";
  }
  if (v.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) {
      if (i > 0) out += ",";
      out += dump(v[i]);
    }
    return out + "]";
  }
  if (v.is_number_float()) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v.get<double>());
    return std::string(buf) + "d";
  }
  if (v.is_number_integer()) return v.dump();
  return "<" + std::string(v.type_name()) + ">";
}

}  // namespace tnascsi::common::testing

// Canonical text form of parsed config trees for tests (see dump.h).
#include "test/unit/config/dump.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstdio>

namespace tnascsi::common::testing {

std::string dump(const Poco::Dynamic::Var& v) {
  if (v.isEmpty()) return "null";
  if (v.type() == typeid(bool)) return v.extract<bool>() ? "true" : "false";
  if (v.type() == typeid(std::string)) {
    std::string out = "\"";
    for (char c : v.extract<std::string>()) {
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
  if (v.type() == typeid(Poco::JSON::Object::Ptr)) {
    auto obj = v.extract<Poco::JSON::Object::Ptr>();
    std::string out = "{";
    bool first = true;
    for (const std::string& key : obj->getNames()) {  // insertion order when preserved
      if (!first) out += ",";
      first = false;
      out += key + ":" + dump(obj->get(key));
    }
    return out + "}";
  }
  if (v.type() == typeid(Poco::JSON::Array::Ptr)) {
    auto arr = v.extract<Poco::JSON::Array::Ptr>();
    std::string out = "[";
    for (size_t i = 0; i < arr->size(); ++i) {
      if (i > 0) out += ",";
      out += dump(arr->get(static_cast<unsigned>(i)));
    }
    return out + "]";
  }
  if (v.type() == typeid(double)) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v.extract<double>());
    return std::string(buf) + "d";
  }
  if (v.isInteger()) return v.convert<std::string>();
  return "<" + std::string(v.type().name()) + ">";
}

}  // namespace tnascsi::common::testing

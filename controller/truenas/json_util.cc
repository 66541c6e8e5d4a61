// Defensive JSON accessors (see json_util.h).
#include "controller/truenas/json_util.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <cmath>
#include <exception>
#include <limits>
#include <sstream>

namespace tnascsi::controller::truenas::json {
namespace {

// Rejects text whose bracket nesting exceeds kMaxDepth (outside strings), so neither the parser
// nor the destruction of the result can recurse deeply.
bool depthWithinLimit(const std::string& text) {
  int depth = 0;
  bool inString = false;
  bool escaped = false;
  for (char c : text) {
    if (inString) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        inString = false;
      }
      continue;
    }
    if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

}  // namespace

StatusOr<Var> parse(const std::string& text) {
  if (!depthWithinLimit(text)) {
    return absl::InvalidArgumentError("JSON nested deeper than " + std::to_string(kMaxDepth));
  }
  try {
    Poco::JSON::Parser parser;
    return StatusOr<Var>(absl::in_place, parser.parse(text));
  } catch (const Poco::Exception& e) {
    return absl::InvalidArgumentError("malformed JSON: " + e.displayText().substr(0, 200));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(std::string("malformed JSON: ") + e.what());
  }
}

std::string stringify(const Var& value) {
  try {
    std::ostringstream out;
    if (auto o = asObject(value)) {
      o->stringify(out);
    } else if (auto a = asArray(value)) {
      a->stringify(out);
    } else {
      Poco::JSON::Stringifier::stringify(value, out);
    }
    return out.str();
  } catch (const std::exception&) {
    return "null";
  }
}

ObjectPtr asObject(const Var& value) {
  try {
    if (value.type() == typeid(ObjectPtr)) return value.extract<ObjectPtr>();
    if (value.type() == typeid(Poco::JSON::Object)) {
      return new Poco::JSON::Object(value.extract<Poco::JSON::Object>());
    }
  } catch (const std::exception&) {
  }
  return nullptr;
}

ArrayPtr asArray(const Var& value) {
  try {
    if (value.type() == typeid(ArrayPtr)) return value.extract<ArrayPtr>();
    if (value.type() == typeid(Poco::JSON::Array)) {
      return new Poco::JSON::Array(value.extract<Poco::JSON::Array>());
    }
  } catch (const std::exception&) {
  }
  return nullptr;
}

bool has(const ObjectPtr& obj, const std::string& key) {
  return obj && obj->has(key);
}

Var get(const ObjectPtr& obj, const std::string& key) {
  if (!obj) return Var();
  try {
    return obj->get(key);
  } catch (const std::exception&) {
    return Var();
  }
}

std::optional<std::string> toString(const Var& value) {
  try {
    if (value.isEmpty()) return std::nullopt;
    if (value.isString()) return value.extract<std::string>();
    if (value.isNumeric() || value.isBoolean()) return value.convert<std::string>();
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

std::optional<int64_t> toInt(const Var& value) {
  try {
    if (value.isEmpty()) return std::nullopt;
    if (value.isBoolean()) return std::nullopt;
    if (value.isInteger()) {
      if (value.isSigned()) return value.convert<int64_t>();
      auto u = value.convert<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
      return static_cast<int64_t>(u);
    }
    if (value.isNumeric()) {
      double d = value.convert<double>();
      if (!std::isfinite(d) || d < -9.2e18 || d > 9.2e18) return std::nullopt;
      return static_cast<int64_t>(d);
    }
    if (value.isString()) {
      const std::string& s = value.extract<std::string>();
      if (s.empty() || s.size() > 19) return std::nullopt;
      size_t i = s[0] == '-' ? 1 : 0;
      if (i == s.size()) return std::nullopt;
      int64_t out = 0;
      for (; i < s.size(); ++i) {
        if (s[i] < '0' || s[i] > '9') return std::nullopt;
        out = out * 10 + (s[i] - '0');
      }
      return s[0] == '-' ? -out : out;
    }
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

std::string getString(const ObjectPtr& obj, const std::string& key, const std::string& fallback) {
  return getOptString(obj, key).value_or(fallback);
}

std::optional<std::string> getOptString(const ObjectPtr& obj, const std::string& key) {
  return toString(get(obj, key));
}

std::optional<int64_t> getOptInt(const ObjectPtr& obj, const std::string& key) {
  return toInt(get(obj, key));
}

int64_t getInt(const ObjectPtr& obj, const std::string& key, int64_t fallback) {
  return getOptInt(obj, key).value_or(fallback);
}

bool getBool(const ObjectPtr& obj, const std::string& key, bool fallback) {
  Var v = get(obj, key);
  try {
    if (v.isBoolean()) return v.extract<bool>();
  } catch (const std::exception&) {
  }
  return fallback;
}

ObjectPtr getObject(const ObjectPtr& obj, const std::string& key) {
  return asObject(get(obj, key));
}

ArrayPtr getArray(const ObjectPtr& obj, const std::string& key) {
  return asArray(get(obj, key));
}

std::vector<std::string> getStringList(const ObjectPtr& obj, const std::string& key) {
  std::vector<std::string> out;
  ArrayPtr a = getArray(obj, key);
  if (!a) return out;
  for (size_t i = 0; i < a->size(); ++i) {
    if (auto s = toString(a->get(static_cast<unsigned>(i)))) out.push_back(*s);
  }
  return out;
}

ArrayPtr makeArray(std::initializer_list<Var> items) {
  ArrayPtr a = new Poco::JSON::Array();
  for (const Var& v : items) a->add(v);
  return a;
}

ArrayPtr stringArray(const std::vector<std::string>& items) {
  ArrayPtr a = new Poco::JSON::Array();
  for (const auto& s : items) a->add(s);
  return a;
}

}  // namespace tnascsi::controller::truenas::json

// Typed, dotted-key access to a loaded config tree (see config_file.h for the contract).
#include <Poco/JSON/Array.h>

#include <limits>

#include "common/config/config_file.h"

namespace tnascsi::common {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

bool isMapping(const Var& v) {
  return v.type() == typeid(Object::Ptr);
}
bool isSequence(const Var& v) {
  return v.type() == typeid(Array::Ptr);
}
bool isBool(const Var& v) {
  return v.type() == typeid(bool);
}

Status typeError(std::string_view key, std::string_view expected, const Var& actual) {
  return absl::InvalidArgumentError("config key '" + std::string(key) + "': expected " +
                                    std::string(expected) + ", got " + configTypeName(actual));
}

Status missing(std::string_view key) {
  return absl::InvalidArgumentError("config key '" + std::string(key) + "' is missing");
}

// Walks the dotted path. Returns an empty Var when absent (or null).
StatusOr<Var> lookup(const Object::Ptr& obj, std::string_view dottedKey) {
  if (obj.isNull()) return Var();
  Object::Ptr node = obj;
  size_t start = 0;
  while (true) {
    const size_t dot = dottedKey.find('.', start);
    const std::string part(dottedKey.substr(
        start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (!node->has(part)) return Var();
    Var v = node->get(part);
    if (dot == std::string_view::npos) return v;
    if (v.isEmpty()) return Var();
    if (!isMapping(v)) return typeError(dottedKey.substr(0, dot), "mapping", v);
    node = v.extract<Object::Ptr>();
    start = dot + 1;
  }
}

StatusOr<std::int64_t> toInt(std::string_view key, const Var& v) {
  if (isBool(v) || !v.isInteger()) return typeError(key, "integer", v);
  try {
    if (v.isSigned()) return v.convert<Poco::Int64>();
    const Poco::UInt64 u = v.convert<Poco::UInt64>();
    if (u > static_cast<Poco::UInt64>(std::numeric_limits<std::int64_t>::max())) {
      return absl::InvalidArgumentError("config key '" + std::string(key) +
                                        "': integer is out of range");
    }
    return static_cast<std::int64_t>(u);
  } catch (const Poco::Exception&) {
    return typeError(key, "integer", v);
  }
}

StatusOr<std::vector<std::string>> toStringList(std::string_view key, const Var& v) {
  if (!isSequence(v)) return typeError(key, "sequence of strings", v);
  const Array::Ptr arr = v.extract<Array::Ptr>();
  std::vector<std::string> out;
  for (size_t i = 0; i < arr->size(); ++i) {
    const Var item = arr->get(static_cast<unsigned>(i));
    if (!item.isString()) {
      return typeError(std::string(key) + "[" + std::to_string(i) + "]", "string", item);
    }
    out.push_back(item.extract<std::string>());
  }
  return out;
}

}  // namespace

std::string configTypeName(const Var& value) {
  if (value.isEmpty()) return "null";
  if (isBool(value)) return "boolean";
  if (value.isString()) return "string";
  if (value.isInteger()) return "integer";
  if (value.isNumeric()) return "float";
  if (isMapping(value)) return "mapping";
  if (isSequence(value)) return "sequence";
  return "unknown";
}

bool hasKey(const Object::Ptr& obj, std::string_view dottedKey) {
  StatusOr<Var> v = lookup(obj, dottedKey);
  return v.ok() && !v->isEmpty();
}

StatusOr<std::string> getString(const Object::Ptr& obj, std::string_view key) {
  TNAS_ASSIGN_OR_RETURN(Var v, lookup(obj, key));
  if (v.isEmpty()) return missing(key);
  if (!v.isString()) return typeError(key, "string", v);
  return v.extract<std::string>();
}

StatusOr<std::int64_t> getInt(const Object::Ptr& obj, std::string_view key) {
  TNAS_ASSIGN_OR_RETURN(Var v, lookup(obj, key));
  if (v.isEmpty()) return missing(key);
  return toInt(key, v);
}

StatusOr<double> getDouble(const Object::Ptr& obj, std::string_view key) {
  TNAS_ASSIGN_OR_RETURN(Var v, lookup(obj, key));
  if (v.isEmpty()) return missing(key);
  if (isBool(v) || !v.isNumeric()) return typeError(key, "number", v);
  return v.convert<double>();
}

StatusOr<bool> getBool(const Object::Ptr& obj, std::string_view key) {
  TNAS_ASSIGN_OR_RETURN(Var v, lookup(obj, key));
  if (v.isEmpty()) return missing(key);
  if (!isBool(v)) return typeError(key, "boolean", v);
  return v.extract<bool>();
}

StatusOr<std::vector<std::string>> getStringList(const Object::Ptr& obj, std::string_view key) {
  TNAS_ASSIGN_OR_RETURN(Var v, lookup(obj, key));
  if (v.isEmpty()) return missing(key);
  return toStringList(key, v);
}

StatusOr<Object::Ptr> getObject(const Object::Ptr& obj, std::string_view key) {
  TNAS_ASSIGN_OR_RETURN(Var v, lookup(obj, key));
  if (v.isEmpty()) return missing(key);
  if (!isMapping(v)) return typeError(key, "mapping", v);
  return v.extract<Object::Ptr>();
}

StatusOr<std::vector<Object::Ptr>> getObjectList(const Object::Ptr& obj, std::string_view key) {
  TNAS_ASSIGN_OR_RETURN(Var v, lookup(obj, key));
  if (v.isEmpty()) return missing(key);
  if (!isSequence(v)) return typeError(key, "sequence of mappings", v);
  const Array::Ptr arr = v.extract<Array::Ptr>();
  std::vector<Object::Ptr> out;
  for (size_t i = 0; i < arr->size(); ++i) {
    const Var item = arr->get(static_cast<unsigned>(i));
    if (!isMapping(item)) {
      return typeError(std::string(key) + "[" + std::to_string(i) + "]", "mapping", item);
    }
    out.push_back(item.extract<Object::Ptr>());
  }
  return out;
}

StatusOr<std::string> getString(const Object::Ptr& obj, std::string_view key,
                                const std::string& defaultValue) {
  if (!hasKey(obj, key)) {
    TNAS_RETURN_IF_ERROR(lookup(obj, key).status());
    return defaultValue;
  }
  return getString(obj, key);
}

StatusOr<std::int64_t> getInt(const Object::Ptr& obj, std::string_view key,
                              std::int64_t defaultValue) {
  if (!hasKey(obj, key)) {
    TNAS_RETURN_IF_ERROR(lookup(obj, key).status());
    return defaultValue;
  }
  return getInt(obj, key);
}

StatusOr<double> getDouble(const Object::Ptr& obj, std::string_view key, double defaultValue) {
  if (!hasKey(obj, key)) {
    TNAS_RETURN_IF_ERROR(lookup(obj, key).status());
    return defaultValue;
  }
  return getDouble(obj, key);
}

StatusOr<bool> getBool(const Object::Ptr& obj, std::string_view key, bool defaultValue) {
  if (!hasKey(obj, key)) {
    TNAS_RETURN_IF_ERROR(lookup(obj, key).status());
    return defaultValue;
  }
  return getBool(obj, key);
}

StatusOr<std::vector<std::string>> getStringList(const Object::Ptr& obj, std::string_view key,
                                                 const std::vector<std::string>& defaultValue) {
  if (!hasKey(obj, key)) {
    TNAS_RETURN_IF_ERROR(lookup(obj, key).status());
    return defaultValue;
  }
  return getStringList(obj, key);
}

StatusOr<Object::Ptr> getObjectOrEmpty(const Object::Ptr& obj, std::string_view key) {
  if (!hasKey(obj, key)) {
    TNAS_RETURN_IF_ERROR(lookup(obj, key).status());
    return Object::Ptr(new Object(Poco::JSON_PRESERVE_KEY_ORDER));
  }
  return getObject(obj, key);
}

Status checkKnownKeys(const Object::Ptr& obj, const std::vector<std::string>& allowed,
                      std::string_view prefix) {
  if (obj.isNull()) return absl::OkStatus();
  std::vector<std::string> names;
  obj->getNames(names);
  for (const std::string& name : names) {
    bool known = false;
    for (const std::string& a : allowed) known = known || a == name;
    if (!known) {
      return absl::InvalidArgumentError("unknown config key '" +
                                        (prefix.empty() ? name : std::string(prefix) + "." + name) +
                                        "'");
    }
  }
  return absl::OkStatus();
}

}  // namespace tnascsi::common

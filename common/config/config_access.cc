// Typed, dotted-key access to a loaded config tree (see config_file.h for the contract).
#include <cstdint>
#include <limits>

#include "common/config/config_file.h"

namespace tnascsi::common {
namespace {

Status typeError(std::string_view key, std::string_view expected, const ConfigNode& actual) {
  return absl::InvalidArgumentError("config key '" + std::string(key) + "': expected " +
                                    std::string(expected) + ", got " + configTypeName(actual));
}

Status missing(std::string_view key) {
  return absl::InvalidArgumentError("config key '" + std::string(key) + "' is missing");
}

// Walks the dotted path. nullptr when absent (or null); the node lives as long as `obj`.
StatusOr<const ConfigNode*> lookup(const ConfigNode& obj, std::string_view dottedKey) {
  if (!obj.is_object()) return nullptr;
  const ConfigNode* node = &obj;
  size_t start = 0;
  while (true) {
    const size_t dot = dottedKey.find('.', start);
    const std::string part(dottedKey.substr(
        start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    auto it = node->find(part);
    if (it == node->end() || it->is_null()) return nullptr;
    if (dot == std::string_view::npos) return &*it;
    if (!it->is_object()) return typeError(dottedKey.substr(0, dot), "mapping", *it);
    node = &*it;
    start = dot + 1;
  }
}

// The value at `key`; NotFound-like "missing" when absent.
StatusOr<const ConfigNode*> present(const ConfigNode& obj, std::string_view key) {
  TNAS_ASSIGN_OR_RETURN(const ConfigNode* v, lookup(obj, key));
  if (v == nullptr) return missing(key);
  return v;
}

StatusOr<std::int64_t> toInt(std::string_view key, const ConfigNode& v) {
  if (!v.is_number_integer()) return typeError(key, "integer", v);
  if (v.is_number_unsigned()) {
    const std::uint64_t u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return absl::InvalidArgumentError("config key '" + std::string(key) +
                                        "': integer is out of range");
    }
    return static_cast<std::int64_t>(u);
  }
  return v.get<std::int64_t>();
}

StatusOr<std::vector<std::string>> toStringList(std::string_view key, const ConfigNode& v) {
  if (!v.is_array()) return typeError(key, "sequence of strings", v);
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string()) {
      return typeError(std::string(key) + "[" + std::to_string(i) + "]", "string", v[i]);
    }
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

// Absent (or null) keys: OK with the default unless a path component is not a mapping.
StatusOr<bool> absent(const ConfigNode& obj, std::string_view key) {
  TNAS_ASSIGN_OR_RETURN(const ConfigNode* v, lookup(obj, key));
  return v == nullptr;
}

}  // namespace

std::string configTypeName(const ConfigNode& value) {
  if (value.is_null()) return "null";
  if (value.is_boolean()) return "boolean";
  if (value.is_string()) return "string";
  if (value.is_number_integer()) return "integer";
  if (value.is_number_float()) return "float";
  if (value.is_object()) return "mapping";
  if (value.is_array()) return "sequence";
  return "unknown";
}

bool hasKey(const ConfigNode& obj, std::string_view dottedKey) {
  StatusOr<const ConfigNode*> v = lookup(obj, dottedKey);
  return v.ok() && *v != nullptr;
}

StatusOr<std::string> getString(const ConfigNode& obj, std::string_view key) {
  TNAS_ASSIGN_OR_RETURN(const ConfigNode* v, present(obj, key));
  if (!v->is_string()) return typeError(key, "string", *v);
  return v->get<std::string>();
}

StatusOr<std::int64_t> getInt(const ConfigNode& obj, std::string_view key) {
  TNAS_ASSIGN_OR_RETURN(const ConfigNode* v, present(obj, key));
  return toInt(key, *v);
}

StatusOr<double> getDouble(const ConfigNode& obj, std::string_view key) {
  TNAS_ASSIGN_OR_RETURN(const ConfigNode* v, present(obj, key));
  if (!v->is_number()) return typeError(key, "number", *v);
  return v->get<double>();
}

StatusOr<bool> getBool(const ConfigNode& obj, std::string_view key) {
  TNAS_ASSIGN_OR_RETURN(const ConfigNode* v, present(obj, key));
  if (!v->is_boolean()) return typeError(key, "boolean", *v);
  return v->get<bool>();
}

StatusOr<std::vector<std::string>> getStringList(const ConfigNode& obj, std::string_view key) {
  TNAS_ASSIGN_OR_RETURN(const ConfigNode* v, present(obj, key));
  return toStringList(key, *v);
}

StatusOr<ConfigNode> getObject(const ConfigNode& obj, std::string_view key) {
  TNAS_ASSIGN_OR_RETURN(const ConfigNode* v, present(obj, key));
  if (!v->is_object()) return typeError(key, "mapping", *v);
  return *v;
}

StatusOr<std::vector<ConfigNode>> getObjectList(const ConfigNode& obj, std::string_view key) {
  TNAS_ASSIGN_OR_RETURN(const ConfigNode* v, present(obj, key));
  if (!v->is_array()) return typeError(key, "sequence of mappings", *v);
  std::vector<ConfigNode> out;
  for (size_t i = 0; i < v->size(); ++i) {
    const ConfigNode& item = (*v)[i];
    if (!item.is_object()) {
      return typeError(std::string(key) + "[" + std::to_string(i) + "]", "mapping", item);
    }
    out.push_back(item);
  }
  return out;
}

StatusOr<std::string> getString(const ConfigNode& obj, std::string_view key,
                                const std::string& defaultValue) {
  TNAS_ASSIGN_OR_RETURN(bool none, absent(obj, key));
  if (none) return defaultValue;
  return getString(obj, key);
}

StatusOr<std::int64_t> getInt(const ConfigNode& obj, std::string_view key,
                              std::int64_t defaultValue) {
  TNAS_ASSIGN_OR_RETURN(bool none, absent(obj, key));
  if (none) return defaultValue;
  return getInt(obj, key);
}

StatusOr<double> getDouble(const ConfigNode& obj, std::string_view key, double defaultValue) {
  TNAS_ASSIGN_OR_RETURN(bool none, absent(obj, key));
  if (none) return defaultValue;
  return getDouble(obj, key);
}

StatusOr<bool> getBool(const ConfigNode& obj, std::string_view key, bool defaultValue) {
  TNAS_ASSIGN_OR_RETURN(bool none, absent(obj, key));
  if (none) return defaultValue;
  return getBool(obj, key);
}

StatusOr<std::vector<std::string>> getStringList(const ConfigNode& obj, std::string_view key,
                                                 const std::vector<std::string>& defaultValue) {
  TNAS_ASSIGN_OR_RETURN(bool none, absent(obj, key));
  if (none) return defaultValue;
  return getStringList(obj, key);
}

StatusOr<ConfigNode> getObjectOrEmpty(const ConfigNode& obj, std::string_view key) {
  TNAS_ASSIGN_OR_RETURN(bool none, absent(obj, key));
  if (none) return ConfigNode::object();
  return getObject(obj, key);
}

Status checkKnownKeys(const ConfigNode& obj, const std::vector<std::string>& allowed,
                      std::string_view prefix) {
  if (!obj.is_object()) return absl::OkStatus();
  for (const auto& item : obj.items()) {
    const std::string& name = item.key();
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

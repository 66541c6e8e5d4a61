// Loading the binaries' config file (YAML or JSON) and typed access to its values.
//
// Both formats yield the same tree (ConfigNode, config_node.h; see yaml.h for the value types), so
// callers never care which one the user wrote. Keys are addressed with dots: "backends.default"
// walks nested mappings. A key that is absent or null counts as missing: the accessors with a
// default return the default, the others fail.
//
// Errors: every failure is InvalidArgument (a missing file is NotFound, an unreadable one keeps
// its errno mapping). Messages name the file and line (loading) or the dotted key and the expected
// type (accessors). Values are never echoed, so secrets in config files cannot leak into logs.
//
// Thread-safety: all functions are reentrant. A loaded tree may be read concurrently as long as
// nobody modifies it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/status.h"
#include "common/config/config_node.h"

namespace tnascsi::common {

// Reads and parses `path`: JSON if the first non-space character is '{', YAML otherwise. The top
// level must be a mapping. JSON is strict (RFC 8259) and, like YAML, may not repeat a key. Errors
// are prefixed with the path and carry the line ("/etc/x.yaml: line 3: ...").
StatusOr<ConfigNode> loadConfigFile(const std::string& path);

// Same as loadConfigFile for text already in memory; errors start with "line N: ".
StatusOr<ConfigNode> parseConfigText(std::string_view text);

// Human name of a value's type for messages: "null", "string", "integer", "float", "boolean",
// "mapping", "sequence" or "unknown".
std::string configTypeName(const ConfigNode& value);

// True if the dotted key exists with a non-null value (intermediate non-mappings count as absent).
bool hasKey(const ConfigNode& obj, std::string_view dottedKey);

// Required values: fail with InvalidArgument "config key 'a.b' is missing" when absent, or
// "config key 'a.b': expected <type>, got <actual>" when of the wrong type. Intermediate path
// components that are not mappings are type errors too.
StatusOr<std::string> getString(const ConfigNode& obj, std::string_view dottedKey);
StatusOr<std::int64_t> getInt(const ConfigNode& obj, std::string_view dottedKey);
StatusOr<double> getDouble(const ConfigNode& obj, std::string_view dottedKey);
StatusOr<bool> getBool(const ConfigNode& obj, std::string_view dottedKey);
StatusOr<std::vector<std::string>> getStringList(const ConfigNode& obj, std::string_view dottedKey);
StatusOr<ConfigNode> getObject(const ConfigNode& obj, std::string_view dottedKey);
StatusOr<std::vector<ConfigNode>> getObjectList(const ConfigNode& obj, std::string_view dottedKey);

// Optional values: the default when absent or null; wrong types still fail as above.
StatusOr<std::string> getString(const ConfigNode& obj, std::string_view dottedKey,
                                const std::string& defaultValue);
StatusOr<std::int64_t> getInt(const ConfigNode& obj, std::string_view dottedKey,
                              std::int64_t defaultValue);
StatusOr<double> getDouble(const ConfigNode& obj, std::string_view dottedKey, double defaultValue);
StatusOr<bool> getBool(const ConfigNode& obj, std::string_view dottedKey, bool defaultValue);
StatusOr<std::vector<std::string>> getStringList(const ConfigNode& obj, std::string_view dottedKey,
                                                 const std::vector<std::string>& defaultValue);
// Returns an empty (not null) mapping when absent.
StatusOr<ConfigNode> getObjectOrEmpty(const ConfigNode& obj, std::string_view dottedKey);

// Fails with InvalidArgument "unknown config key 'prefix.k'" for the first key of `obj` not in
// `allowed` (catches typos). `prefix` is the dotted path of `obj` for the message ("" at top).
Status checkKnownKeys(const ConfigNode& obj, const std::vector<std::string>& allowed,
                      std::string_view prefix = "");

}  // namespace tnascsi::common

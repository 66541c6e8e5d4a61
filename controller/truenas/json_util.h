// Defensive accessors over Poco::JSON / Poco::Dynamic::Var for TrueNAS responses: every accessor
// tolerates a missing key, a null, or an unexpected type (returning the fallback) and never
// throws. Also the JSON parse/stringify entry points with a nesting-depth guard. Thread-safe
// (pure).
#pragma once

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/base/status.h"

namespace tnascsi::controller::truenas::json {

using Var = Poco::Dynamic::Var;
using ObjectPtr = Poco::JSON::Object::Ptr;
using ArrayPtr = Poco::JSON::Array::Ptr;

// The deepest nesting parse() accepts (TrueNAS responses nest a few levels).
inline constexpr int kMaxDepth = 64;

// Parses JSON text. InvalidArgument on malformed text or nesting deeper than kMaxDepth.
StatusOr<Var> parse(const std::string& text);
// Serializes a value (objects, arrays, scalars) to compact JSON. Never throws.
std::string stringify(const Var& value);

// The value as an object/array pointer, or null.
ObjectPtr asObject(const Var& value);
ArrayPtr asArray(const Var& value);

bool has(const ObjectPtr& obj, const std::string& key);
Var get(const ObjectPtr& obj, const std::string& key);
std::string getString(const ObjectPtr& obj, const std::string& key,
                      const std::string& fallback = "");
std::optional<std::string> getOptString(const ObjectPtr& obj, const std::string& key);
// Accepts JSON numbers and numeric strings ("1073741824").
std::optional<int64_t> getOptInt(const ObjectPtr& obj, const std::string& key);
int64_t getInt(const ObjectPtr& obj, const std::string& key, int64_t fallback = 0);
bool getBool(const ObjectPtr& obj, const std::string& key, bool fallback = false);
ObjectPtr getObject(const ObjectPtr& obj, const std::string& key);
ArrayPtr getArray(const ObjectPtr& obj, const std::string& key);
std::vector<std::string> getStringList(const ObjectPtr& obj, const std::string& key);

// Scalar conversions of a Var (nullopt when not convertible).
std::optional<std::string> toString(const Var& value);
std::optional<int64_t> toInt(const Var& value);

// Builders.
ArrayPtr makeArray(std::initializer_list<Var> items = {});
ArrayPtr stringArray(const std::vector<std::string>& items);

}  // namespace tnascsi::controller::truenas::json

// Json: the simulator's JSON value (null, bool, int64, double, string, array, insertion-ordered
// object); parse() and dump() are nlohmann-json's strict parser and compact serialiser. Every API
// entry, request and persisted record in the simulator is one of these. Not thread-safe: callers
// own their values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "common/base/status.h"

namespace tnascsi::sim {

class Json {
 public:
  enum class Type { kNull, kBool, kInt, kDouble, kString, kArray, kObject };
  using Array = std::vector<Json>;
  using Object = std::vector<std::pair<std::string, Json>>;

  Json() = default;
  Json(std::nullptr_t) {}  // NOLINT(google-explicit-constructor)
  Json(bool b) : v_(b) {}  // NOLINT
  template <typename I,
            std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>, int> = 0>
  Json(I i) : v_(static_cast<int64_t>(i)) {}        // NOLINT
  Json(double d) : v_(d) {}                         // NOLINT
  Json(const char* s) : v_(std::string(s)) {}       // NOLINT
  Json(std::string s) : v_(std::move(s)) {}         // NOLINT
  Json(std::string_view s) : v_(std::string(s)) {}  // NOLINT
  Json(Array a) : v_(std::move(a)) {}               // NOLINT
  Json(Object o) : v_(std::move(o)) {}              // NOLINT

  static Json object() { return Json(Object{}); }
  static Json array() { return Json(Array{}); }
  // {"$date": ms}: the EJSON form TrueNAS uses for datetimes.
  static Json date(int64_t msSinceEpoch);

  Type type() const { return static_cast<Type>(v_.index()); }
  bool isNull() const { return type() == Type::kNull; }
  bool isBool() const { return type() == Type::kBool; }
  bool isInt() const { return type() == Type::kInt; }
  bool isNumber() const { return isInt() || type() == Type::kDouble; }
  bool isString() const { return type() == Type::kString; }
  bool isArray() const { return type() == Type::kArray; }
  bool isObject() const { return type() == Type::kObject; }

  // Accessors return a default (false, 0, "", empty) when the type does not match.
  bool asBool() const;
  int64_t asInt() const;
  double asDouble() const;
  const std::string& asString() const;
  const Array& asArray() const;
  Array& asArray();  // converts a non-array to an empty array first
  const Object& asObject() const;
  Object& asObject();  // converts a non-object to an empty object first

  // Object access. get() returns nullptr when absent (or not an object).
  const Json* get(std::string_view key) const;
  Json* get(std::string_view key);
  bool contains(std::string_view key) const { return get(key) != nullptr; }
  // Value of key (a null Json when absent). The reference lives as long as this object, so it
  // is safe in range-for: `for (auto& x : j.value("list").asArray())`.
  const Json& value(std::string_view key) const;
  // Value of key, or `fallback` when absent. Returns a copy: do not range-for over its parts.
  Json value(std::string_view key, Json fallback) const;
  // Inserts (keeping order) or replaces.
  Json& operator[](std::string_view key);
  Json& set(std::string_view key, Json value);
  bool erase(std::string_view key);

  // Array access.
  void push(Json value);
  size_t size() const;
  const Json& at(size_t i) const;

  bool operator==(const Json& other) const;
  bool operator!=(const Json& other) const { return !(*this == other); }

  std::string dump() const;
  // Strict: one RFC 8259 value (UTF-8 checked), nothing but whitespace after it, at most 200
  // levels deep; a repeated key keeps the last value in the first key's place.
  static StatusOr<Json> parse(std::string_view text);

 private:
  std::variant<std::monostate, bool, int64_t, double, std::string, Array, Object> v_;
};

}  // namespace tnascsi::sim

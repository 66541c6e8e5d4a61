// Json value implementation: the accessors over the simulator's own value tree. Parsing and
// serialisation are nlohmann-json's: its strict SAX parser (RFC 8259, UTF-8 checked, nothing after
// the value) builds the tree directly, and dump() writes through nlohmann::ordered_json.
#include "test/truenas-sim/json/json.h"

#include <limits>
#include <nlohmann/json.hpp>

namespace tnascsi::sim {
namespace {

const std::string kEmptyString;
const Json::Array kEmptyArray;
const Json::Object kEmptyObject;
const Json kNullJson;

using Lib = nlohmann::ordered_json;

// nlohmann-json SAX consumer that builds a Json. The old (hand-written) parser's rules are kept:
// integers that fit int64 stay integers, larger ones become doubles; a repeated key replaces the
// value in the first key's place; nesting deeper than kMaxDepth is refused (Json's destructor
// recurses).
class Builder {
 public:
  static constexpr size_t kMaxDepth = 200;

  Status error() const { return error_; }
  Json take() { return std::move(root_); }

  bool null() { return put(Json()); }
  bool boolean(bool b) { return put(Json(b)); }
  bool number_integer(Lib::number_integer_t i) { return put(Json(i)); }
  bool number_unsigned(Lib::number_unsigned_t u) {
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return put(Json(static_cast<double>(u)));
    }
    return put(Json(static_cast<int64_t>(u)));
  }
  bool number_float(Lib::number_float_t d, const Lib::string_t& /*text*/) { return put(Json(d)); }
  bool string(Lib::string_t& s) { return put(Json(std::move(s))); }
  bool binary(Lib::binary_t& /*bytes*/) { return fail("binary value"); }
  bool start_object(size_t /*elements*/) { return open(Json::object()); }
  bool key(Lib::string_t& k) {
    key_ = std::move(k);
    return true;
  }
  bool end_object() { return close(); }
  bool start_array(size_t /*elements*/) { return open(Json::array()); }
  bool end_array() { return close(); }
  bool parse_error(size_t position, const std::string& /*token*/,
                   const nlohmann::detail::exception& e) {
    error_ = absl::InvalidArgumentError("invalid JSON at offset " + std::to_string(position) +
                                        ": " + e.what());
    return false;
  }

 private:
  bool fail(const std::string& what) {
    error_ = absl::InvalidArgumentError("invalid JSON: " + what);
    return false;
  }
  // Places v in the open container (or as the document) and returns where it went.
  Json* place(Json v) {
    if (open_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    Json& parent = *open_.back();
    if (parent.isArray()) {
      parent.asArray().push_back(std::move(v));
      return &parent.asArray().back();
    }
    return &parent.set(key_, std::move(v));
  }
  bool put(Json v) {
    if (open_.size() > kMaxDepth) return fail("nesting too deep");
    place(std::move(v));
    return true;
  }
  // A container's slot stays put while it is open: only the innermost open container grows.
  bool open(Json container) {
    if (open_.size() > kMaxDepth) return fail("nesting too deep");
    open_.push_back(place(std::move(container)));
    return true;
  }
  bool close() {
    open_.pop_back();
    return true;
  }

  Json root_;
  std::vector<Json*> open_;
  std::string key_;
  Status error_;
};

Lib toLib(const Json& j) {
  switch (j.type()) {
    case Json::Type::kNull:
      return Lib();
    case Json::Type::kBool:
      return Lib(j.asBool());
    case Json::Type::kInt:
      return Lib(j.asInt());
    case Json::Type::kDouble:
      return Lib(j.asDouble());
    case Json::Type::kString:
      return Lib(j.asString());
    case Json::Type::kArray: {
      Lib::array_t out;
      out.reserve(j.size());
      for (const Json& v : j.asArray()) out.push_back(toLib(v));
      return Lib(std::move(out));
    }
    case Json::Type::kObject: {
      // Keys are unique already (set() replaces), so append without ordered_map's lookup.
      Lib::object_t out;
      out.reserve(j.size());
      for (const auto& [k, v] : j.asObject()) out.emplace_back(k, toLib(v));
      return Lib(std::move(out));
    }
  }
  return Lib();
}
}  // namespace

Json Json::date(int64_t msSinceEpoch) {
  Json j = object();
  j.set("$date", msSinceEpoch);
  return j;
}

bool Json::asBool() const {
  return isBool() ? std::get<bool>(v_) : false;
}
int64_t Json::asInt() const {
  if (isInt()) return std::get<int64_t>(v_);
  if (type() == Type::kDouble) return static_cast<int64_t>(std::get<double>(v_));
  return 0;
}
double Json::asDouble() const {
  if (isInt()) return static_cast<double>(std::get<int64_t>(v_));
  if (type() == Type::kDouble) return std::get<double>(v_);
  return 0;
}
const std::string& Json::asString() const {
  return isString() ? std::get<std::string>(v_) : kEmptyString;
}
const Json::Array& Json::asArray() const {
  return isArray() ? std::get<Array>(v_) : kEmptyArray;
}
Json::Array& Json::asArray() {
  if (!isArray()) v_ = Array{};
  return std::get<Array>(v_);
}
const Json::Object& Json::asObject() const {
  return isObject() ? std::get<Object>(v_) : kEmptyObject;
}
Json::Object& Json::asObject() {
  if (!isObject()) v_ = Object{};
  return std::get<Object>(v_);
}

const Json* Json::get(std::string_view key) const {
  if (!isObject()) return nullptr;
  for (const auto& [k, v] : std::get<Object>(v_)) {
    if (k == key) return &v;
  }
  return nullptr;
}
Json* Json::get(std::string_view key) {
  if (!isObject()) return nullptr;
  for (auto& [k, v] : std::get<Object>(v_)) {
    if (k == key) return &v;
  }
  return nullptr;
}
const Json& Json::value(std::string_view key) const {
  const Json* v = get(key);
  return v ? *v : kNullJson;
}
Json Json::value(std::string_view key, Json fallback) const {
  const Json* v = get(key);
  return v ? *v : fallback;
}
Json& Json::operator[](std::string_view key) {
  if (Json* v = get(key)) return *v;
  Object& obj = asObject();
  obj.emplace_back(std::string(key), Json());
  return obj.back().second;
}
Json& Json::set(std::string_view key, Json value) {
  Json& slot = (*this)[key];
  slot = std::move(value);
  return slot;
}
bool Json::erase(std::string_view key) {
  if (!isObject()) return false;
  Object& obj = std::get<Object>(v_);
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (it->first == key) {
      obj.erase(it);
      return true;
    }
  }
  return false;
}
void Json::push(Json value) {
  asArray().push_back(std::move(value));
}
size_t Json::size() const {
  if (isArray()) return std::get<Array>(v_).size();
  if (isObject()) return std::get<Object>(v_).size();
  return 0;
}
const Json& Json::at(size_t i) const {
  const Array& a = asArray();
  return i < a.size() ? a[i] : kNullJson;
}

bool Json::operator==(const Json& other) const {
  if (isNumber() && other.isNumber() && (!isInt() || !other.isInt())) {
    return asDouble() == other.asDouble();
  }
  if (type() != other.type()) return false;
  if (isObject()) {
    const Object& a = asObject();
    const Object& b = other.asObject();
    if (a.size() != b.size()) return false;
    for (const auto& [k, v] : a) {
      const Json* o = other.get(k);
      if (!o || !(*o == v)) return false;
    }
    return true;
  }
  return v_ == other.v_;
}

std::string Json::dump() const {
  // Compact; NaN and infinities become null; invalid UTF-8 (only possible in strings the
  // simulator made itself: parsed text is checked) becomes U+FFFD instead of throwing.
  return toLib(*this).dump(-1, ' ', false, Lib::error_handler_t::replace);
}

StatusOr<Json> Json::parse(std::string_view text) {
  Builder builder;
  if (!Lib::sax_parse(text, &builder, nlohmann::detail::input_format_t::json, /*strict=*/true)) {
    Status error = builder.error();
    return error.ok() ? absl::InvalidArgumentError("invalid JSON") : error;
  }
  return builder.take();
}

}  // namespace tnascsi::sim

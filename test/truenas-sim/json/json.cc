// Json value implementation: accessors, a strict RFC 8259 parser (depth-limited) and a compact
// serializer that escapes control characters and keeps UTF-8 as is.
#include "test/truenas-sim/json/json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace tnascsi::sim {
namespace {

const std::string kEmptyString;
const Json::Array kEmptyArray;
const Json::Object kEmptyObject;
const Json kNullJson;

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  StatusOr<Json> parseDocument() {
    Json out;
    TNAS_RETURN_IF_ERROR(parseValue(out, 0));
    skipWs();
    if (pos_ != text_.size()) return fail("trailing characters");
    return out;
  }

 private:
  Status fail(const std::string& what) const {
    return absl::InvalidArgumentError("invalid JSON at offset " + std::to_string(pos_) + ": " +
                                      what);
  }
  void skipWs() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool consume(std::string_view word) {
    if (text_.substr(pos_, word.size()) == word) {
      pos_ += word.size();
      return true;
    }
    return false;
  }

  Status parseValue(Json& out, int depth) {
    if (depth > 200) return fail("nesting too deep");
    skipWs();
    if (pos_ >= text_.size()) return fail("unexpected end");
    char c = text_[pos_];
    if (c == '{') return parseObject(out, depth);
    if (c == '[') return parseArray(out, depth);
    if (c == '"') {
      std::string s;
      TNAS_RETURN_IF_ERROR(parseString(s));
      out = Json(std::move(s));
      return absl::OkStatus();
    }
    if (consume("true")) {
      out = Json(true);
      return absl::OkStatus();
    }
    if (consume("false")) {
      out = Json(false);
      return absl::OkStatus();
    }
    if (consume("null")) {
      out = Json();
      return absl::OkStatus();
    }
    return parseNumber(out);
  }

  Status parseObject(Json& out, int depth) {
    ++pos_;
    Json::Object obj;
    skipWs();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      out = Json(std::move(obj));
      return absl::OkStatus();
    }
    while (true) {
      skipWs();
      if (pos_ >= text_.size() || text_[pos_] != '"') return fail("expected key");
      std::string key;
      TNAS_RETURN_IF_ERROR(parseString(key));
      skipWs();
      if (pos_ >= text_.size() || text_[pos_] != ':') return fail("expected ':'");
      ++pos_;
      Json value;
      TNAS_RETURN_IF_ERROR(parseValue(value, depth + 1));
      bool replaced = false;
      for (auto& [k, v] : obj) {
        if (k == key) {
          v = std::move(value);
          replaced = true;
          break;
        }
      }
      if (!replaced) obj.emplace_back(std::move(key), std::move(value));
      skipWs();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == '}') {
        ++pos_;
        break;
      }
      return fail("expected ',' or '}'");
    }
    out = Json(std::move(obj));
    return absl::OkStatus();
  }

  Status parseArray(Json& out, int depth) {
    ++pos_;
    Json::Array arr;
    skipWs();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      out = Json(std::move(arr));
      return absl::OkStatus();
    }
    while (true) {
      Json value;
      TNAS_RETURN_IF_ERROR(parseValue(value, depth + 1));
      arr.push_back(std::move(value));
      skipWs();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == ']') {
        ++pos_;
        break;
      }
      return fail("expected ',' or ']'");
    }
    out = Json(std::move(arr));
    return absl::OkStatus();
  }

  static void appendUtf8(std::string& s, uint32_t cp) {
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      s += static_cast<char>(0xE0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      s += static_cast<char>(0xF0 | (cp >> 18));
      s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  Status parseHex4(uint32_t& out) {
    if (pos_ + 4 > text_.size()) return fail("short \\u escape");
    out = 0;
    for (int i = 0; i < 4; ++i) {
      char h = text_[pos_++];
      out <<= 4;
      if (h >= '0' && h <= '9') {
        out |= static_cast<uint32_t>(h - '0');
      } else if (h >= 'a' && h <= 'f') {
        out |= static_cast<uint32_t>(h - 'a' + 10);
      } else if (h >= 'A' && h <= 'F') {
        out |= static_cast<uint32_t>(h - 'A' + 10);
      } else {
        return fail("bad \\u escape");
      }
    }
    return absl::OkStatus();
  }

  Status parseString(std::string& out) {
    ++pos_;  // opening quote
    while (true) {
      if (pos_ >= text_.size()) return fail("unterminated string");
      char c = text_[pos_++];
      if (c == '"') return absl::OkStatus();
      if (static_cast<unsigned char>(c) < 0x20) return fail("control character in string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) return fail("unterminated escape");
      char e = text_[pos_++];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          uint32_t cp = 0;
          TNAS_RETURN_IF_ERROR(parseHex4(cp));
          if (cp >= 0xD800 && cp <= 0xDBFF && consume("\\u")) {
            uint32_t lo = 0;
            TNAS_RETURN_IF_ERROR(parseHex4(lo));
            if (lo >= 0xDC00 && lo <= 0xDFFF) cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          appendUtf8(out, cp);
          break;
        }
        default:
          return fail("bad escape");
      }
    }
  }

  Status parseNumber(Json& out) {
    size_t start = pos_;
    if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
    bool isFloat = false;
    size_t digits = 0;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c >= '0' && c <= '9') {
        ++digits;
      } else if (c == '.' || c == 'e' || c == 'E' || c == '+' || (c == '-' && pos_ > start)) {
        isFloat = true;
      } else {
        break;
      }
      ++pos_;
    }
    if (digits == 0) return fail("unexpected character");
    std::string num(text_.substr(start, pos_ - start));
    char* end = nullptr;
    if (!isFloat) {
      errno = 0;
      long long v = std::strtoll(num.c_str(), &end, 10);
      if (errno == 0 && end && *end == '\0') {
        out = Json(static_cast<int64_t>(v));
        return absl::OkStatus();
      }
    }
    double d = std::strtod(num.c_str(), &end);
    if (!end || *end != '\0') return fail("bad number");
    out = Json(d);
    return absl::OkStatus();
  }

  std::string_view text_;
  size_t pos_ = 0;
};

void dumpString(const std::string& s, std::string& out) {
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
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
  std::string out;
  dumpTo(out);
  return out;
}

void Json::dumpTo(std::string& out) const {
  switch (type()) {
    case Type::kNull:
      out += "null";
      break;
    case Type::kBool:
      out += asBool() ? "true" : "false";
      break;
    case Type::kInt:
      out += std::to_string(asInt());
      break;
    case Type::kDouble: {
      double d = asDouble();
      if (!std::isfinite(d)) {
        out += "null";
      } else {
        char buf[32];
        std::snprintf(buf, sizeof(buf), "%.17g", d);
        out += buf;
      }
      break;
    }
    case Type::kString:
      dumpString(asString(), out);
      break;
    case Type::kArray: {
      out += '[';
      bool first = true;
      for (const Json& v : asArray()) {
        if (!first) out += ',';
        first = false;
        v.dumpTo(out);
      }
      out += ']';
      break;
    }
    case Type::kObject: {
      out += '{';
      bool first = true;
      for (const auto& [k, v] : asObject()) {
        if (!first) out += ',';
        first = false;
        dumpString(k, out);
        out += ':';
        v.dumpTo(out);
      }
      out += '}';
      break;
    }
  }
}

StatusOr<Json> Json::parse(std::string_view text) {
  return Parser(text).parseDocument();
}

}  // namespace tnascsi::sim

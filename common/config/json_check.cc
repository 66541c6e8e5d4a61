// Strict JSON syntax check run before nlohmann-json's parser, which reports neither line
// numbers nor duplicate keys. Gives JSON configs the same "line N: ..." errors and duplicate-key
// rejection as YAML ones.
#include <set>
#include <string>

#include "common/config/yaml_internal.h"

namespace tnascsi::common::yaml_internal {
namespace {

bool isHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

class JsonChecker {
 public:
  explicit JsonChecker(std::string_view s) : s_(s) {}

  Status check() {
    TNAS_RETURN_IF_ERROR(value(0));
    skipSpace();
    if (i_ != s_.size()) return error("unexpected text after the end of the JSON value");
    return absl::OkStatus();
  }

 private:
  Status error(const std::string& msg) const { return errorAt(line_, "invalid JSON: " + msg); }

  void skipSpace() {
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == '\n') {
        ++line_;
      } else if (c != ' ' && c != '\t' && c != '\r') {
        return;
      }
      ++i_;
    }
  }

  Status value(int depth) {
    if (depth > kMaxJsonDepth) return error("nesting is too deep");
    skipSpace();
    if (i_ >= s_.size()) return error("unexpected end of input");
    const char c = s_[i_];
    if (c == '{') return object(depth);
    if (c == '[') return array(depth);
    if (c == '"') {
      std::string ignored;
      return string(ignored);
    }
    if (c == '-' || isDigit(c)) return number();
    for (std::string_view lit : {"true", "false", "null"}) {
      if (s_.substr(i_, lit.size()) == lit) {
        i_ += lit.size();
        return absl::OkStatus();
      }
    }
    return error(std::string("unexpected character '") + c + "'");
  }

  Status string(std::string& raw) {
    const size_t start = ++i_;
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == '"') {
        raw = std::string(s_.substr(start, i_ - start));
        ++i_;
        return absl::OkStatus();
      }
      if (static_cast<unsigned char>(c) < 0x20) return error("control character in string");
      if (c == '\\') {
        const char e = i_ + 1 < s_.size() ? s_[i_ + 1] : '\0';
        if (e == 'u') {
          for (size_t k = 2; k < 6; ++k) {
            if (i_ + k >= s_.size() || !isHexDigit(s_[i_ + k])) {
              return error("\\u escape needs 4 hex digits");
            }
          }
          i_ += 6;
          continue;
        }
        if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos || e == '\0') {
          return error("invalid escape in string");
        }
        i_ += 2;
        continue;
      }
      ++i_;
    }
    return error("unterminated string");
  }

  Status number() {
    if (s_[i_] == '-') ++i_;
    if (i_ < s_.size() && s_[i_] == '0') {
      ++i_;
    } else if (i_ < s_.size() && isDigit(s_[i_])) {
      while (i_ < s_.size() && isDigit(s_[i_])) ++i_;
    } else {
      return error("invalid number");
    }
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      if (i_ >= s_.size() || !isDigit(s_[i_])) return error("invalid number");
      while (i_ < s_.size() && isDigit(s_[i_])) ++i_;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (i_ >= s_.size() || !isDigit(s_[i_])) return error("invalid number");
      while (i_ < s_.size() && isDigit(s_[i_])) ++i_;
    }
    return absl::OkStatus();
  }

  Status object(int depth) {
    ++i_;  // '{'
    std::set<std::string> keys;
    skipSpace();
    if (i_ < s_.size() && s_[i_] == '}') {
      ++i_;
      return absl::OkStatus();
    }
    while (true) {
      skipSpace();
      if (i_ >= s_.size() || s_[i_] != '"') return error("expected a \"quoted\" key");
      std::string key;
      TNAS_RETURN_IF_ERROR(string(key));
      if (!keys.insert(key).second) return error("duplicate key '" + key + "'");
      skipSpace();
      if (i_ >= s_.size() || s_[i_] != ':') return error("expected ':' after a key");
      ++i_;
      TNAS_RETURN_IF_ERROR(value(depth + 1));
      skipSpace();
      if (i_ < s_.size() && s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (i_ < s_.size() && s_[i_] == '}') {
        ++i_;
        return absl::OkStatus();
      }
      return error("expected ',' or '}'");
    }
  }

  Status array(int depth) {
    ++i_;  // '['
    skipSpace();
    if (i_ < s_.size() && s_[i_] == ']') {
      ++i_;
      return absl::OkStatus();
    }
    while (true) {
      TNAS_RETURN_IF_ERROR(value(depth + 1));
      skipSpace();
      if (i_ < s_.size() && s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (i_ < s_.size() && s_[i_] == ']') {
        ++i_;
        return absl::OkStatus();
      }
      return error("expected ',' or ']'");
    }
  }

  static constexpr int kMaxJsonDepth = 64;
  std::string_view s_;
  size_t i_ = 0;
  int line_ = 1;
};

}  // namespace

Status checkJsonSyntax(std::string_view text) {
  return JsonChecker(text).check();
}

}  // namespace tnascsi::common::yaml_internal

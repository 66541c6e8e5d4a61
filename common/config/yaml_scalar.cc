// Scalar resolution for the YAML config parser: plain scalars with the YAML 1.2 core schema
// (yaml-cpp hands them over as text), and the "line N: " error form shared with the JSON check.
#include <charconv>
#include <cstdint>
#include <limits>
#include <string>

#include "common/config/yaml_internal.h"

namespace tnascsi::common::yaml_internal {
namespace {

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

bool allOf(std::string_view s, bool (*pred)(char)) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!pred(c)) return false;
  }
  return true;
}

bool isHex(char c) {
  return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool isOctal(char c) {
  return c >= '0' && c <= '7';
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool looksLikeFloat(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  size_t intDigits = 0;
  while (i < s.size() && isDigit(s[i])) ++i, ++intDigits;
  size_t fracDigits = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && isDigit(s[i])) ++i, ++fracDigits;
  }
  if (intDigits == 0 && fracDigits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    size_t expDigits = 0;
    while (i < s.size() && isDigit(s[i])) ++i, ++expDigits;
    if (expDigits == 0) return false;
  }
  return i == s.size();
}

StatusOr<ConfigNode> parseInteger(std::string_view digits, int base, bool negative,
                                  std::string_view original, int line) {
  std::uint64_t magnitude = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
  const std::uint64_t limit =
      static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + (negative ? 1 : 0);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || magnitude > limit) {
    return errorAt(line, "integer '" + std::string(original) + "' is out of range");
  }
  std::int64_t value =
      negative ? static_cast<std::int64_t>(0 - magnitude) : static_cast<std::int64_t>(magnitude);
  return ConfigNode(value);
}

}  // namespace

Status errorAt(int line, std::string_view message) {
  return absl::InvalidArgumentError("line " + std::to_string(line) + ": " + std::string(message));
}

StatusOr<ConfigNode> resolvePlain(std::string_view text, int line) {
  using Var = ConfigNode;
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return Var();
  }
  if (text == "true" || text == "True" || text == "TRUE") return Var(true);
  if (text == "false" || text == "False" || text == "FALSE") return Var(false);

  bool negative = false;
  std::string_view body = text;
  if (body[0] == '-' || body[0] == '+') {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (allOf(body, isDigit)) return parseInteger(body, 10, negative, text, line);
  if (text.size() > 2 && text[0] == '0' && text[1] == 'x' && allOf(text.substr(2), isHex)) {
    return parseInteger(text.substr(2), 16, false, text, line);
  }
  if (text.size() > 2 && text[0] == '0' && text[1] == 'o' && allOf(text.substr(2), isOctal)) {
    return parseInteger(text.substr(2), 8, false, text, line);
  }
  if (body == ".inf" || body == ".Inf" || body == ".INF") {
    double inf = std::numeric_limits<double>::infinity();
    return Var(negative ? -inf : inf);
  }
  if (text == ".nan" || text == ".NaN" || text == ".NAN") {
    return Var(std::numeric_limits<double>::quiet_NaN());
  }
  if (looksLikeFloat(text)) {
    // from_chars rejects a leading '+', and is locale-independent.
    std::string_view f = text[0] == '+' ? text.substr(1) : text;
    double value = 0;
    auto [ptr, ec] = std::from_chars(f.data(), f.data() + f.size(), value);
    if (ec != std::errc() || ptr != f.data() + f.size()) {
      return errorAt(line, "number '" + std::string(text) + "' is out of range");
    }
    return Var(value);
  }
  return Var(std::string(text));
}

}  // namespace tnascsi::common::yaml_internal

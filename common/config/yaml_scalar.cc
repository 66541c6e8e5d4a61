// Scalar handling for the YAML subset parser: core-schema resolution of plain scalars, quoted
// scalar escapes, and literal/folded block scalar assembly.
#include <Poco/Types.h>

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

StatusOr<Poco::Dynamic::Var> parseInteger(std::string_view digits, int base, bool negative,
                                          std::string_view original, int line) {
  std::uint64_t magnitude = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
  const std::uint64_t limit =
      static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + (negative ? 1 : 0);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || magnitude > limit) {
    return errorAt(line, "integer '" + std::string(original) + "' is out of range");
  }
  Poco::Int64 value =
      negative ? static_cast<Poco::Int64>(0 - magnitude) : static_cast<Poco::Int64>(magnitude);
  return Poco::Dynamic::Var(value);
}

void appendUtf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

Status errorAt(int line, std::string_view message) {
  return absl::InvalidArgumentError("line " + std::to_string(line) + ": " + std::string(message));
}

StatusOr<Poco::Dynamic::Var> resolvePlain(std::string_view text, int line) {
  using Var = Poco::Dynamic::Var;
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

StatusOr<std::string> parseQuoted(std::string_view text, size_t& pos, int line) {
  const char quote = text[pos];
  std::string out;
  size_t i = pos + 1;
  while (i < text.size()) {
    char c = text[i];
    if (quote == '\'') {
      if (c == '\'') {
        if (i + 1 < text.size() && text[i + 1] == '\'') {
          out += '\'';
          i += 2;
          continue;
        }
        pos = i + 1;
        return out;
      }
      out += c;
      ++i;
      continue;
    }
    if (c == '"') {
      pos = i + 1;
      return out;
    }
    if (c != '\\') {
      out += c;
      ++i;
      continue;
    }
    if (i + 1 >= text.size()) break;
    char e = text[i + 1];
    i += 2;
    int hexLen = 0;
    switch (e) {
      case '0':
        out += '\0';
        break;
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 't':
      case '\t':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'v':
        out += '\v';
        break;
      case 'f':
        out += '\f';
        break;
      case 'r':
        out += '\r';
        break;
      case 'e':
        out += '\x1b';
        break;
      case ' ':
        out += ' ';
        break;
      case '"':
        out += '"';
        break;
      case '/':
        out += '/';
        break;
      case '\\':
        out += '\\';
        break;
      case 'N':
        appendUtf8(out, 0x85);
        break;
      case '_':
        appendUtf8(out, 0xA0);
        break;
      case 'L':
        appendUtf8(out, 0x2028);
        break;
      case 'P':
        appendUtf8(out, 0x2029);
        break;
      case 'x':
        hexLen = 2;
        break;
      case 'u':
        hexLen = 4;
        break;
      case 'U':
        hexLen = 8;
        break;
      default:
        return errorAt(line, std::string("unknown escape '\\") + e + "' in double-quoted string");
    }
    if (hexLen > 0) {
      std::uint32_t cp = 0;
      std::string_view hex = text.substr(i, hexLen);
      auto [ptr, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), cp, 16);
      if (hex.size() != static_cast<size_t>(hexLen) || !allOf(hex, isHex) || ec != std::errc() ||
          ptr != hex.data() + hex.size()) {
        return errorAt(line, std::string("escape '\\") + e + "' needs " + std::to_string(hexLen) +
                                 " hex digits");
      }
      if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return errorAt(line, "escape '\\" + std::string(1, e) + std::string(hex) +
                                 "' is not a valid Unicode code point");
      }
      appendUtf8(out, cp);
      i += hexLen;
    }
  }
  return errorAt(line, std::string("unterminated ") + (quote == '"' ? "double" : "single") +
                           "-quoted string (quoted strings must end on the line they start; use "
                           "a block scalar '|' for multi-line text)");
}

std::string assembleBlockScalar(const std::vector<std::string>& lines, char style, char chomp) {
  // Split off trailing empty lines: chomping decides what becomes of them.
  size_t last = lines.size();
  while (last > 0 && lines[last - 1].empty()) --last;
  const size_t trailingEmpty = lines.size() - last;

  std::string out;
  bool havePrev = false;
  bool prevMoreIndented = false;
  size_t pendingEmpty = 0;
  for (size_t i = 0; i < last; ++i) {
    const std::string& l = lines[i];
    if (l.empty()) {
      ++pendingEmpty;
      continue;
    }
    const bool moreIndented = l[0] == ' ' || l[0] == '\t';
    if (!havePrev) {
      out.append(pendingEmpty, '\n');
    } else if (style == '|') {
      out.append(pendingEmpty + 1, '\n');
    } else if (prevMoreIndented || moreIndented) {
      out.append(pendingEmpty + 1, '\n');
    } else if (pendingEmpty > 0) {
      out.append(pendingEmpty, '\n');
    } else {
      out += ' ';
    }
    out += l;
    pendingEmpty = 0;
    havePrev = true;
    prevMoreIndented = moreIndented;
  }
  if (chomp == '-') return out;
  if (chomp == '+') {
    if (havePrev) out += '\n';
    out.append(trailingEmpty, '\n');
    return out;
  }
  if (havePrev) out += '\n';
  return out;
}

}  // namespace tnascsi::common::yaml_internal

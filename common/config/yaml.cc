// Block-structure half of the YAML subset parser (see yaml.h for what is supported): splits the
// text into lines, then parses mappings, sequences, scalars and block scalars by indentation.
#include "common/config/yaml.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSONString.h>

#include "common/config/yaml_internal.h"
#include "common/config/yaml_parser.h"

namespace tnascsi::common {
namespace yaml_internal {
namespace {

using Poco::Dynamic::Var;

bool isSpace(char c) {
  return c == ' ' || c == '\t';
}

bool isSeqItem(std::string_view c) {
  return !c.empty() && c[0] == '-' && (c.size() == 1 || isSpace(c[1]));
}

bool allWhitespace(std::string_view s) {
  for (char c : s) {
    if (!isSpace(c)) return false;
  }
  return true;
}

std::string_view rtrim(std::string_view s) {
  while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
  return s;
}

std::string_view contentOf(const std::string& text, int indent) {
  return std::string_view(text).substr(static_cast<size_t>(indent));
}

}  // namespace

YamlParser::YamlParser(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  int number = 1;
  size_t start = 0;
  while (true) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view l = text.substr(start, end - start);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    int indent = 0;
    while (static_cast<size_t>(indent) < l.size() && l[indent] == ' ') ++indent;
    lines_.push_back({number++, std::string(l), indent});
    if (end == text.size()) break;
    start = end + 1;
  }
}

bool YamlParser::isBlank(const Line& l) const {
  size_t p = static_cast<size_t>(l.indent);
  while (p < l.text.size() && isSpace(l.text[p])) ++p;
  return p == l.text.size() || l.text[p] == '#';
}

bool YamlParser::isDocMarker(const Line& l) const {
  const std::string& t = l.text;
  if (t.size() < 3 || (t.compare(0, 3, "---") != 0 && t.compare(0, 3, "...") != 0)) return false;
  return t.size() == 3 || isSpace(t[3]);
}

Status YamlParser::checkIndentTabs(const Line& l) const {
  if (static_cast<size_t>(l.indent) < l.text.size() && l.text[l.indent] == '\t') {
    return errorAt(l.number, "tab character in indentation (indent with spaces)");
  }
  return absl::OkStatus();
}

Status YamlParser::checkIndicator(char c, int line) {
  switch (c) {
    case '&':
      return errorAt(line, "anchors ('&') are not supported");
    case '*':
      return errorAt(line, "aliases ('*') are not supported");
    case '!':
      return errorAt(line, "tags ('!') are not supported");
    case '%':
    case '@':
    case '`':
    case ',':
    case ']':
    case '}':
    case '|':
    case '>':
      return errorAt(line, std::string("a plain value cannot start with '") + c + "'; quote it");
    default:
      return absl::OkStatus();
  }
}

Status YamlParser::checkRestIsComment(const Line& l, size_t col) const {
  size_t p = col;
  while (p < l.text.size() && isSpace(l.text[p])) ++p;
  if (p == l.text.size() || (l.text[p] == '#' && p > col)) return absl::OkStatus();
  return errorAt(l.number, "unexpected text '" + l.text.substr(p) + "' after the value");
}

StatusOr<size_t> YamlParser::nextContentLine() {
  for (size_t i = cur_; i < lines_.size(); ++i) {
    if (isDocMarker(lines_[i])) return kNone;
    if (isBlank(lines_[i])) continue;
    TNAS_RETURN_IF_ERROR(checkIndentTabs(lines_[i]));
    return i;
  }
  return kNone;
}

StatusOr<bool> YamlParser::findKey(std::string_view s, int line, std::string& key,
                                   size_t& after) const {
  if (s.empty()) return false;
  const char c0 = s[0];
  if (c0 == '"' || c0 == '\'') {
    size_t pos = 0;
    TNAS_ASSIGN_OR_RETURN(std::string quoted, parseQuoted(s, pos, line));
    while (pos < s.size() && isSpace(s[pos])) ++pos;
    if (pos < s.size() && s[pos] == ':' && (pos + 1 == s.size() || isSpace(s[pos + 1]))) {
      key = std::move(quoted);
      after = pos + 1;
      return true;
    }
    return false;
  }
  if (c0 == '[' || c0 == '{') return false;  // a flow value; collections as keys are rejected
  if (c0 == '?' && (s.size() == 1 || isSpace(s[1]))) {
    return errorAt(line, "explicit keys ('? ') are not supported");
  }
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '#' && i > 0 && isSpace(s[i - 1])) return false;
    if (s[i] == ':' && (i + 1 == s.size() || isSpace(s[i + 1]))) {
      std::string_view k = rtrim(s.substr(0, i));
      if (k.empty()) return errorAt(line, "empty key before ':'");
      TNAS_RETURN_IF_ERROR(checkIndicator(k[0], line));
      key = std::string(k);
      after = i + 1;
      return true;
    }
  }
  return false;
}

StatusOr<Var> YamlParser::parseDocument() {
  // Prologue: directives are rejected, one "---" is skipped.
  for (; cur_ < lines_.size(); ++cur_) {
    const Line& l = lines_[cur_];
    if (isBlank(l)) continue;
    if (l.text[0] == '%') return errorAt(l.number, "directives ('%') are not supported");
    if (isDocMarker(l) && l.text[0] == '-') {
      if (!checkRestIsComment(l, 3).ok()) {
        return errorAt(l.number, "content on the '---' line is not supported; start it below");
      }
      ++cur_;
    }
    break;
  }
  Var root;
  TNAS_ASSIGN_OR_RETURN(size_t first, nextContentLine());
  if (first != kNone) {
    cur_ = first;
    TNAS_ASSIGN_OR_RETURN(root, parseBlockNode(-1, 0));
  }
  // Epilogue: only blank lines, comments and "..." may follow.
  bool ended = false;
  for (size_t i = cur_; i < lines_.size(); ++i) {
    const Line& l = lines_[i];
    if (isBlank(l)) continue;
    TNAS_RETURN_IF_ERROR(checkIndentTabs(l));
    if (isDocMarker(l) && l.text[0] == '-') {
      return errorAt(l.number, "multiple documents ('---') are not supported");
    }
    if (isDocMarker(l)) {
      TNAS_RETURN_IF_ERROR(checkRestIsComment(l, 3));
      ended = true;
      continue;
    }
    return errorAt(l.number, ended ? "content after the document end marker '...'"
                                   : "unexpected content (check the indentation)");
  }
  return root;
}

StatusOr<Var> YamlParser::parseBlockNode(int parentIndent, int depth) {
  const Line& l = lines_[cur_];
  std::string_view c = contentOf(l.text, l.indent);
  if (isSeqItem(c)) return parseBlockSeq(l.indent, depth);
  std::string key;
  size_t after = 0;
  TNAS_ASSIGN_OR_RETURN(bool isKey, findKey(c, l.number, key, after));
  if (isKey) return parseBlockMap(l.indent, depth);
  return parseValue(static_cast<size_t>(l.indent), parentIndent, false, depth);
}

StatusOr<Var> YamlParser::parseBlockMap(int indent, int depth) {
  if (depth > kMaxDepth) return errorAt(lines_[cur_].number, "nesting is too deep");
  Poco::JSON::Object::Ptr obj = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  while (true) {
    TNAS_ASSIGN_OR_RETURN(size_t i, nextContentLine());
    if (i == kNone || lines_[i].indent < indent) break;
    const Line& l = lines_[i];
    if (l.indent > indent) return errorAt(l.number, "unexpected indentation");
    std::string_view c = contentOf(l.text, l.indent);
    if (isSeqItem(c)) {
      return errorAt(l.number, "expected 'key: value' but found a sequence item '-'");
    }
    std::string key;
    size_t after = 0;
    TNAS_ASSIGN_OR_RETURN(bool isKey, findKey(c, l.number, key, after));
    if (!isKey) return errorAt(l.number, "expected 'key: value'");
    if (obj->has(key)) return errorAt(l.number, "duplicate key '" + key + "'");
    cur_ = i;
    TNAS_ASSIGN_OR_RETURN(
        Var value, parseValue(static_cast<size_t>(indent) + after, indent, false, depth + 1));
    obj->set(key, value);
  }
  return Var(obj);
}

StatusOr<Var> YamlParser::parseBlockSeq(int indent, int depth) {
  if (depth > kMaxDepth) return errorAt(lines_[cur_].number, "nesting is too deep");
  Poco::JSON::Array::Ptr arr = new Poco::JSON::Array();
  while (true) {
    TNAS_ASSIGN_OR_RETURN(size_t i, nextContentLine());
    if (i == kNone || lines_[i].indent < indent) break;
    const Line& l = lines_[i];
    if (l.indent > indent) return errorAt(l.number, "unexpected indentation");
    if (!isSeqItem(contentOf(l.text, l.indent))) break;  // the parent decides
    cur_ = i;
    TNAS_ASSIGN_OR_RETURN(Var item,
                          parseValue(static_cast<size_t>(indent) + 1, indent, true, depth + 1));
    arr->add(item);
  }
  return Var(arr);
}

StatusOr<Var> YamlParser::parseValue(size_t col, int parentIndent, bool inSeq, int depth) {
  Line& l = lines_[cur_];
  const std::string& t = l.text;
  size_t p = col;
  while (p < t.size() && isSpace(t[p])) ++p;
  if (p == t.size() || (t[p] == '#' && p > 0 && isSpace(t[p - 1]))) {
    // The value, if any, is on the following lines.
    ++cur_;
    TNAS_ASSIGN_OR_RETURN(size_t i, nextContentLine());
    if (i == kNone) return Var();
    const Line& n = lines_[i];
    if (n.indent > parentIndent) {
      cur_ = i;
      return parseBlockNode(parentIndent, depth + 1);
    }
    if (!inSeq && n.indent == parentIndent && isSeqItem(contentOf(n.text, n.indent))) {
      cur_ = i;
      return parseBlockSeq(parentIndent, depth + 1);
    }
    return Var();
  }
  const char c = t[p];
  if (c == '|' || c == '>') return parseBlockScalar(p, parentIndent);
  if (c == '[' || c == '{') return parseFlow(p, parentIndent, depth + 1);
  std::string_view rest = std::string_view(t).substr(p);
  std::string key;
  size_t after = 0;
  if (isSeqItem(rest)) {
    if (!inSeq) {
      return errorAt(l.number, "a sequence cannot start on the line of its key; start it below");
    }
    l.indent = static_cast<int>(p);  // "- - x": the inner sequence is aligned at column p
    return parseBlockSeq(l.indent, depth + 1);
  }
  TNAS_ASSIGN_OR_RETURN(bool isKey, findKey(rest, l.number, key, after));
  if (isKey) {
    if (!inSeq) {
      return errorAt(l.number,
                     "unexpected ': ' in a value (nest mappings on the next line, or quote the "
                     "value)");
    }
    l.indent = static_cast<int>(p);  // "- key: v": the mapping is aligned at column p
    return parseBlockMap(l.indent, depth + 1);
  }
  if (c == '"' || c == '\'') {
    size_t pos = p;
    TNAS_ASSIGN_OR_RETURN(std::string s, parseQuoted(t, pos, l.number));
    TNAS_RETURN_IF_ERROR(checkRestIsComment(l, pos));
    ++cur_;
    return Var(s);
  }
  TNAS_RETURN_IF_ERROR(checkIndicator(c, l.number));
  if (c == '?' && (rest.size() == 1 || isSpace(rest[1]))) {
    return errorAt(l.number, "explicit keys ('? ') are not supported");
  }
  size_t end = p;
  while (end < t.size() && !(t[end] == '#' && end > p && isSpace(t[end - 1]))) ++end;
  std::string_view plain = rtrim(std::string_view(t).substr(p, end - p));
  ++cur_;
  return resolvePlain(plain, l.number);
}

StatusOr<Var> YamlParser::parseBlockScalar(size_t col, int parentIndent) {
  const Line& l = lines_[cur_];
  const std::string& t = l.text;
  const char style = t[col];
  char chomp = 0;
  int explicitIndent = 0;
  size_t p = col + 1;
  for (int k = 0; k < 2 && p < t.size(); ++k) {
    if ((t[p] == '-' || t[p] == '+') && chomp == 0) {
      chomp = t[p++];
    } else if (t[p] >= '1' && t[p] <= '9' && explicitIndent == 0) {
      explicitIndent = t[p++] - '0';
    }
  }
  if (p < t.size() && !isSpace(t[p])) {
    return errorAt(l.number, "invalid block scalar header '" + t.substr(col) + "'");
  }
  TNAS_RETURN_IF_ERROR(checkRestIsComment(l, p));

  size_t i = cur_ + 1;
  int contentIndent = explicitIndent > 0 ? std::max(parentIndent, 0) + explicitIndent : -1;
  if (contentIndent < 0) {
    for (size_t k = i; k < lines_.size() && !isDocMarker(lines_[k]); ++k) {
      if (allWhitespace(lines_[k].text)) continue;
      contentIndent = lines_[k].indent;
      break;
    }
    if (contentIndent <= parentIndent) contentIndent = parentIndent + 1;  // empty scalar
  }
  std::vector<std::string> content;
  for (; i < lines_.size(); ++i) {
    const Line& x = lines_[i];
    if (isDocMarker(x)) break;
    if (allWhitespace(x.text)) {
      content.emplace_back();
      continue;
    }
    if (x.indent < contentIndent) break;
    content.push_back(x.text.substr(static_cast<size_t>(contentIndent)));
  }
  cur_ = i;
  return Var(assembleBlockScalar(content, style, chomp));
}

}  // namespace yaml_internal

StatusOr<Poco::Dynamic::Var> parseYaml(std::string_view text) {
  yaml_internal::YamlParser parser(text);
  return parser.parseDocument();
}

}  // namespace tnascsi::common

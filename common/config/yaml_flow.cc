// Flow-collection half of the YAML subset parser: `[a, b]` and `{k: v}` (nested, possibly spanning
// lines, trailing commas allowed). Keys are strings; values resolve like block scalars.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSONString.h>

#include "common/config/yaml_internal.h"
#include "common/config/yaml_parser.h"

namespace tnascsi::common::yaml_internal {
namespace {

using Poco::Dynamic::Var;

bool isSpace(char c) {
  return c == ' ' || c == '\t';
}
bool isFlowIndicator(char c) {
  return c == ',' || c == '[' || c == ']' || c == '{' || c == '}';
}

}  // namespace

StatusOr<Var> YamlParser::parseFlow(size_t col, int parentIndent, int depth) {
  fi_ = cur_;
  fc_ = col;
  flowParentIndent_ = parentIndent;
  flowStartLine_ = lines_[cur_].number;
  TNAS_ASSIGN_OR_RETURN(Var value, flowNode(depth));
  TNAS_RETURN_IF_ERROR(checkRestIsComment(lines_[fi_], fc_));
  cur_ = fi_ + 1;
  return value;
}

char YamlParser::flowPeek() const {
  if (fi_ >= lines_.size() || fc_ >= lines_[fi_].text.size()) return '\0';
  return lines_[fi_].text[fc_];
}

Status YamlParser::flowSkipSpace() {
  while (true) {
    if (fi_ >= lines_.size()) {
      return errorAt(flowStartLine_, "unterminated flow collection (missing ']' or '}')");
    }
    const std::string& t = lines_[fi_].text;
    while (fc_ < t.size() && isSpace(t[fc_])) ++fc_;
    if (fc_ < t.size() && t[fc_] == '#' && (fc_ == 0 || isSpace(t[fc_ - 1]))) fc_ = t.size();
    if (fc_ < t.size()) return absl::OkStatus();
    ++fi_;
    fc_ = 0;
    if (fi_ < lines_.size()) {
      const Line& n = lines_[fi_];
      if (isDocMarker(n)) {
        return errorAt(flowStartLine_, "unterminated flow collection (missing ']' or '}')");
      }
      if (!isBlank(n) && n.indent <= flowParentIndent_) {
        return errorAt(n.number,
                       "a flow collection's continuation lines must be indented more "
                       "than its parent");
      }
    }
  }
}

StatusOr<std::string> YamlParser::flowPlain() {
  const std::string& t = lines_[fi_].text;
  size_t start = fc_;
  size_t end = fc_;
  while (end < t.size()) {
    char c = t[end];
    if (isFlowIndicator(c)) break;
    if (c == '#' && end > start && isSpace(t[end - 1])) break;
    if (c == ':' && (end + 1 == t.size() || isSpace(t[end + 1]) || isFlowIndicator(t[end + 1]))) {
      break;
    }
    ++end;
  }
  fc_ = end;
  std::string_view s = std::string_view(t).substr(start, end - start);
  while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
  return std::string(s);
}

StatusOr<Var> YamlParser::flowNode(int depth) {
  if (depth > kMaxDepth) return errorAt(flowLine(), "nesting is too deep");
  TNAS_RETURN_IF_ERROR(flowSkipSpace());
  const char c = flowPeek();
  if (c == '[') return flowSeq(depth);
  if (c == '{') return flowMap(depth);
  if (c == '"' || c == '\'') {
    TNAS_ASSIGN_OR_RETURN(std::string s, parseQuoted(lines_[fi_].text, fc_, flowLine()));
    return Var(s);
  }
  if (c == ':') return errorAt(flowLine(), "unexpected ':' in flow collection");
  TNAS_RETURN_IF_ERROR(checkIndicator(c, flowLine()));
  const int line = flowLine();
  TNAS_ASSIGN_OR_RETURN(std::string plain, flowPlain());
  return resolvePlain(plain, line);
}

StatusOr<Var> YamlParser::flowSeq(int depth) {
  ++fc_;  // '['
  Poco::JSON::Array::Ptr arr = new Poco::JSON::Array();
  TNAS_RETURN_IF_ERROR(flowSkipSpace());
  if (flowPeek() == ']') {
    ++fc_;
    return Var(arr);
  }
  while (true) {
    TNAS_ASSIGN_OR_RETURN(Var item, flowNode(depth + 1));
    arr->add(item);
    TNAS_RETURN_IF_ERROR(flowSkipSpace());
    const char c = flowPeek();
    if (c == ',') {
      ++fc_;
      TNAS_RETURN_IF_ERROR(flowSkipSpace());
      if (flowPeek() == ']') {
        ++fc_;
        return Var(arr);
      }
      continue;
    }
    if (c == ']') {
      ++fc_;
      return Var(arr);
    }
    if (c == ':') {
      return errorAt(flowLine(), "'key: value' pairs inside a flow sequence are not supported");
    }
    return errorAt(flowLine(), "expected ',' or ']' in flow sequence");
  }
}

StatusOr<Var> YamlParser::flowMap(int depth) {
  ++fc_;  // '{'
  Poco::JSON::Object::Ptr obj = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  TNAS_RETURN_IF_ERROR(flowSkipSpace());
  if (flowPeek() == '}') {
    ++fc_;
    return Var(obj);
  }
  while (true) {
    TNAS_RETURN_IF_ERROR(flowSkipSpace());
    const int line = flowLine();
    const char k = flowPeek();
    std::string key;
    if (k == '"' || k == '\'') {
      TNAS_ASSIGN_OR_RETURN(key, parseQuoted(lines_[fi_].text, fc_, line));
    } else if (k == '[' || k == '{') {
      return errorAt(line, "collections as mapping keys are not supported");
    } else if (k == ',' || k == '}' || k == ':') {
      return errorAt(line, "expected a key in flow mapping");
    } else {
      TNAS_RETURN_IF_ERROR(checkIndicator(k, line));
      TNAS_ASSIGN_OR_RETURN(key, flowPlain());
    }
    if (obj->has(key)) return errorAt(line, "duplicate key '" + key + "'");
    TNAS_RETURN_IF_ERROR(flowSkipSpace());
    Var value;
    if (flowPeek() == ':') {
      ++fc_;
      TNAS_RETURN_IF_ERROR(flowSkipSpace());
      if (flowPeek() != ',' && flowPeek() != '}') {
        TNAS_ASSIGN_OR_RETURN(value, flowNode(depth + 1));
        TNAS_RETURN_IF_ERROR(flowSkipSpace());
      }
    }
    obj->set(key, value);
    const char c = flowPeek();
    if (c == ',') {
      ++fc_;
      TNAS_RETURN_IF_ERROR(flowSkipSpace());
      if (flowPeek() == '}') {
        ++fc_;
        return Var(obj);
      }
      continue;
    }
    if (c == '}') {
      ++fc_;
      return Var(obj);
    }
    return errorAt(flowLine(), "expected ',' or '}' in flow mapping");
  }
}

}  // namespace tnascsi::common::yaml_internal

// Source-text checks for the YAML config parser (see SourceText in yaml_internal.h): what yaml-cpp
// 0.7 accepts although YAML forbids it — an unterminated quoted scalar (it swallows the rest of
// the file), text after a closing quote, a block-mapping line without ':' (it becomes a key), an
// empty flow-sequence entry (it becomes null) — found at the positions of its events.
#include <algorithm>
#include <string>

#include "common/config/yaml_internal.h"

namespace tnascsi::common::yaml_internal {
namespace {

bool isBlank(char c) {
  return c == ' ' || c == '\t';
}
bool isSpace(char c) {
  return isBlank(c) || c == '\n' || c == '\r';
}

}  // namespace

SourceText::SourceText(std::string_view text) : text_(text) {
  contentEnd_ = text_.size();
  while (contentEnd_ > 0 && isSpace(text_[contentEnd_ - 1])) --contentEnd_;
  lastContentLine_ =
      1 + static_cast<int>(std::count(text_.begin(), text_.begin() + contentEnd_, '\n'));
}

size_t SourceText::skipBlanks(size_t pos) const {
  while (pos < text_.size() && isBlank(text_[pos])) ++pos;
  return pos;
}

bool SourceText::lineStartsWith(size_t pos, std::string_view prefix) const {
  pos = std::min(pos, text_.size());
  const size_t nl = pos == 0 ? kNone : text_.rfind('\n', pos - 1);
  const size_t start = nl == kNone ? 0 : nl + 1;
  return text_.substr(start, prefix.size()) == prefix;
}

std::string SourceText::plainKeyAt(size_t pos) const {
  size_t end = pos;
  while (end < text_.size() && text_[end] != '\n' && text_[end] != '\r') {
    const char next = end + 1 < text_.size() ? text_[end + 1] : '\0';
    if (text_[end] == ':' && (next == '\0' || isSpace(next) || next == ',' || next == '}')) break;
    ++end;
  }
  std::string_view key = text_.substr(std::min(pos, text_.size()), end - std::min(pos, end));
  while (!key.empty() && isBlank(key.back())) key.remove_suffix(1);
  return std::string(key);
}

StatusOr<size_t> SourceText::quotedEnd(size_t pos, int line) const {
  const char quote = charAt(pos);
  if (quote != '"' && quote != '\'') return kNone;
  size_t i = pos + 1;
  size_t end = kNone;
  while (i < text_.size()) {
    const char c = text_[i];
    // A backslash escape in double quotes, or '' in single quotes: two characters of content.
    const bool escape =
        quote == '"' ? c == '\\' : c == quote && i + 1 < text_.size() && text_[i + 1] == quote;
    if (escape) {
      i += 2;
    } else if (c == quote) {
      end = i + 1;
      break;
    } else {
      ++i;
    }
  }
  if (end == kNone) {
    return errorAt(line, std::string("unterminated ") + (quote == '"' ? "double" : "single") +
                             "-quoted string");
  }
  const size_t next = skipBlanks(end);
  const char c = charAt(next);
  if (c == '\0' || c == '\n' || c == '\r' || c == ':' || c == ',' || c == ']' || c == '}' ||
      (c == '#' && next > end)) {
    return end;
  }
  const int endLine =
      line + static_cast<int>(std::count(text_.begin() + pos, text_.begin() + end, '\n'));
  return errorAt(endLine, "unexpected text after the quoted value");
}

size_t SourceText::afterPlain(size_t pos, std::string_view value) const {
  if (value.empty() || text_.substr(std::min(pos, text_.size()), value.size()) != value) {
    return kNone;
  }
  return pos + value.size();
}

Status SourceText::checkColonAfterKey(size_t keyPos, size_t after, int line) const {
  if (after == kNone || charAt(skipBlanks(after)) == ':') return absl::OkStatus();
  // What precedes the key on its line: "? " makes it an explicit key.
  size_t p = std::min(keyPos, text_.size());
  while (p > 0 && isBlank(text_[p - 1])) --p;
  if (p > 0 && text_[p - 1] == '?') return errorAt(line, "explicit keys ('? ') are not supported");
  return errorAt(line, "expected 'key: value'");
}

int SourceText::clampedLine(int markLine, size_t markPos) const {
  if (markLine < 0 || markPos >= contentEnd_) return lastContentLine_;
  return markLine + 1;
}

bool SourceText::tabInIndentation(int line) const {
  size_t start = 0;
  for (int l = 1; l < line && start != kNone; ++l) {
    start = text_.find('\n', start);
    if (start != kNone) ++start;
  }
  if (start == kNone) return false;
  for (size_t i = start; i < text_.size() && isBlank(text_[i]); ++i) {
    if (text_[i] == '\t') return true;
  }
  return false;
}

}  // namespace tnascsi::common::yaml_internal

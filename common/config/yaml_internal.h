// Internal helpers of the config parsers: YAML scalar resolution (yaml_scalar.cc), the source-text
// checks that complete yaml-cpp 0.7 (yaml_source.cc), and a strict JSON syntax check
// (json_check.cc). Not part of the public interface; include common/config/yaml.h instead. All
// functions are pure and thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/base/status.h"
#include "common/config/config_node.h"

namespace tnascsi::common::yaml_internal {

// InvalidArgument "line N: <message>".
Status errorAt(int line, std::string_view message);

// Resolves a plain (unquoted) scalar with the YAML 1.2 core schema: null/Null/NULL/~/empty ->
// null; true/True/TRUE/false/False/FALSE -> boolean; decimal, 0x hex and 0o octal integers ->
// int64 (InvalidArgument when out of range); decimal floats, .inf, .nan -> double; anything
// else -> string. `text` must already be trimmed.
StatusOr<ConfigNode> resolvePlain(std::string_view text, int line);

// Checks strict JSON (RFC 8259) syntax and rejects duplicate keys, so JSON errors carry
// "line N: invalid JSON: ..." like YAML ones. OK means nlohmann-json's parser accepts the text.
Status checkJsonSyntax(std::string_view text);

// The YAML text as yaml-cpp saw it (no byte-order mark), for the checks yaml-cpp 0.7 leaves out.
// Positions are yaml-cpp marks' byte offsets; lines are 1-based. Every check passes when the text
// at a position is not what the event implies, so a surprise in yaml-cpp cannot refuse valid YAML.
class SourceText {
 public:
  static constexpr size_t kNone = std::string_view::npos;

  explicit SourceText(std::string_view text);

  char charAt(size_t pos) const { return pos < text_.size() ? text_[pos] : '\0'; }
  // True if the line holding `pos` starts with `prefix`.
  bool lineStartsWith(size_t pos, std::string_view prefix) const;
  // The plain key written at `pos` (up to its ':'), trimmed; "" when there is none.
  std::string plainKeyAt(size_t pos) const;
  // For a quoted scalar at `pos`: the position past its closing quote, after checking that it is
  // terminated and that only a comment, ':', ',', ']' or '}' follows it on its line. kNone when
  // the scalar at `pos` is not quoted.
  StatusOr<size_t> quotedEnd(size_t pos, int line) const;
  // The position just past the plain scalar `value` written at `pos`, kNone if it is not
  // written there as-is (a multi-line plain scalar).
  size_t afterPlain(size_t pos, std::string_view value) const;
  // A block-mapping key that ends before `after` must be followed by ':' ("just text" is not a
  // key, "? k" explicit keys are not supported).
  Status checkColonAfterKey(size_t keyPos, size_t after, int line) const;
  // The 1-based line of a yaml-cpp error mark, clamped to the last line with content (yaml-cpp
  // points past the end for "end of ... not found", or gives no mark).
  int clampedLine(int markLine, size_t markPos) const;
  // True if the leading whitespace of 1-based `line` holds a tab.
  bool tabInIndentation(int line) const;

 private:
  size_t skipBlanks(size_t pos) const;

  std::string_view text_;
  size_t contentEnd_ = 0;  // just past the last non-whitespace character
  int lastContentLine_ = 1;
};

}  // namespace tnascsi::common::yaml_internal

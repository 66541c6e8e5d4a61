// Internal: the YAML subset parser's state machine, shared by yaml.cc (block structure) and
// yaml_flow.cc (flow collections). Use parseYaml() from common/config/yaml.h instead.
// Not thread-safe; one instance parses one document once.
#pragma once

#include <Poco/Dynamic/Var.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/base/status.h"

namespace tnascsi::common::yaml_internal {

inline constexpr int kMaxDepth = 64;

class YamlParser {
 public:
  explicit YamlParser(std::string_view text);
  StatusOr<Poco::Dynamic::Var> parseDocument();

 private:
  struct Line {
    int number;        // 1-based line number for messages
    std::string text;  // without the line break
    int indent;        // column where structural content starts
  };
  static constexpr size_t kNone = static_cast<size_t>(-1);

  // Block structure (yaml.cc).
  StatusOr<size_t>
  nextContentLine();  // index of the next non-blank line from cur_, kNone at end/doc marker
  bool isBlank(const Line& l) const;
  bool isDocMarker(const Line& l) const;
  Status checkIndentTabs(const Line& l) const;
  StatusOr<Poco::Dynamic::Var> parseBlockNode(int parentIndent, int depth);
  StatusOr<Poco::Dynamic::Var> parseBlockMap(int indent, int depth);
  StatusOr<Poco::Dynamic::Var> parseBlockSeq(int indent, int depth);
  // Parses the value that starts at column `col` of line cur_ (after "key:" or "- "). inSeq allows
  // a compact nested mapping or sequence on the same line.
  StatusOr<Poco::Dynamic::Var> parseValue(size_t col, int parentIndent, bool inSeq, int depth);
  StatusOr<Poco::Dynamic::Var> parseBlockScalar(size_t col, int parentIndent);
  // Finds "key:" at the start of `s`: on success sets key and the column after the ':'.
  StatusOr<bool> findKey(std::string_view s, int line, std::string& key, size_t& after) const;
  Status checkRestIsComment(const Line& l, size_t col) const;
  static Status checkIndicator(char c, int line);

  // Flow collections (yaml_flow.cc). Cursor fi_/fc_ walks across lines.
  StatusOr<Poco::Dynamic::Var> parseFlow(size_t col, int parentIndent, int depth);
  StatusOr<Poco::Dynamic::Var> flowNode(int depth);
  StatusOr<Poco::Dynamic::Var> flowSeq(int depth);
  StatusOr<Poco::Dynamic::Var> flowMap(int depth);
  StatusOr<std::string> flowPlain();
  Status flowSkipSpace();
  char flowPeek() const;
  int flowLine() const { return lines_[fi_].number; }

  std::vector<Line> lines_;
  size_t cur_ = 0;
  size_t fi_ = 0;
  size_t fc_ = 0;
  int flowParentIndent_ = -1;
  int flowStartLine_ = 0;
};

}  // namespace tnascsi::common::yaml_internal

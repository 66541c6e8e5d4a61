// parseYaml: yaml-cpp's event parser feeds a TreeBuilder that builds the ConfigNode tree directly
// (no yaml-cpp node tree in between), refuses what yaml.h lists with the event's line, and checks
// the few spots where yaml-cpp 0.7 accepts invalid YAML against the source text (see yaml.h).
#include "common/config/yaml.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "common/config/yaml_internal.h"

namespace tnascsi::common {
namespace yaml_internal {
namespace {

using Var = ConfigNode;

constexpr int kMaxDepth = 64;

// Thrown by the TreeBuilder to stop yaml-cpp at the first refused construct.
struct Refused {
  Status status;
};

[[noreturn]] void refuse(int line, std::string_view message) {
  throw Refused{errorAt(line, message)};
}

int lineOf(const YAML::Mark& mark) {
  return mark.line + 1;
}

class TreeBuilder final : public YAML::EventHandler {
 public:
  explicit TreeBuilder(const SourceText& source) : src_(source) {}

  const Var& root() const { return root_; }

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (documents_++ == 0) return;
    refuse(lineOf(mark), src_.lineStartsWith(mark.pos, "---")
                             ? "multiple documents ('---') are not supported"
                             : "content after the document end marker '...'");
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t /*anchor*/) override {
    if (keyExpected()) {
      // "null: x", "~: x" and ": x" arrive as a null key; keys are strings as written.
      std::string key = src_.plainKeyAt(mark.pos);
      if (key.empty()) refuse(lineOf(mark), "empty key before ':'");
      addKey(mark, std::move(key));
      return;
    }
    if (inFlowSequence() && src_.charAt(mark.pos) == ',') {
      refuse(lineOf(mark), "empty entry ',' in a flow sequence");
    }
    addValue(Var());
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t /*anchor*/) override {
    refuse(lineOf(mark), "aliases ('*') are not supported");
  }
  void OnAnchor(const YAML::Mark& mark, const std::string& /*name*/) override {
    refuse(lineOf(mark), "anchors ('&') are not supported");
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t /*anchor*/,
                const std::string& value) override {
    checkTag(mark, tag);
    StatusOr<size_t> end = src_.quotedEnd(mark.pos, lineOf(mark));  // kNone when not quoted
    if (!end.ok()) throw Refused{end.status()};
    const size_t after = *end != SourceText::kNone ? *end : src_.afterPlain(mark.pos, value);
    if (keyExpected()) {
      if (frames_.back().block) {
        Status colon = src_.checkColonAfterKey(mark.pos, after, lineOf(mark));
        if (!colon.ok()) throw Refused{colon};
      }
      addKey(mark, value);
      return;
    }
    if (tag == "?") {
      StatusOr<Var> resolved = resolvePlain(value, lineOf(mark));
      if (!resolved.ok()) throw Refused{resolved.status()};
      addValue(std::move(*resolved));
    } else {
      addValue(Var(value));
    }
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t /*anchor*/,
                       YAML::EmitterStyle::value style) override {
    checkTag(mark, tag);
    open(mark, Frame{Var::array(), style == YAML::EmitterStyle::Block, false, {}});
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t /*anchor*/,
                  YAML::EmitterStyle::value style) override {
    checkTag(mark, tag);
    open(mark, Frame{Var::object(), style == YAML::EmitterStyle::Block, false, {}});
  }
  void OnMapEnd() override { close(); }

 private:
  // A collection being read: it is added to its parent when it ends (a frame owns its value, so
  // no pointer into a parent that may still grow is kept).
  struct Frame {
    Var value;     // an object (mapping) or an array (sequence)
    bool block;    // block (indented) rather than flow ([...] / {...}) style
    bool haveKey;  // map: the key of the next value has been read
    std::string key;
  };

  bool keyExpected() const {
    return !frames_.empty() && frames_.back().value.is_object() && !frames_.back().haveKey;
  }
  bool inFlowSequence() const {
    return !frames_.empty() && frames_.back().value.is_array() && !frames_.back().block;
  }

  static void checkTag(const YAML::Mark& mark, const std::string& tag) {
    // "?" plain and "!" quoted/block scalars (or untagged collections); anything else is a tag.
    if (!tag.empty() && tag != "?" && tag != "!")
      refuse(lineOf(mark), "tags ('!') are not supported");
  }

  void open(const YAML::Mark& mark, Frame frame) {
    if (keyExpected()) refuse(lineOf(mark), "collections as mapping keys are not supported");
    if (static_cast<int>(frames_.size()) >= kMaxDepth) refuse(lineOf(mark), "nesting is too deep");
    frames_.push_back(std::move(frame));
  }

  void addKey(const YAML::Mark& mark, std::string key) {
    Frame& f = frames_.back();
    if (f.value.contains(key)) refuse(lineOf(mark), "duplicate key '" + key + "'");
    f.key = std::move(key);
    f.haveKey = true;
  }

  void close() {
    Var value = std::move(frames_.back().value);
    frames_.pop_back();
    addValue(std::move(value));
  }

  // Adds a value to the innermost open collection (the root when none is open).
  void addValue(Var value) {
    if (frames_.empty()) {
      root_ = std::move(value);
      return;
    }
    Frame& f = frames_.back();
    if (f.value.is_object()) {
      f.value[f.key] = std::move(value);
      f.haveKey = false;
    } else {
      f.value.push_back(std::move(value));
    }
  }

  const SourceText& src_;
  std::vector<Frame> frames_;
  Var root_;
  int documents_ = 0;
};

// "line N: <yaml-cpp's message>", the line clamped to the last line with content (yaml-cpp points
// past the end for "end of ... not found"); its wording kept except where ours is clearer.
Status fromYamlCpp(const YAML::Exception& e, const SourceText& src) {
  std::string message = e.msg;
  if (message.find("referenced anchor is not defined") != std::string::npos) {
    message = "aliases ('*') are not supported";
  }
  const int line = src.clampedLine(e.mark.line, static_cast<size_t>(e.mark.pos));
  if (message.find("tab") == std::string::npos && src.tabInIndentation(line)) {
    message += " (a tab in the indentation: indent with spaces)";
  }
  return errorAt(line, message);
}

}  // namespace
}  // namespace yaml_internal

StatusOr<ConfigNode> parseYaml(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // marks count after it
  const yaml_internal::SourceText source(text);
  yaml_internal::TreeBuilder builder(source);
  std::istringstream in{std::string(text)};
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(builder)) {
    }
  } catch (const yaml_internal::Refused& r) {
    return r.status;
  } catch (const YAML::DeepRecursion& e) {
    return yaml_internal::errorAt(source.clampedLine(e.mark.line, static_cast<size_t>(e.mark.pos)),
                                  "nesting is too deep");
  } catch (const YAML::Exception& e) {
    return yaml_internal::fromYamlCpp(e, source);
  }
  return StatusOr<ConfigNode>(builder.root());
}

}  // namespace tnascsi::common

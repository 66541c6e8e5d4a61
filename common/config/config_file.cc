// Loading config files: format detection (JSON if it starts with '{', else YAML), parsing, and the
// top-level-mapping check. Typed accessors live in config_access.cc.
#include "common/config/config_file.h"

#include "common/base/files.h"
#include "common/config/yaml.h"
#include "common/config/yaml_internal.h"

namespace tnascsi::common {
namespace {

constexpr size_t kMaxConfigBytes = 4 << 20;

StatusOr<ConfigNode> parseJson(std::string_view text) {
  TNAS_RETURN_IF_ERROR(yaml_internal::checkJsonSyntax(text));
  try {
    return ConfigNode::parse(text);
  } catch (const ConfigNode::exception& e) {
    // Not reached after the check above; its message may quote text, so only the id is kept.
    return absl::InvalidArgumentError("invalid JSON (parser error " + std::to_string(e.id) + ")");
  }
}

}  // namespace

StatusOr<ConfigNode> parseConfigText(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  size_t first = 0;
  while (first < text.size() && (text[first] == ' ' || text[first] == '\t' || text[first] == '\n' ||
                                 text[first] == '\r')) {
    ++first;
  }
  const bool json = first < text.size() && text[first] == '{';
  ConfigNode root;
  if (json) {
    TNAS_ASSIGN_OR_RETURN(root, parseJson(text));  // whole text: line numbers stay right
  } else {
    TNAS_ASSIGN_OR_RETURN(root, parseYaml(text));
  }
  if (!root.is_object()) {
    return absl::InvalidArgumentError(
        "the top level of a config file must be a mapping, not " +
        (root.is_null() ? std::string("an empty document") : "a " + configTypeName(root)));
  }
  return root;
}

StatusOr<ConfigNode> loadConfigFile(const std::string& path) {
  StatusOr<std::string> content = readFile(path);
  if (!content.ok()) return annotate(content.status(), "config file " + path);
  if (content->size() > kMaxConfigBytes) {
    return absl::InvalidArgumentError(path + ": config file is larger than 4 MiB");
  }
  StatusOr<ConfigNode> obj = parseConfigText(*content);
  if (!obj.ok()) return annotate(obj.status(), path);
  return obj;
}

}  // namespace tnascsi::common

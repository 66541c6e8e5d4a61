// Loading config files: format detection (JSON if it starts with '{', else YAML), parsing, and the
// top-level-mapping check. Typed accessors live in config_access.cc.
#include "common/config/config_file.h"

#include <Poco/Exception.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

#include "common/base/files.h"
#include "common/config/yaml.h"

namespace tnascsi::common {
namespace {

constexpr size_t kMaxConfigBytes = 4 << 20;

StatusOr<Poco::Dynamic::Var> parseJson(std::string_view text) {
  try {
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(/*preserveObjectOrder=*/true));
    return parser.parse(std::string(text));
  } catch (const Poco::Exception& e) {
    return absl::InvalidArgumentError("invalid JSON: " + e.displayText());
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(std::string("invalid JSON: ") + e.what());
  }
}

}  // namespace

StatusOr<Poco::JSON::Object::Ptr> parseConfigText(std::string_view text) {
  size_t first = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") first = 3;
  while (first < text.size() && (text[first] == ' ' || text[first] == '\t' || text[first] == '\n' ||
                                 text[first] == '\r')) {
    ++first;
  }
  const bool json = first < text.size() && text[first] == '{';
  Poco::Dynamic::Var root;
  if (json) {
    TNAS_ASSIGN_OR_RETURN(root, parseJson(text.substr(first)));
  } else {
    TNAS_ASSIGN_OR_RETURN(root, parseYaml(text));
  }
  if (root.type() != typeid(Poco::JSON::Object::Ptr)) {
    return absl::InvalidArgumentError(
        "the top level of a config file must be a mapping, not " +
        (root.isEmpty() ? std::string("an empty document") : "a " + configTypeName(root)));
  }
  return root.extract<Poco::JSON::Object::Ptr>();
}

StatusOr<Poco::JSON::Object::Ptr> loadConfigFile(const std::string& path) {
  StatusOr<std::string> content = readFile(path);
  if (!content.ok()) return annotate(content.status(), "config file " + path);
  if (content->size() > kMaxConfigBytes) {
    return absl::InvalidArgumentError(path + ": config file is larger than 4 MiB");
  }
  StatusOr<Poco::JSON::Object::Ptr> obj = parseConfigText(*content);
  if (!obj.ok()) return annotate(obj.status(), path);
  return obj;
}

}  // namespace tnascsi::common

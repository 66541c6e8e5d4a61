// ConfigNode: the tree a config file loads into, YAML and JSON alike: nlohmann-json's ordered
// variant (Debian's nlohmann-json3-dev, header-only), so mappings keep the order they were written
// in. mapping -> object, sequence -> array, string -> string, integer -> number_integer (JSON's
// non-negative integers may arrive as number_unsigned), float -> number_float, bool -> boolean,
// null -> null. Read it through the accessors of config_file.h.
#pragma once

#include <nlohmann/json.hpp>

namespace tnascsi::common {

using ConfigNode = nlohmann::ordered_json;

}  // namespace tnascsi::common

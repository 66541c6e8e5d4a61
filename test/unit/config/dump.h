// Test helper: a canonical, type-revealing text form of a parsed config tree, so table-driven
// tests can state expected structures compactly. Strings print quoted ("1" vs 1), floats get a
// 'd' suffix (1.5d), mappings keep their order: {a:1,b:["x",null]}.
#pragma once

#include <string>

#include "common/config/config_node.h"

namespace tnascsi::common::testing {

std::string dump(const ConfigNode& v);

}  // namespace tnascsi::common::testing

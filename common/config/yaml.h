// YAML config files, parsed with yaml-cpp's event parser (Debian's libyaml-cpp-dev) into the same
// tree (ConfigNode) as JSON configs, so both are handled identically downstream:
//   mapping -> object (keys keep file order), sequence -> array, string -> string,
//   integer -> number_integer (int64), float -> number_float, bool -> boolean, null -> null.
//
// The syntax is YAML 1.2's (block and flow collections, plain/quoted/literal/folded scalars,
// comments, a `%YAML` directive, `---`/`...` markers, `? ` is the one exception below). Plain
// scalars resolve with the YAML 1.2 core schema (null, ~, empty; true/false; decimal, 0x, 0o
// integers; floats, .inf, .nan); quoted and block scalars are always strings; yes/no/on/off are
// strings. Mapping keys are strings as written.
//
// Refused with InvalidArgument "line N: ...": duplicate keys (yaml-cpp 0.7 keeps the last one),
// anchors (&) and aliases (*) (an alias bomb would expand exponentially in the tree), tags (!),
// explicit keys (?), collections as keys, multiple documents, nesting deeper than 64 levels, and
// what yaml-cpp 0.7 lets through although YAML forbids it: an unterminated quoted scalar, text
// after a closing quote, a block-mapping line without ':', an empty entry in a flow sequence.
// Every syntax error of yaml-cpp keeps its line (a tab in the indentation is named).
//
// Thread-safety: parseYaml is a pure function; it may be called concurrently.
#pragma once

#include <string_view>

#include "common/base/status.h"
#include "common/config/config_node.h"

namespace tnascsi::common {

// Parses one YAML document. An empty document (only blank lines/comments) yields null.
// Errors: InvalidArgument whose message starts with "line N: ".
StatusOr<ConfigNode> parseYaml(std::string_view text);

}  // namespace tnascsi::common

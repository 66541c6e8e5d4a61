// YAML config files, parsed with yaml-cpp's event parser (Debian's libyaml-cpp-dev) into the same
// Poco types as Poco::JSON::Parser, so YAML and JSON configs are handled identically downstream:
//   mapping -> Poco::JSON::Object::Ptr (keys keep file order), sequence -> Poco::JSON::Array::Ptr,
//   string -> std::string, integer -> Poco::Int64, float -> double, bool -> bool, null -> empty
//   Var.
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

#include <Poco/Dynamic/Var.h>

#include <string_view>

#include "common/base/status.h"

namespace tnascsi::common {

// Parses one YAML document. An empty document (only blank lines/comments) yields an empty Var
// (null). Errors: InvalidArgument whose message starts with "line N: ".
StatusOr<Poco::Dynamic::Var> parseYaml(std::string_view text);

}  // namespace tnascsi::common

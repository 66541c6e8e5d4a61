// A parser for the subset of YAML that configuration files need. It produces the same Poco types
// as Poco::JSON::Parser, so YAML and JSON configs are handled identically downstream:
//   mapping -> Poco::JSON::Object::Ptr (keys keep file order), sequence -> Poco::JSON::Array::Ptr,
//   string -> std::string, integer -> Poco::Int64, float -> double, bool -> bool, null -> empty
//   Var.
//
// Supported: block mappings and sequences nested by indentation (including `- key: v` items and a
// sequence at the same indentation as its parent key), plain / 'single' / "double" quoted scalars
// (with escapes), literal `|` and folded `>` block scalars (chomping and indentation indicators),
// comments, one optional `---` document start and `...` end, flow collections `[a, b]` and
// `{a: 1}` (may span lines), YAML 1.2 core-schema scalars (null, ~, empty; true/false; decimal,
// 0x, 0o integers; floats, .inf, .nan). Quoted scalars are always strings; yes/no/on/off are
// strings.
//
// Rejected with InvalidArgument "line N: ...": tabs in indentation, anchors (&), aliases (*),
// tags (!), directives (%), explicit keys (?), complex keys, multiple documents, duplicate keys,
// multi-line plain or quoted scalars, bad indentation, nesting deeper than 64 levels.
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

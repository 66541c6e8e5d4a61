// Internal helpers of the YAML parser (yaml.cc): scalar resolution, quoted-scalar unescaping and
// block-scalar assembly. Not part of the public interface; include common/config/yaml.h instead.
// All functions are pure and thread-safe.
#pragma once

#include <Poco/Dynamic/Var.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/base/status.h"

namespace tnascsi::common::yaml_internal {

// InvalidArgument "line N: <message>".
Status errorAt(int line, std::string_view message);

// Resolves a plain (unquoted) scalar with the YAML 1.2 core schema: null/Null/NULL/~/empty ->
// empty Var; true/True/TRUE/false/False/FALSE -> bool; decimal, 0x hex and 0o octal integers ->
// Poco::Int64 (InvalidArgument when out of range); decimal floats, .inf, .nan -> double; anything
// else -> std::string. `text` must already be trimmed.
StatusOr<Poco::Dynamic::Var> resolvePlain(std::string_view text, int line);

// Parses the quoted scalar whose opening quote (' or ") is at text[pos]. On success `pos` points
// just past the closing quote. Single quotes know only the '' escape; double quotes support the
// YAML escapes (\n \t \" \\ \xXX \uXXXX \UXXXXXXXX ...). Unterminated strings (including
// multi-line ones, which are not supported) and unknown escapes are InvalidArgument.
StatusOr<std::string> parseQuoted(std::string_view text, size_t& pos, int line);

// Assembles a block scalar from its content lines (indentation already removed; empty lines are
// ""). style is '|' (literal) or '>' (folded); chomp is '-' (strip), '+' (keep) or 0 (clip).
std::string assembleBlockScalar(const std::vector<std::string>& lines, char style, char chomp);

}  // namespace tnascsi::common::yaml_internal

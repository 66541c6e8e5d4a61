// ArgCheck; see schema.h.
#include "test/truenas-sim/model/schema.h"

#include <algorithm>

#include "absl/strings/ascii.h"

namespace tnascsi::sim {

ArgCheck::ArgCheck(const Json& data, std::string prefix, bool strict, Verrors& verrors)
    : data_(data), prefix_(std::move(prefix)), strict_(strict), verrors_(verrors) {
  if (!data_.isObject()) {
    verrors_.add(prefix_, strict_ ? "Input should be a valid dictionary" : "Not a dictionary");
  }
}

void ArgCheck::allowOnly(const std::vector<std::string>& allowed) {
  for (const auto& [k, v] : data_.asObject()) {
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      error(k, strict_ ? "Extra inputs are not permitted" : "Field was not expected");
    }
  }
}

void ArgCheck::forbid(const std::vector<std::string>& forbidden, const std::string& message) {
  for (const auto& k : forbidden) {
    if (data_.contains(k)) error(k, message);
  }
}

bool ArgCheck::present(const std::string& key, bool required, bool nullable, const Json** out) {
  const Json* v = data_.get(key);
  if (!v) {
    if (required) error(key, strict_ ? "Field required" : "attribute required");
    return false;
  }
  if (v->isNull()) {
    if (!nullable) {
      error(key, strict_ ? "Input should be a valid value" : "null not allowed");
    }
    return false;
  }
  *out = v;
  return true;
}

std::optional<std::string> ArgCheck::str(const std::string& key, bool required, bool nullable) {
  const Json* v = nullptr;
  if (!present(key, required, nullable, &v)) return std::nullopt;
  if (!strict_ && v->isInt() && !v->isBool()) {
    // Legacy Str.clean turns an integer into its decimal string (TS-24.10.2.4:src/middlewared/
    // middlewared/schema/string_schema.py:44-45; TN-13.0-U6.8:.../schema.py Str.clean).
    return std::to_string(v->asInt());
  }
  if (!v->isString()) {
    error(key, strict_ ? "Input should be a valid string" : "Not a string");
    return std::nullopt;
  }
  if (strict_ && v->asString().size() > 1024) {
    error(key, "String should have at most 1024 characters");
    return std::nullopt;
  }
  return v->asString();
}

std::optional<int64_t> ArgCheck::integer(const std::string& key, bool required, bool nullable) {
  const Json* v = nullptr;
  if (!present(key, required, nullable, &v)) return std::nullopt;
  if (!strict_ && v->isString()) {
    // Legacy Int.clean accepts a numeric string (TS-24.10.2.4:src/middlewared/middlewared/schema/
    // integer_schema.py:12-20; TN-13.0-U6.8:.../schema.py Int.clean): int("42"), also " 42".
    const std::string text = v->asString();
    const std::string t(absl::StripAsciiWhitespace(text));
    size_t digits = (!t.empty() && (t[0] == '-' || t[0] == '+')) ? 1 : 0;
    if (t.size() > digits && t.size() - digits <= 18 &&
        t.find_first_not_of("0123456789", digits) == std::string::npos) {
      return std::stoll(t);
    }
  }
  if (!v->isInt() || v->isBool()) {
    error(key, strict_ ? "Input should be a valid integer" : "Not an integer");
    return std::nullopt;
  }
  return v->asInt();
}

std::optional<bool> ArgCheck::boolean(const std::string& key) {
  const Json* v = nullptr;
  if (!present(key, false, false, &v)) return std::nullopt;
  if (!v->isBool()) {
    error(key, strict_ ? "Input should be a valid boolean" : "Not a boolean");
    return std::nullopt;
  }
  return v->asBool();
}

std::optional<std::string> ArgCheck::choice(const std::string& key,
                                            const std::vector<std::string>& choices,
                                            bool required) {
  auto s = str(key, required);
  if (!s) return std::nullopt;
  if (std::find(choices.begin(), choices.end(), *s) == choices.end()) {
    if (strict_) {
      std::string msg = "Input should be ";
      for (size_t i = 0; i < choices.size(); ++i) {
        if (i > 0) msg += (i + 1 == choices.size()) ? " or " : ", ";
        msg += "'" + choices[i] + "'";
      }
      error(key, msg);
    } else {
      error(key, "Invalid choice: " + *s);
    }
    return std::nullopt;
  }
  return s;
}

std::optional<Json::Array> ArgCheck::list(const std::string& key, bool required) {
  const Json* v = nullptr;
  if (!present(key, required, false, &v)) return std::nullopt;
  if (!v->isArray()) {
    error(key, strict_ ? "Input should be a valid list" : "Not a list");
    return std::nullopt;
  }
  return v->asArray();
}

}  // namespace tnascsi::sim

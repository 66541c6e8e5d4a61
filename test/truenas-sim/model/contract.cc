// Contract; see contract.h. The JSON text comes from the generated truenas_api_json.cc.
#include "test/truenas-sim/model/contract.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "test/truenas-sim/model/api_error.h"

namespace tnascsi::sim {

extern const char* const kTrueNasApiJson;  // generated from test/truenas-api/api.json

namespace {

// One check pass over a value against a schema node; errors go to `v` under `attr`.
class Checker {
 public:
  Checker(bool strict, Verrors& v) : strict_(strict), v_(v) {}

  void value(const Json& node, const Json& x, const std::string& attr) {
    if (x.isNull()) {
      if (!node.value("nullable", false).asBool()) {
        v_.add(attr, strict_ ? "Input should be a valid value" : "null not allowed");
      }
      return;
    }
    const std::string type = node.value("type", "any").asString();
    if (type == "string") {
      if (x.isString()) {
        text(node, x.asString(), attr);
      } else if (!strict_ && x.isInt()) {
        text(node, std::to_string(x.asInt()), attr);  // legacy Str.clean coerces integers
      } else {
        v_.add(attr, strict_ ? "Input should be a valid string" : "Not a string");
      }
    } else if (type == "integer") {
      bool ok = x.isInt() || (!strict_ && x.isString() && numeric(x.asString()));
      if (!ok) v_.add(attr, strict_ ? "Input should be a valid integer" : "Not an integer");
    } else if (type == "boolean") {
      if (!x.isBool()) v_.add(attr, strict_ ? "Input should be a valid boolean" : "Not a boolean");
    } else if (type == "array") {
      if (!x.isArray()) {
        v_.add(attr, strict_ ? "Input should be a valid list" : "Not a list");
        return;
      }
      const Json items = node.value("items");
      if (!items.isObject()) return;
      for (size_t i = 0; i < x.size(); ++i) value(items, x.at(i), attr + "." + std::to_string(i));
    } else if (type == "object") {
      if (!x.isObject()) {
        v_.add(attr, strict_ ? "Input should be a valid dictionary" : "Not a dictionary");
        return;
      }
      object(node, x, attr);
    }
  }

 private:
  static bool numeric(const std::string& s) {
    const std::string t(absl::StripAsciiWhitespace(s));
    if (t.empty()) return false;
    size_t start = (t[0] == '-' || t[0] == '+') ? 1 : 0;
    return t.size() > start && t.find_first_not_of("0123456789", start) == std::string::npos;
  }

  void text(const Json& node, const std::string& s, const std::string& attr) {
    const Json en = node.value("enum");
    if (en.isArray()) {
      bool found = false;
      std::string choices;
      for (size_t i = 0; i < en.size(); ++i) {
        found |= en.at(i).asString() == s;
        if (i > 0) choices += (i + 1 == en.size()) ? " or " : ", ";
        choices += "'" + en.at(i).asString() + "'";
      }
      if (!found) v_.add(attr, strict_ ? "Input should be " + choices : "Invalid choice: " + s);
    }
    const int64_t max = node.value("max_length", 0).asInt();
    if (max > 0 && static_cast<int64_t>(s.size()) > max) {
      v_.add(attr, "String should have at most " + std::to_string(max) + " characters");
    }
  }

  void object(const Json& node, const Json& x, const std::string& attr) {
    const Json fields = node.value("fields", Json::object());
    const bool forbid = node.value("extra", "allow").asString() == "forbid";
    for (const auto& [k, sub] : x.asObject()) {
      if (const Json* f = fields.get(k)) {
        value(*f, sub, attr + "." + k);
      } else if (forbid) {
        v_.add(attr + "." + k,
               strict_ ? "Extra inputs are not permitted" : "Field was not expected");
      }
    }
    const Json& required = node.value("required_fields");
    if (!required.isArray()) return;
    for (const Json& r : required.asArray()) {
      if (!x.contains(r.asString())) {
        v_.add(attr + "." + r.asString(), strict_ ? "Field required" : "attribute required");
      }
    }
  }

  bool strict_;
  Verrors& v_;
};

}  // namespace

const Contract& Contract::builtIn() {
  static const Contract contract = [] {
    auto parsed = parse(kTrueNasApiJson);
    return parsed.ok() ? *parsed : Contract();
  }();
  return contract;
}

StatusOr<Contract> Contract::parse(const std::string& text) {
  TNAS_ASSIGN_OR_RETURN(Json doc, Json::parse(text));
  Contract c;
  const Json& methods = doc.value("methods");
  if (!methods.isArray()) return absl::InvalidArgumentError("contract without a methods list");
  for (const Json& e : methods.asArray()) {
    const std::string method = e.value("method").asString();
    if (method.empty() || !e.value("params").isArray() || !e.value("versions").isArray()) {
      return absl::InvalidArgumentError("contract entry without method/params/versions: " +
                                        e.dump());
    }
    for (const Json& ver : e.value("versions").asArray()) {
      if (!c.entries_.emplace(ver.asString() + " " + method, e).second) {
        return absl::InvalidArgumentError("contract describes " + method + " twice for " +
                                          ver.asString());
      }
    }
  }
  return c;
}

bool Contract::describes(const std::string& personality, const std::string& method) const {
  return entries_.count(personality + " " + method) > 0;
}

Status Contract::check(const std::string& personality, const std::string& method,
                       const Json& params) const {
  auto it = entries_.find(personality + " " + method);
  if (it == entries_.end()) return absl::OkStatus();
  const Json& entry = it->second;
  Verrors v;
  const Json& spec = entry.value("params");
  const Json args = params.isArray() ? params : Json::array();
  const bool strict = entry.value("strict", false).asBool();
  if (args.size() > spec.size()) {
    // Legacy: CallError (TS-24.10.2.4:src/middlewared/middlewared/schema/processor.py:148);
    // pydantic: a validation error on "" (TS-25.04.2.6:.../api/base/handler/accept.py:49).
    const std::string message = "Too many arguments (expected " + std::to_string(spec.size()) +
                                ", found " + std::to_string(args.size()) + ")";
    return strict ? validationError(std::nullopt, message) : callError(message);
  }
  Checker checker(strict, v);
  for (size_t i = 0; i < spec.size(); ++i) {
    const Json& p = spec.at(i);
    const std::string name = p.value("name").asString();
    if (i >= args.size()) {
      if (p.value("required", false).asBool()) {
        v.add(name, strict ? "Field required" : "attribute required");
      }
      continue;
    }
    checker.value(p, args.at(i), name);
  }
  TNAS_SIM_VERRORS_CHECK(v);
  return absl::OkStatus();
}

std::vector<std::string> Contract::methods(const std::string& personality) const {
  std::vector<std::string> out;
  const std::string prefix = personality + " ";
  for (const auto& [key, e] : entries_) {
    if (key.rfind(prefix, 0) == 0) out.push_back(key.substr(prefix.size()));
  }
  return out;
}

}  // namespace tnascsi::sim

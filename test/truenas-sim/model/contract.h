// Contract: the machine-readable description of the TrueNAS API in test/truenas-api/api.json
// (method, personalities, positional params, field types, enums, required, extra-forbidden, each
// with the middleware source it was written from), compiled into the simulator. The dispatcher
// checks every call against it before the model runs, and the client's contract test checks every
// request the client sends, so the simulator, the description and the client cannot drift apart.
// Immutable after construction; thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/base/status.h"
#include "test/truenas-sim/json/json.h"

namespace tnascsi::sim {

class Contract {
 public:
  // The description built into this binary (test/truenas-api/api.json).
  static const Contract& builtIn();
  // Parses a description; InvalidArgument when it is malformed.
  static StatusOr<Contract> parse(const std::string& text);

  // Whether the description covers `method` on `personality` ("13.0", "24.10", ...).
  bool describes(const std::string& personality, const std::string& method) const;
  // OK when `params` (the positional array) conform or the method is not described; else
  // ValidationErrors worded like the middleware (legacy @accepts or strict pydantic).
  Status check(const std::string& personality, const std::string& method, const Json& params) const;
  // The methods described for a personality.
  std::vector<std::string> methods(const std::string& personality) const;

 private:
  std::map<std::string, Json> entries_;  // "<personality> <method>" -> entry
};

}  // namespace tnascsi::sim

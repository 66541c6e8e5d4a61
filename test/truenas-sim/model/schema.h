// Argument checking in the two styles TrueNAS uses: legacy `@accepts` schemas (24.10, CORE and
// some 25.x plugins: "Field was not expected", "attribute required", "Not an integer") and strict
// pydantic models (25.04+ iSCSI/NFS, 25.10 pool.dataset: "Extra inputs are not permitted",
// "Field required", "Input should be a valid integer", strings ≤1024). Errors are added to a
// Verrors under "<prefix>.<field>". Not thread-safe (one per call).
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "test/truenas-sim/json/json.h"
#include "test/truenas-sim/model/api_error.h"

namespace tnascsi::sim {

class ArgCheck {
 public:
  ArgCheck(const Json& data, std::string prefix, bool strict, Verrors& verrors);

  // False (and an error added) when data is not an object.
  bool isObject() const { return data_.isObject(); }
  // Flags every key not in `allowed`.
  void allowOnly(const std::vector<std::string>& allowed);
  // Flags the keys in `forbidden` with `message` (e.g. "This field is not valid for VOLUME").
  void forbid(const std::vector<std::string>& forbidden, const std::string& message);

  bool has(const std::string& key) const { return data_.contains(key); }
  std::optional<std::string> str(const std::string& key, bool required = false,
                                 bool nullable = false);
  std::optional<int64_t> integer(const std::string& key, bool required = false,
                                 bool nullable = false);
  std::optional<bool> boolean(const std::string& key);
  std::optional<std::string> choice(const std::string& key, const std::vector<std::string>& choices,
                                    bool required = false);
  std::optional<Json::Array> list(const std::string& key, bool required = false);
  // Adds an error for a field of this schema.
  void error(const std::string& key, const std::string& message, int errnum = 22) {
    verrors_.add(attr(key), message, errnum);
  }
  std::string attr(const std::string& key) const { return prefix_ + "." + key; }
  bool strict() const { return strict_; }

 private:
  bool present(const std::string& key, bool required, bool nullable, const Json** out);
  const Json& data_;
  std::string prefix_;
  bool strict_;
  Verrors& verrors_;
};

}  // namespace tnascsi::sim

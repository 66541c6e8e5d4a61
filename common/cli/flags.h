// Flags: the command-line parser both binaries use. Flags are `--name=value` or `--name value`
// (booleans also `--name` / `--name=false`); `--help` prints the generated usage. Values that were
// not given on the command line can then be filled from a config file with applyConfig(): the
// file's keys are the flag names (so `--log-level` is `log-level:` in YAML), and the command line
// wins. Not thread-safe; used once at start-up.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/base/status.h"
#include "common/config/config_node.h"

namespace tnascsi::common {

class Flags {
 public:
  Flags(std::string program, std::string summary);

  void addString(const std::string& name, std::string* target, const std::string& help);
  void addInt(const std::string& name, int64_t* target, const std::string& help);
  void addBool(const std::string& name, bool* target, const std::string& help);
  // Repeatable flag: each occurrence appends (a config-file list replaces the default).
  void addStringList(const std::string& name, std::vector<std::string>* target,
                     const std::string& help);

  enum class Outcome { kRun, kExit };
  // Parses argv[1..]. kExit after printing --help or --version (caller exits 0). InvalidArgument
  // for unknown flags, missing or malformed values, and positional arguments.
  StatusOr<Outcome> parse(int argc, const char* const* argv);

  // Fills every flag that was not given on the command line from `config` keys of the same name.
  // Unknown keys are InvalidArgument unless listed in `ignoredKeys` (sections the binary parses
  // itself, e.g. the controller's `backends`).
  Status applyConfig(const ConfigNode& config, const std::vector<std::string>& ignoredKeys = {});

  bool wasSet(const std::string& name) const;
  std::string usage() const;
  void setVersionText(std::string text) { versionText_ = std::move(text); }

 private:
  struct Flag {
    enum class Kind { kString, kInt, kBool, kList } kind;
    void* target;
    std::string help;
    std::string defaultText;
    bool set = false;
  };
  void add(const std::string& name, Flag flag);
  Status assign(const std::string& name, Flag& flag, const std::string& value);

  std::string program_;
  std::string summary_;
  std::string versionText_;
  std::map<std::string, Flag> flags_;
  std::vector<std::string> order_;
};

}  // namespace tnascsi::common

// Flags implementation (see flags.h).
#include "common/cli/flags.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>

namespace tnascsi::common {
namespace {

bool parseBool(const std::string& v, bool* out) {
  if (v == "true" || v == "1" || v == "yes") {
    *out = true;
  } else if (v == "false" || v == "0" || v == "no") {
    *out = false;
  } else {
    return false;
  }
  return true;
}

}  // namespace

Flags::Flags(std::string program, std::string summary)
    : program_(std::move(program)), summary_(std::move(summary)) {}

void Flags::add(const std::string& name, Flag flag) {
  order_.push_back(name);
  flags_.emplace(name, std::move(flag));
}

void Flags::addString(const std::string& name, std::string* target, const std::string& help) {
  add(name, {Flag::Kind::kString, target, help, *target});
}
void Flags::addInt(const std::string& name, int64_t* target, const std::string& help) {
  add(name, {Flag::Kind::kInt, target, help, std::to_string(*target)});
}
void Flags::addBool(const std::string& name, bool* target, const std::string& help) {
  add(name, {Flag::Kind::kBool, target, help, *target ? "true" : "false"});
}
void Flags::addStringList(const std::string& name, std::vector<std::string>* target,
                          const std::string& help) {
  std::string def;
  for (const auto& v : *target) def += (def.empty() ? "" : ",") + v;
  add(name, {Flag::Kind::kList, target, help, def});
}

Status Flags::assign(const std::string& name, Flag& flag, const std::string& value) {
  switch (flag.kind) {
    case Flag::Kind::kString:
      *static_cast<std::string*>(flag.target) = value;
      break;
    case Flag::Kind::kInt: {
      errno = 0;
      char* end = nullptr;
      long long v = std::strtoll(value.c_str(), &end, 10);
      if (value.empty() || errno != 0 || *end != '\0') {
        return absl::InvalidArgumentError("--" + name + " expects an integer, got '" + value + "'");
      }
      *static_cast<int64_t*>(flag.target) = v;
      break;
    }
    case Flag::Kind::kBool: {
      bool b = false;
      if (!parseBool(value, &b)) {
        return absl::InvalidArgumentError("--" + name + " expects true or false, got '" + value +
                                          "'");
      }
      *static_cast<bool*>(flag.target) = b;
      break;
    }
    case Flag::Kind::kList: {
      auto* list = static_cast<std::vector<std::string>*>(flag.target);
      if (!flag.set) list->clear();  // the first occurrence replaces the default
      list->push_back(value);
      break;
    }
  }
  flag.set = true;
  return absl::OkStatus();
}

StatusOr<Flags::Outcome> Flags::parse(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << usage();
      return Outcome::kExit;
    }
    if (arg == "--version") {
      std::cout << versionText_ << "\n";
      return Outcome::kExit;
    }
    if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
      return absl::InvalidArgumentError("unexpected argument '" + arg + "' (see --help)");
    }
    std::string name = arg.substr(2);
    std::string value;
    bool hasValue = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      hasValue = true;
    }
    auto it = flags_.find(name);
    if (it == flags_.end()) {
      return absl::InvalidArgumentError("unknown flag --" + name + " (see --help)");
    }
    if (!hasValue) {
      if (it->second.kind == Flag::Kind::kBool) {
        value = "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        return absl::InvalidArgumentError("flag --" + name + " needs a value");
      }
    }
    TNAS_RETURN_IF_ERROR(assign(name, it->second, value));
  }
  return Outcome::kRun;
}

namespace {

// A config scalar as the command line would spell it ("5", "true", "1.5", "text").
StatusOr<std::string> scalarText(const std::string& key, const ConfigNode& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean() || value.is_number()) return value.dump();
  return absl::InvalidArgumentError("config file: bad value for '" + key + "': expected a " +
                                    "string, number or boolean");
}

}  // namespace

Status Flags::applyConfig(const ConfigNode& config, const std::vector<std::string>& ignoredKeys) {
  if (!config.is_object()) return absl::OkStatus();
  for (const auto& item : config.items()) {
    const std::string& key = item.key();
    const ConfigNode& value = item.value();
    bool ignored = false;
    for (const auto& k : ignoredKeys) ignored = ignored || k == key;
    if (ignored) continue;
    auto it = flags_.find(key);
    if (it == flags_.end()) {
      return absl::InvalidArgumentError("config file: unknown key '" + key +
                                        "' (keys are the flag names; see --help)");
    }
    Flag& flag = it->second;
    if (flag.set) continue;  // the command line wins
    if (flag.kind == Flag::Kind::kList) {
      if (!value.is_array()) {
        return absl::InvalidArgumentError("config file: '" + key + "' must be a list");
      }
      for (const ConfigNode& element : value) {
        TNAS_ASSIGN_OR_RETURN(std::string text, scalarText(key, element));
        TNAS_RETURN_IF_ERROR(assign(key, flag, text));
      }
      flag.set = false;  // still "not from the command line"
      continue;
    }
    if (value.is_null()) continue;
    if (value.is_object() || value.is_array()) {
      return absl::InvalidArgumentError("config file: '" + key + "' must be a scalar");
    }
    TNAS_ASSIGN_OR_RETURN(std::string text, scalarText(key, value));
    TNAS_RETURN_IF_ERROR(assign(key, flag, text));
    flag.set = false;
  }
  return absl::OkStatus();
}

bool Flags::wasSet(const std::string& name) const {
  auto it = flags_.find(name);
  return it != flags_.end() && it->second.set;
}

std::string Flags::usage() const {
  std::ostringstream out;
  out << "Usage: " << program_ << " [flags]\n\n" << summary_ << "\n\nFlags:\n";
  for (const auto& name : order_) {
    const Flag& f = flags_.at(name);
    out << "  --" << name;
    switch (f.kind) {
      case Flag::Kind::kString:
        out << " <string>";
        break;
      case Flag::Kind::kInt:
        out << " <int>";
        break;
      case Flag::Kind::kBool:
        break;
      case Flag::Kind::kList:
        out << " <value> (repeatable)";
        break;
    }
    out << "\n      " << f.help;
    if (!f.defaultText.empty()) out << " (default: " << f.defaultText << ")";
    out << "\n";
  }
  out << "  --help\n      Print this help and exit.\n  --version\n      Print the version and "
         "exit.\n";
  return out.str();
}

}  // namespace tnascsi::common

// mkfs option allow-list (see mkfs_options.h).
#include "agent/block/mkfs_options.h"

#include <absl/strings/str_cat.h>

#include <cctype>
#include <map>
#include <set>
#include <string_view>

namespace tnascsi::agent {
namespace {

enum class Kind {
  kFlag,       // no value
  kNumber,     // decimal digits
  kLabel16,    // ext4 label
  kLabel12,    // xfs label
  kUuid,       // hex uuid, or random/time/clear
  kWord,       // [a-z0-9_]+
  kFeatures,   // comma list of [a-z0-9_^]+
  kKeyValues,  // comma list of key[=value] with keys from a set
};

struct Rule {
  Kind kind;
  std::set<std::string> keys;  // for kKeyValues
};

bool allOf(std::string_view s, bool (*ok)(char)) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (!ok(c)) {
      return false;
    }
  }
  return true;
}

bool isDigit(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) != 0;
}
bool isLabelChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.';
}
bool isWordChar(char c) {
  return std::islower(static_cast<unsigned char>(c)) != 0 || isDigit(c) || c == '_';
}
bool isFeatureChar(char c) {
  return isWordChar(c) || c == '^';
}
bool isValueChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.';
}
bool isUuidChar(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == '-';
}

bool splitCommaList(std::string_view s, std::vector<std::string_view>* out) {
  if (s.empty()) {
    return false;
  }
  size_t pos = 0;
  while (pos <= s.size()) {
    const size_t end = std::min(s.find(',', pos), s.size());
    if (end == pos) {
      return false;
    }
    out->push_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return true;
}

bool valueOk(const Rule& rule, std::string_view v) {
  switch (rule.kind) {
    case Kind::kFlag:
      return true;
    case Kind::kNumber:
      return allOf(v, isDigit) && v.size() <= 12;
    case Kind::kLabel16:
      return allOf(v, isLabelChar) && v.size() <= 16;
    case Kind::kLabel12:
      return allOf(v, isLabelChar) && v.size() <= 12;
    case Kind::kUuid:
      return v == "random" || v == "time" || v == "clear" ||
             (allOf(v, isUuidChar) && v.size() == 36);
    case Kind::kWord:
      return allOf(v, isWordChar) && v.size() <= 32;
    case Kind::kFeatures: {
      std::vector<std::string_view> items;
      if (!splitCommaList(v, &items)) {
        return false;
      }
      for (auto item : items) {
        if (!allOf(item, isFeatureChar)) {
          return false;
        }
      }
      return true;
    }
    case Kind::kKeyValues: {
      std::vector<std::string_view> items;
      if (!splitCommaList(v, &items)) {
        return false;
      }
      for (auto item : items) {
        const size_t eq = item.find('=');
        const std::string key(item.substr(0, eq));
        if (rule.keys.count(key) == 0) {
          return false;
        }
        if (eq != std::string_view::npos && !allOf(item.substr(eq + 1), isValueChar)) {
          return false;
        }
      }
      return true;
    }
  }
  return false;
}

const std::map<std::string, Rule>& rulesFor(const std::string& fsType) {
  static const std::map<std::string, Rule> kExt4 = {
      {"-b", {Kind::kNumber, {}}},
      {"-i", {Kind::kNumber, {}}},
      {"-I", {Kind::kNumber, {}}},
      {"-m", {Kind::kNumber, {}}},
      {"-N", {Kind::kNumber, {}}},
      {"-L", {Kind::kLabel16, {}}},
      {"-U", {Kind::kUuid, {}}},
      {"-T", {Kind::kWord, {}}},
      {"-O", {Kind::kFeatures, {}}},
      {"-j", {Kind::kFlag, {}}},
      {"-E",
       {Kind::kKeyValues,
        {"lazy_itable_init", "lazy_journal_init", "nodiscard", "discard", "stride", "stripe_width",
         "stripe-width", "num_backup_sb", "packed_meta_blocks", "root_owner"}}},
      {"-J", {Kind::kKeyValues, {"size"}}},
  };
  static const std::map<std::string, Rule> kXfs = {
      {"-K", {Kind::kFlag, {}}},
      {"-L", {Kind::kLabel12, {}}},
      {"-b", {Kind::kKeyValues, {"size"}}},
      {"-s", {Kind::kKeyValues, {"size"}}},
      {"-m",
       {Kind::kKeyValues, {"crc", "finobt", "reflink", "rmapbt", "bigtime", "inobtcount", "uuid"}}},
      {"-i", {Kind::kKeyValues, {"size", "maxpct", "align", "sparse", "nrext64"}}},
      {"-n", {Kind::kKeyValues, {"size", "ftype"}}},
      {"-d", {Kind::kKeyValues, {"su", "sw", "sunit", "swidth", "agcount", "agsize"}}},
      {"-l", {Kind::kKeyValues, {"size", "su", "sunit", "lazy-count", "version"}}},
  };
  static const std::map<std::string, Rule> kNone;
  if (fsType == "ext4") {
    return kExt4;
  }
  if (fsType == "xfs") {
    return kXfs;
  }
  return kNone;
}

}  // namespace

Status validateMkfsOptions(const std::string& fsType, const std::vector<std::string>& options) {
  if (fsType != "ext4" && fsType != "xfs") {
    return absl::InvalidArgumentError("unsupported filesystem type '" + fsType +
                                      "' (supported: ext4, xfs)");
  }
  const auto& rules = rulesFor(fsType);
  for (size_t i = 0; i < options.size(); ++i) {
    auto it = rules.find(options[i]);
    if (it == rules.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("mkfs.", fsType, " option '", options[i], "' is not allowed"));
    }
    if (it->second.kind == Kind::kFlag) {
      continue;
    }
    if (i + 1 >= options.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("mkfs.", fsType, " option ", options[i], " needs a value"));
    }
    const std::string& value = options[++i];
    if (!valueOk(it->second, value)) {
      return absl::InvalidArgumentError(absl::StrCat("mkfs.", fsType, " option ", options[i - 1],
                                                     " has an invalid value '", value, "'"));
    }
  }
  return absl::OkStatus();
}

StatusOr<std::vector<std::string>> buildMkfsArgv(const std::string& mkfsPath,
                                                 const std::string& fsType,
                                                 const std::vector<std::string>& options,
                                                 const std::string& devnode) {
  TNAS_RETURN_IF_ERROR(validateMkfsOptions(fsType, options));
  if (devnode.empty() || devnode[0] != '/') {
    return absl::InvalidArgumentError("device path must be absolute");
  }
  std::vector<std::string> argv{mkfsPath};
  if (fsType == "ext4") {
    argv.push_back("-F");
    argv.push_back("-q");
  } else {
    argv.push_back("-q");
  }
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back(devnode);
  return argv;
}

}  // namespace tnascsi::agent

// TrueNAS domain types, NFS: shares and their create/update specs. Ids are TrueNAS's integer
// row ids.
// Plain value types: no JSON and no transport types (truenas_client.h converts between these and
// each TrueNAS version's wire format); not synchronized (copy them between threads).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tnascsi::controller::truenas {

struct NfsShare {
  int64_t id = 0;
  std::string path;                // CORE: the first of `paths`
  std::vector<std::string> paths;  // CORE only; SCALE: {path}
  std::string comment;
  std::vector<std::string> networks;
  std::vector<std::string> hosts;
  bool ro = false;
  std::optional<std::string> maprootUser;
  std::optional<std::string> maprootGroup;
  std::optional<std::string> mapallUser;
  std::optional<std::string> mapallGroup;
  std::vector<std::string> security;  // SYS, KRB5, ...
  bool enabled = true;
  bool locked = false;
};

struct NfsShareSpec {
  std::string path;  // sent as `paths: [path]` on CORE
  std::string comment;
  std::vector<std::string> networks;
  std::vector<std::string> hosts;
  bool ro = false;
  std::optional<std::string> maprootUser;
  std::optional<std::string> maprootGroup;
  std::optional<std::string> mapallUser;
  std::optional<std::string> mapallGroup;
  std::vector<std::string> security;
  bool enabled = true;
};

struct NfsShareUpdateSpec {
  std::optional<std::string> comment;
  std::optional<std::vector<std::string>> networks;
  std::optional<std::vector<std::string>> hosts;
  std::optional<bool> ro;
  std::optional<bool> enabled;
};

}  // namespace tnascsi::controller::truenas

// Translation of the simulator's iscsi.config event (docs/simulator-backing.md) into the desired
// LIO state: one LIO target per TrueNAS target (tpgt_1), portals from the target's groups, one
// LUN per target-extent mapping, ACLs from initiator groups (null or empty group: demo mode, every
// initiator admitted), CHAP from the group's auth tag. Pure apart from `fileSize`.
#pragma once

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <functional>
#include <string>

#include "common/base/status.h"
#include "test/guest/backing/lio_model.h"

namespace tnascsi::sim {

// Returns the size in bytes of a backing file (0 if missing).
using FileSizeFn = std::function<uint64_t(const std::string& path)>;

// `config` is the event's "config" object; zvol extents ("disk": "zvol/<name>") map to
// `<root>/zvol/<name>`, FILE extents to their "path". InvalidArgument on a malformed config
// (missing fields, a mapping to an unknown target/extent, an unknown auth tag for CHAP).
StatusOr<LioState> desiredLioState(const Poco::JSON::Object& config, const std::string& root,
                                   const FileSizeFn& fileSize);

// LIO object name for an extent name: [A-Za-z0-9_.-] kept, anything else becomes '_'.
std::string backstoreName(const std::string& extentName);

// "0x589cfc" from an NAA "0x6589cfc000000…" (NAA type 6: the 24-bit OUI follows the type
// nibble); empty if `naa` is not of that form.
std::string companyIdFromNaa(const std::string& naa);

}  // namespace tnascsi::sim

// Mount-option allow-lists. The agent runs privileged and mount options come from users
// (StorageClass mountOptions, PV mountOptions), so only options known to be harmless are accepted;
// anything else is InvalidArgument naming the option. Pure functions, thread-safe.
#pragma once

#include <string>
#include <vector>

#include "common/base/status.h"

namespace tnascsi::agent {

// Splits "a,b,c" into options, dropping empty items.
std::vector<std::string> splitOptions(const std::string& options);

// Joins options with ",".
std::string joinOptions(const std::vector<std::string>& options);

// Validates options for a local filesystem mount (ext4/xfs staging mounts, e.g. "noatime",
// "discard", "data=ordered"). Each item may itself be a comma list. InvalidArgument names the
// first option that is not allowed or carries forbidden characters.
Status validateFsMountOptions(const std::vector<std::string>& options);

// Validates NFS user options ("hard", "soft", "timeo=600", "retrans=2", "nconnect=4",
// "proto=tcp", "ro", "rsize=…", …). `vers=`/`nfsvers=` and `addr=` are refused: the version comes
// from the volume and the address is resolved by the agent.
Status validateNfsMountOptions(const std::vector<std::string>& options);

}  // namespace tnascsi::agent

// mkfs command lines: the allow-list of options the agent passes to mkfs.ext4 / mkfs.xfs and the
// argv it builds. Options arrive as tokens ("-L", "data", "-E", "nodiscard"); every flag must be
// on the list and every value must match the flag's pattern, so nothing can inject another option
// or a path. Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "common/base/status.h"

namespace tnascsi::agent {

// InvalidArgument naming the offending token if `fsType` is not ext4/xfs or an option is not
// allowed.
Status validateMkfsOptions(const std::string& fsType, const std::vector<std::string>& options);

// {mkfsPath, fixed flags..., options..., devnode}. ext4 adds "-F -q" (the caller proved the
// device blank), xfs adds "-q". Validates first.
StatusOr<std::vector<std::string>> buildMkfsArgv(const std::string& mkfsPath,
                                                 const std::string& fsType,
                                                 const std::vector<std::string>& options,
                                                 const std::string& devnode);

}  // namespace tnascsi::agent

// Reconcile planning: the configfs operations that turn the current LIO state into the desired
// one. Pure function, no I/O. Guarantees:
//  - nothing that is unchanged is touched: a LUN, ACL, mapped LUN or portal present in both states
//    with the same content gets no operation, so live sessions survive unrelated changes;
//  - removals come first (mapped LUNs, ACLs, LUNs, portals, targets, backstores), then creations;
//  - a backstore is created with its serial before it is enabled, and emulate_tpu/emulate_tpws are
//    written after enable (writing emulate_tpu first crashes the 6.1 kernel);
//  - planning the desired state against itself yields no operations (idempotent).
#pragma once

#include <vector>

#include "test/guest/backing/configfs_ops.h"
#include "test/guest/backing/lio_model.h"

namespace tnascsi::sim {

std::vector<ConfigfsOp> planLio(const LioState& current, const LioState& desired);

// Path of a backstore / target TPG relative to the LIO root.
std::string backstorePath(const std::string& name);
std::string tpgPath(const std::string& iqn);

}  // namespace tnascsi::sim

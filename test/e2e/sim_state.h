// The simulator's object counts, read from its control plane (`GET /_sim/state`), so end-to-end
// tests can prove a scenario left nothing behind on "TrueNAS".
#pragma once

#include <map>
#include <string>

namespace tnascsi::e2e {

using SimCounts = std::map<std::string, size_t>;  // collection -> number of objects

// Counts of every collection (datasets, snapshots, initiators, auths, targets, extents,
// targetextents, nfs_shares). An empty simUrl yields an empty map and true.
bool readSimCounts(const std::string& simUrl, SimCounts* out, std::string* error);

// "" when equal, else "targets 1->2; " for every collection that changed.
std::string diffSimCounts(const SimCounts& before, const SimCounts& after);

}  // namespace tnascsi::e2e

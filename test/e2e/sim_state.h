// The simulator's object counts, read from its control plane (`GET /_sim/state`), so end-to-end
// tests can prove a scenario left nothing behind on "TrueNAS".
#pragma once

#include <chrono>
#include <map>
#include <string>

namespace tnascsi::e2e {

using SimCounts = std::map<std::string, size_t>;  // collection -> number of objects

// Counts of every collection (datasets, snapshots, initiators, auths, targets, extents,
// targetextents, nfs_shares). An empty simUrl yields an empty map and true.
bool readSimCounts(const std::string& simUrl, SimCounts* out, std::string* error);

// "" when equal, else "targets 1->2; " for every collection that changed.
std::string diffSimCounts(const SimCounts& before, const SimCounts& after);

// How long the end-to-end tests wait for the controller's leftover sweep (it runs 5 s after the
// last iSCSI delete; the guest is slow).
inline constexpr std::chrono::milliseconds kSweepWait{30000};

// The "nothing left on TrueNAS" check: polls until the counts equal `baseline` or `timeout`
// passes. Waiting is part of the contract: after an iSCSI DeleteVolume the controller removes the
// initiator group TrueNAS's cascade leaves in a debounced background sweep (a few seconds later).
// True and *detail "simulator objects back to baseline (after N ms)" when they match; false with
// the difference (or the read error) in *detail. An empty simUrl is "not checked", true.
bool simBackToBaseline(const std::string& simUrl, const SimCounts& baseline,
                       std::chrono::milliseconds timeout, std::string* detail);

}  // namespace tnascsi::e2e

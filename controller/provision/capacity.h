// Capacity rules: turn a CSI capacity range into the size a volume gets. Pure; thread-safe.
//
//  - nothing requested -> kDefaultCapacity (1 GiB), capped by the limit;
//  - at least `minimum` (xfs 300 MiB, NFS refquota 1 GiB), then rounded up to `granularity`
//    (the zvol volblocksize);
//  - the result must not exceed a non-zero limit: if rounding up passes it, the limit rounded down
//    is used when it still satisfies required/minimum; otherwise OUT_OF_RANGE naming the numbers;
//  - the result must not exceed kMaxCapacity (OUT_OF_RANGE).
#pragma once

#include <cstdint>

#include "common/base/status.h"

namespace tnascsi::controller::provision {

inline constexpr uint64_t kGiB = 1024ULL * 1024 * 1024;
inline constexpr uint64_t kMiB = 1024ULL * 1024;
inline constexpr uint64_t kDefaultCapacity = kGiB;
inline constexpr uint64_t kXfsMinimum = 300 * kMiB;
inline constexpr uint64_t kNfsMinimum = kGiB;  // TrueNAS refquota minimum
// The largest volume (zvol volsize or NFS refquota), after rounding: 1 EiB. Far above any pool
// TrueNAS builds today, and well below 2^63 - 1, past which a CSI int64 capacity would wrap.
inline constexpr uint64_t kMaxCapacity = 1ULL << 60;

StatusOr<uint64_t> resolveCapacity(uint64_t requiredBytes, uint64_t limitBytes, uint64_t minimum,
                                   uint64_t granularity);

// True when an existing volume of `capacity` satisfies the range (required <= capacity, and
// capacity <= limit when a limit is set).
bool capacityCompatible(uint64_t capacity, uint64_t requiredBytes, uint64_t limitBytes);

}  // namespace tnascsi::controller::provision

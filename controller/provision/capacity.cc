// Capacity rounding and limits (see capacity.h).
#include "controller/provision/capacity.h"

#include <algorithm>
#include <string>

namespace tnascsi::controller::provision {

StatusOr<uint64_t> resolveCapacity(uint64_t required, uint64_t limit, uint64_t minimum,
                                   uint64_t granularity) {
  if (granularity == 0) granularity = 1;
  if (limit > 0 && required > limit) {
    return absl::OutOfRangeError("capacity_range.required_bytes " + std::to_string(required) +
                                 " exceeds limit_bytes " + std::to_string(limit));
  }
  uint64_t want = required;
  if (want == 0) want = limit > 0 ? std::min(kDefaultCapacity, limit) : kDefaultCapacity;
  want = std::max(want, minimum);
  auto tooLarge = [](uint64_t bytes) {
    return absl::OutOfRangeError("capacity " + std::to_string(bytes) +
                                 " is larger than the maximum volume size " +
                                 std::to_string(kMaxCapacity) + " (1 EiB)");
  };
  if (want > kMaxCapacity) return tooLarge(want);
  uint64_t size = (want + granularity - 1) / granularity * granularity;
  if (size > kMaxCapacity) return tooLarge(size);  // checked after rounding
  if (limit > 0 && size > limit) {
    uint64_t down = limit / granularity * granularity;
    if (down >= std::max(required, minimum) && down > 0) return down;
    return absl::OutOfRangeError("capacity_range.limit_bytes " + std::to_string(limit) +
                                 " is below the smallest possible size " + std::to_string(size) +
                                 " (minimum " + std::to_string(minimum) + ", granularity " +
                                 std::to_string(granularity) + ")");
  }
  return size;
}

bool capacityCompatible(uint64_t capacity, uint64_t required, uint64_t limit) {
  return capacity >= required && (limit == 0 || capacity <= limit);
}

}  // namespace tnascsi::controller::provision

// Capacity rounding, minimums and limits (table-driven).
#include "controller/provision/capacity.h"

#include <gtest/gtest.h>

namespace tnascsi::controller::provision {
namespace {

constexpr uint64_t K16 = 16384;

TEST(Capacity, Table) {
  struct Case {
    uint64_t required, limit, minimum, granularity;
    std::optional<uint64_t> want;  // nullopt = OUT_OF_RANGE
  } cases[] = {
      {0, 0, 0, K16, kGiB},                           // default 1 GiB
      {0, 512 * kMiB, 0, K16, 512 * kMiB},            // default capped by the limit
      {1, 0, 0, K16, K16},                            // rounded up to volblocksize
      {kGiB + 1, 0, 0, K16, kGiB + K16},              // rounded up
      {kGiB, kGiB, 0, K16, kGiB},                     // exact
      {kGiB + 1, kGiB + 100, 0, K16, std::nullopt},   // rounding passes the limit, down < required
      {10 * kMiB, 0, kXfsMinimum, K16, kXfsMinimum},  // xfs minimum
      {10 * kMiB, 200 * kMiB, kXfsMinimum, K16, std::nullopt},  // limit forbids the xfs minimum
      {0, 0, kNfsMinimum, 1, kGiB},                             // NFS minimum
      {100 * kMiB, 0, kNfsMinimum, 1, kGiB},                    // NFS rounds up to 1 GiB
      {100 * kMiB, 500 * kMiB, kNfsMinimum, 1, std::nullopt},
      {2 * kGiB, kGiB, 0, K16, std::nullopt},               // required > limit
      {0, kGiB + 100, 0, K16, kGiB},                        // default fits
      {kGiB - 10, kGiB + 100, 0, K16, kGiB},                // rounds up within the limit
      {INT64_MAX, 0, 0, K16, std::nullopt},                 // 2^63-1 would round past int64
      {kMaxCapacity - 1, 0, 0, K16, kMaxCapacity},          // rounds up to the maximum
      {kMaxCapacity, 0, 0, K16, kMaxCapacity},              // the maximum itself
      {8 * kMaxCapacity, 0, kNfsMinimum, 1, std::nullopt},  // an 8 EiB refquota
  };
  for (const auto& c : cases) {
    auto got = resolveCapacity(c.required, c.limit, c.minimum, c.granularity);
    if (c.want) {
      ASSERT_TRUE(got.ok()) << c.required << " " << c.limit << ": " << got.status();
      EXPECT_EQ(*got, *c.want) << c.required << " " << c.limit;
      EXPECT_EQ(*got % c.granularity, 0u);
    } else {
      EXPECT_EQ(got.status().code(), StatusCode::kOutOfRange) << c.required << " " << c.limit;
    }
  }
}

TEST(Capacity, Compatibility) {
  EXPECT_TRUE(capacityCompatible(kGiB, kGiB, 0));
  EXPECT_TRUE(capacityCompatible(kGiB, 0, 0));
  EXPECT_FALSE(capacityCompatible(kGiB, 2 * kGiB, 0));
  EXPECT_FALSE(capacityCompatible(2 * kGiB, 0, kGiB));
}

}  // namespace
}  // namespace tnascsi::controller::provision

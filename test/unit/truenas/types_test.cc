// Tests of the domain-type helpers and that the GMock double compiles against the interface.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "controller/truenas/query_types.h"
#include "controller/truenas/system_types.h"
#include "test/fakes/truenas/mock_truenas_api.h"

namespace tnascsi::controller::truenas {
namespace {

using ::testing::Return;
using ::testing::StrictMock;

TEST(ProductTypeTest, ParsesEveryKnownNameAndRoundTrips) {
  for (ProductType t : {ProductType::kScale, ProductType::kScaleEnterprise,
                        ProductType::kCommunityEdition, ProductType::kCore}) {
    EXPECT_EQ(parseProductType(productTypeName(t)), t);
  }
  EXPECT_EQ(parseProductType("ENTERPRISE_PLUS"), ProductType::kUnknown);
  EXPECT_EQ(parseProductType(""), ProductType::kUnknown);
}

TEST(FilterOpTest, WireStrings) {
  EXPECT_EQ(filterOpString(FilterOp::kEq), "=");
  EXPECT_EQ(filterOpString(FilterOp::kEq, true), "C=");
  EXPECT_EQ(filterOpString(FilterOp::kStartsWith), "^");
  EXPECT_EQ(filterOpString(FilterOp::kNotStartsWith, true), "C!^");
  EXPECT_EQ(filterOpString(FilterOp::kContains), "rin");
  EXPECT_EQ(filterOpString(FilterOp::kNotEndsWith), "!$");
  EXPECT_EQ(filterOpString(FilterOp::kRegex, true), "~");  // no C~ in TrueNAS
}

TEST(QueryFilterTest, BuildsConjunctionsAndOrGroups) {
  QueryFilter f = QueryFilter::where("name", FilterOp::kEq, std::string("a"));
  f.and_("lunid", FilterOp::kGe, int64_t{3})
      .andAnyOf({QueryFilter::where("x", FilterOp::kEq, true),
                 QueryFilter::where("y", FilterOp::kEq, nullptr)});
  ASSERT_EQ(f.conditions().size(), 3u);
  const auto& t = std::get<QueryFilter::Term>(f.conditions()[1]);
  EXPECT_EQ(t.field, "lunid");
  EXPECT_EQ(std::get<int64_t>(t.value), 3);
  const auto& o = std::get<QueryFilter::Or>(f.conditions()[2]);
  EXPECT_EQ(o.branches.size(), 2u);
  EXPECT_TRUE(QueryFilter().empty());
}

TEST(QueryFilterTest, EscapesDotsInFieldComponents) {
  EXPECT_EQ(QueryFilter::escapeFieldComponent("org.example:pvc"), "org\\.example:pvc");
  EXPECT_EQ(QueryFilter::escapeFieldComponent("csi:pvc"), "csi:pvc");
}

TEST(VersionTest, OrdersByNumbers) {
  Version a = Version::of(25, 4, 2);
  Version b = Version::of(25, 10);
  EXPECT_TRUE(a < b);
  EXPECT_FALSE(b < a);
  EXPECT_TRUE(b.atLeast(25, 10));
  EXPECT_FALSE(a.atLeast(25, 10));
}

TEST(MockTrueNasApiTest, IsUsableAsTrueNasApi) {
  StrictMock<MockTrueNasApi> mock;
  EXPECT_CALL(mock, getDataset("tank/x")).WillOnce(Return(absl::NotFoundError("missing")));
  TrueNasApi& api = mock;
  EXPECT_EQ(api.getDataset("tank/x").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace tnascsi::controller::truenas

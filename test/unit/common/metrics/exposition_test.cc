// The exposition format's escaping, value spelling and name rules.
#include "common/metrics/exposition.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace tnascsi::common::metrics {
namespace {

TEST(ExpositionTest, ValuesUseShortestExactForm) {
  EXPECT_EQ(formatValue(0), "0");
  EXPECT_EQ(formatValue(3), "3");
  EXPECT_EQ(formatValue(0.005), "0.005");
  EXPECT_EQ(formatValue(-2.5), "-2.5");
  EXPECT_EQ(formatValue(1e21), "1e+21");
  EXPECT_EQ(formatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(formatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(formatValue(std::nan("")), "NaN");
}

TEST(ExpositionTest, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(escapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  EXPECT_EQ(escapeHelp("a\"b\\c\nd"), "a\"b\\\\c\\nd");  // quotes stay in HELP
  std::string out;
  appendSample(&out, "m", {"path"}, {"/x\"y"}, 1, "le", "+Inf");
  EXPECT_EQ(out, "m{path=\"/x\\\"y\",le=\"+Inf\"} 1\n");
}

TEST(ExpositionTest, NameRules) {
  EXPECT_TRUE(validMetricName("truenas_csi_rpc_requests_total"));
  EXPECT_TRUE(validMetricName("a:b"));
  EXPECT_FALSE(validMetricName(""));
  EXPECT_FALSE(validMetricName("9a"));
  EXPECT_FALSE(validMetricName("a-b"));
  EXPECT_TRUE(validLabelName("method"));
  EXPECT_FALSE(validLabelName("__name__"));
  EXPECT_FALSE(validLabelName("a:b"));
  EXPECT_FALSE(validLabelName(""));
}

}  // namespace
}  // namespace tnascsi::common::metrics

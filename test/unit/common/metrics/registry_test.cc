// Registry: families, children, histograms and the exact text exposition they render.
#include "common/metrics/registry.h"

#include <gtest/gtest.h>

#include <thread>

namespace tnascsi::common::metrics {
namespace {

TEST(RegistryTest, CounterFamilyRendersHelpTypeAndSortedChildren) {
  Registry r;
  auto& f = r.counter("test_calls_total", "Calls made.", {"method", "code"});
  f.with({"b", "OK"}).inc();
  f.with({"a", "NOT_FOUND"}).inc(2);
  f.with({"b", "OK"}).inc();
  EXPECT_EQ(r.render(),
            "# HELP test_calls_total Calls made.\n"
            "# TYPE test_calls_total counter\n"
            "test_calls_total{method=\"a\",code=\"NOT_FOUND\"} 2\n"
            "test_calls_total{method=\"b\",code=\"OK\"} 2\n");
}

TEST(RegistryTest, CounterNeverGoesDown) {
  Registry r;
  Counter& c = r.counter("test_x_total", "x").with({});
  c.inc(3);
  c.inc(-1);
  c.inc(0);
  EXPECT_EQ(c.value(), 3);
}

TEST(RegistryTest, FamiliesWithoutLabelsStartAtZero) {
  Registry r;
  r.gauge("test_up", "Up.");
  r.counter("test_a_total", "A.");
  EXPECT_EQ(r.render(),
            "# HELP test_a_total A.\n# TYPE test_a_total counter\ntest_a_total 0\n"
            "# HELP test_up Up.\n# TYPE test_up gauge\ntest_up 0\n");
}

TEST(RegistryTest, HistogramBucketsAreCumulativeAndInclusive) {
  Registry r;
  auto& h = r.histogram("test_duration_seconds", "D.", {"phase"}, {0.1, 1});
  Histogram& login = h.with({"login"});
  login.observe(0.1);  // le is inclusive: first bucket
  login.observe(0.5);  // second
  login.observe(7);    // +Inf only
  EXPECT_EQ(r.render(),
            "# HELP test_duration_seconds D.\n"
            "# TYPE test_duration_seconds histogram\n"
            "test_duration_seconds_bucket{phase=\"login\",le=\"0.1\"} 1\n"
            "test_duration_seconds_bucket{phase=\"login\",le=\"1\"} 2\n"
            "test_duration_seconds_bucket{phase=\"login\",le=\"+Inf\"} 3\n"
            "test_duration_seconds_sum{phase=\"login\"} 7.6\n"
            "test_duration_seconds_count{phase=\"login\"} 3\n");
}

TEST(RegistryTest, SameDefinitionReturnsSameFamily) {
  Registry r;
  auto& a = r.counter("test_same_total", "S.", {"k"});
  auto& b = r.counter("test_same_total", "S.", {"k"});
  EXPECT_EQ(&a, &b);
}

TEST(RegistryTest, CollectorSamplesReplaceStoredChildren) {
  Registry r;
  auto& g = r.gauge("test_sessions", "Sessions.");
  int calls = 0;
  g.addCollector([&calls] {
    ++calls;
    return std::vector<Sample>{{{}, 4}};
  });
  EXPECT_EQ(r.render(),
            "# HELP test_sessions Sessions.\n# TYPE test_sessions gauge\n"
            "test_sessions 4\n");
  EXPECT_EQ(calls, 1);
}

TEST(RegistryTest, CollectorSampleWithWrongArityIsDropped) {
  Registry r;
  auto& g = r.gauge("test_layout_info", "L.", {"layout"});
  g.addCollector([] { return std::vector<Sample>{{{}, 1}, {{"v2"}, 1}}; });
  EXPECT_EQ(r.render(),
            "# HELP test_layout_info L.\n# TYPE test_layout_info gauge\n"
            "test_layout_info{layout=\"v2\"} 1\n");
}

TEST(RegistryTest, ConcurrentIncrementsAreNotLost) {
  Registry r;
  auto& f = r.counter("test_par_total", "P.", {"t"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) f.with({"x"}).inc();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(f.with({"x"}).value(), 40000);
}

using RegistryDeathTest = ::testing::Test;

TEST(RegistryDeathTest, NamingRulesAreEnforced) {
  Registry r;
  EXPECT_DEATH(r.counter("test_calls", "no _total"), "counters, and only counters");
  EXPECT_DEATH(r.gauge("test_open_total", "gauge with _total"), "counters, and only counters");
  EXPECT_DEATH(r.gauge("1bad", "bad"), "invalid metric name");
  EXPECT_DEATH(r.gauge("test_g", "g", {"__reserved"}), "invalid label name");
  EXPECT_DEATH(r.histogram("test_h_seconds", "h", {"le"}, {1}), "invalid label name");
  EXPECT_DEATH(r.histogram("test_h_seconds", "h", {}, {2, 1}), "strictly increasing");
  EXPECT_DEATH(r.gauge("test_x_count", "x"), "reserved");
  r.counter("test_k_total", "k", {"a"});
  EXPECT_DEATH(r.counter("test_k_total", "k", {"b"}), "registered again");
  EXPECT_DEATH(r.counter("test_k_total", "k", {"a"}).with({"1", "2"}), "label values");
}

}  // namespace
}  // namespace tnascsi::common::metrics

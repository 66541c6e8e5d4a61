// The pieces of the Prometheus text exposition format 0.0.4 (the format every Prometheus server
// scrapes, `text/plain; version=0.0.4`), written by hand:
//   # HELP <name> <help, with \ and newline escaped>
//   # TYPE <name> counter|gauge|histogram
//   <name>{<label>="<value, with \ " and newline escaped>",...} <value>
// Values use the shortest decimal form that reads back exactly; +Inf, -Inf and NaN as spelled
// here. Histograms are written as cumulative <name>_bucket{...,le="<bound>"} lines ending with
// le="+Inf", then <name>_sum and <name>_count.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tnascsi::common::metrics {

inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool validMetricName(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" (reserved by Prometheus).
bool validLabelName(std::string_view name);

std::string escapeHelp(std::string_view help);
std::string escapeLabelValue(std::string_view value);
std::string formatValue(double v);

// Appends `name{n1="v1",...} value\n`. `extraName`/`extraValue` add one more label (le).
void appendSample(std::string* out, const std::string& name,
                  const std::vector<std::string>& labelNames,
                  const std::vector<std::string>& labelValues, double value,
                  std::string_view extraName = {}, std::string_view extraValue = {});

}  // namespace tnascsi::common::metrics

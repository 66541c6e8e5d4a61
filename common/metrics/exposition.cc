// Text exposition format 0.0.4 helpers (see exposition.h).
#include "common/metrics/exposition.h"

#include <charconv>
#include <cmath>

namespace tnascsi::common::metrics {
namespace {

bool isAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

bool validMetricName(std::string_view name) {
  if (name.empty() || !(isAlpha(name[0]) || name[0] == ':')) return false;
  for (char c : name) {
    if (!isAlpha(c) && !isDigit(c) && c != ':') return false;
  }
  return true;
}

bool validLabelName(std::string_view name) {
  if (name.empty() || !isAlpha(name[0]) || name.substr(0, 2) == "__") return false;
  for (char c : name) {
    if (!isAlpha(c) && !isDigit(c)) return false;
  }
  return true;
}

std::string escapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string escapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string formatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return "NaN";
  return std::string(buf, end);
}

void appendSample(std::string* out, const std::string& name,
                  const std::vector<std::string>& labelNames,
                  const std::vector<std::string>& labelValues, double value,
                  std::string_view extraName, std::string_view extraValue) {
  *out += name;
  if (!labelNames.empty() || !extraName.empty()) {
    *out += '{';
    bool first = true;
    auto label = [&](std::string_view n, std::string_view v) {
      if (!first) *out += ',';
      first = false;
      *out += n;
      *out += "=\"";
      *out += escapeLabelValue(v);
      *out += '"';
    };
    for (size_t i = 0; i < labelNames.size() && i < labelValues.size(); ++i) {
      label(labelNames[i], labelValues[i]);
    }
    if (!extraName.empty()) label(extraName, extraValue);
    *out += '}';
  }
  *out += ' ';
  *out += formatValue(value);
  *out += '\n';
}

}  // namespace tnascsi::common::metrics

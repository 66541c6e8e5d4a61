// Registry, families and the three metric kinds (see registry.h).
#include "common/metrics/registry.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "common/metrics/exposition.h"

namespace tnascsi::common::metrics {
namespace {

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "metrics: %s\n", what.c_str());
  std::abort();
}

bool endsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

const char* typeName(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

void Counter::inc(double delta) {
  if (delta > 0) value_.fetch_add(delta);
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double v) {
  // First bucket whose upper bound is >= v (le is inclusive); past the last bound: +Inf.
  const size_t i =
      static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  std::lock_guard<std::mutex> lock(mu_);
  ++counts_[i];
  ++count_;
  sum_ += v;
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.bounds = bounds_;
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t running = 0;
  for (uint64_t c : counts_) {
    running += c;
    s.cumulative.push_back(running);
  }
  s.count = count_;
  s.sum = sum_;
  return s;
}

FamilyBase::FamilyBase(MetricType type, std::string name, std::string help,
                       std::vector<std::string> labelNames, std::vector<double> buckets)
    : type_(type),
      name_(std::move(name)),
      help_(std::move(help)),
      labelNames_(std::move(labelNames)),
      buckets_(std::move(buckets)) {}

void FamilyBase::checkArity(const LabelValues& values) const {
  if (values.size() != labelNames_.size()) {
    fail(name_ + ": " + std::to_string(values.size()) + " label values for " +
         std::to_string(labelNames_.size()) + " label names");
  }
}

void FamilyBase::addCollector(std::function<std::vector<Sample>()> collector) {
  if (type_ == MetricType::kHistogram) fail(name_ + ": histograms take no collector");
  std::lock_guard<std::mutex> lock(mu_);
  collectors_.push_back(std::move(collector));
}

void FamilyBase::render(std::string* out) const {
  *out += "# HELP " + name_ + " " + escapeHelp(help_) + "\n";
  *out += "# TYPE " + name_ + " " + typeName(type_) + "\n";
  std::vector<std::function<std::vector<Sample>()>> collectors;
  {
    std::lock_guard<std::mutex> lock(mu_);
    collectors = collectors_;
  }
  if (collectors.empty()) renderChildren(out);
  for (const auto& collect : collectors) {
    for (const Sample& s : collect()) {
      if (s.labels.size() != labelNames_.size()) continue;  // a collector bug; never half a line
      appendSample(out, name_, labelNames_, s.labels, s.value);
    }
  }
}

template <>
std::unique_ptr<Counter> Family<Counter>::make() const {
  return std::make_unique<Counter>();
}
template <>
std::unique_ptr<Gauge> Family<Gauge>::make() const {
  return std::make_unique<Gauge>();
}
template <>
std::unique_ptr<Histogram> Family<Histogram>::make() const {
  return std::make_unique<Histogram>(buckets_);
}

template <>
void Family<Counter>::renderChildren(std::string* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [values, c] : children_)
    appendSample(out, name_, labelNames_, values, c->value());
}
template <>
void Family<Gauge>::renderChildren(std::string* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [values, g] : children_)
    appendSample(out, name_, labelNames_, values, g->value());
}
template <>
void Family<Histogram>::renderChildren(std::string* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string bucket = name_ + "_bucket";
  for (const auto& [values, h] : children_) {
    const Histogram::Snapshot s = h->snapshot();
    for (size_t i = 0; i < s.bounds.size(); ++i) {
      appendSample(out, bucket, labelNames_, values, static_cast<double>(s.cumulative[i]), "le",
                   formatValue(s.bounds[i]));
    }
    appendSample(out, bucket, labelNames_, values, static_cast<double>(s.count), "le", "+Inf");
    appendSample(out, name_ + "_sum", labelNames_, values, s.sum);
    appendSample(out, name_ + "_count", labelNames_, values, static_cast<double>(s.count));
  }
}

Registry& Registry::global() {
  static Registry* registry = new Registry();  // never destroyed: exit-time scrapes stay safe
  return *registry;
}

FamilyBase& Registry::add(MetricType type, const std::string& name, const std::string& help,
                          const std::vector<std::string>& labelNames,
                          const std::vector<double>& buckets) {
  if (!validMetricName(name)) fail("invalid metric name '" + name + "'");
  const bool total = endsWith(name, "_total");
  if ((type == MetricType::kCounter) != total) {
    fail(name + ": counters, and only counters, end in _total");
  }
  for (const char* reserved : {"_bucket", "_count", "_sum"}) {
    if (endsWith(name, reserved)) fail(name + ": the suffix " + reserved + " is reserved");
  }
  for (const auto& l : labelNames) {
    if (!validLabelName(l) || (type == MetricType::kHistogram && l == "le")) {
      fail(name + ": invalid label name '" + l + "'");
    }
  }
  if (type == MetricType::kHistogram) {
    if (buckets.empty() || !std::is_sorted(buckets.begin(), buckets.end()) ||
        std::adjacent_find(buckets.begin(), buckets.end()) != buckets.end()) {
      fail(name + ": buckets must be strictly increasing and not empty");
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(name);
  if (it != families_.end()) {
    const FamilyBase& f = *it->second;
    if (f.type() != type || f.labelNames() != labelNames || f.buckets() != buckets) {
      fail(name + ": registered again with a different type, labels or buckets");
    }
    return *it->second;
  }
  std::unique_ptr<FamilyBase> family;
  switch (type) {
    case MetricType::kCounter:
      family = std::make_unique<Family<Counter>>(type, name, help, labelNames, buckets);
      break;
    case MetricType::kGauge:
      family = std::make_unique<Family<Gauge>>(type, name, help, labelNames, buckets);
      break;
    case MetricType::kHistogram:
      family = std::make_unique<Family<Histogram>>(type, name, help, labelNames, buckets);
      break;
  }
  return *families_.emplace(name, std::move(family)).first->second;
}

Family<Counter>& Registry::counter(const std::string& name, const std::string& help,
                                   const std::vector<std::string>& labelNames) {
  auto& f = static_cast<Family<Counter>&>(add(MetricType::kCounter, name, help, labelNames, {}));
  if (labelNames.empty()) f.with({});
  return f;
}

Family<Gauge>& Registry::gauge(const std::string& name, const std::string& help,
                               const std::vector<std::string>& labelNames) {
  auto& f = static_cast<Family<Gauge>&>(add(MetricType::kGauge, name, help, labelNames, {}));
  if (labelNames.empty()) f.with({});
  return f;
}

Family<Histogram>& Registry::histogram(const std::string& name, const std::string& help,
                                       const std::vector<std::string>& labelNames,
                                       const std::vector<double>& buckets) {
  auto& f =
      static_cast<Family<Histogram>&>(add(MetricType::kHistogram, name, help, labelNames, buckets));
  if (labelNames.empty()) f.with({});
  return f;
}

std::string Registry::render() const {
  std::vector<const FamilyBase*> families;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, f] : families_) families.push_back(f.get());
  }
  std::string out;
  for (const FamilyBase* f : families) f->render(&out);
  return out;
}

const std::vector<double>& latencyBuckets() {
  static const std::vector<double> buckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                              1,     2.5,  5,     10,   30,  60,   120};
  return buckets;
}

}  // namespace tnascsi::common::metrics

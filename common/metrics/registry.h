// Registry: the process's Prometheus metrics — counters, gauges and histograms with fixed
// buckets, each a family with fixed label names — and their text exposition (format 0.0.4,
// written by hand in exposition.cc: Debian 12 packages no Prometheus client library for C++).
//
//   auto& calls = Registry::global().counter("truenas_csi_x_total", "What it counts.", {"code"});
//   calls.with({"OK"}).inc();
//
// Families live as long as the registry and are never removed, so references to families and to
// their children stay valid. Registering a name again returns the same family when the type,
// label names and buckets agree. Programming errors (an invalid or clashing name, a wrong number
// of label values, a counter name without `_total`) abort with a message: they are bugs that
// every test run would show, not conditions to handle.
//
// A family can also have a collector: a function called at each render() that returns samples
// computed then (connection state, sessions on this host). Collectors run on the scraping
// thread and must be thread-safe; whatever they capture must outlive the registry's use.
//
// Thread-safe: observations are atomic or take a per-child mutex; render() may run concurrently.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace tnascsi::common::metrics {

enum class MetricType { kCounter, kGauge, kHistogram };

using LabelValues = std::vector<std::string>;

class Counter {
 public:
  // Adds `delta`; negative deltas are ignored (a counter never goes down).
  void inc(double delta = 1.0);
  double value() const { return value_.load(); }

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v); }
  void inc(double delta = 1.0) { value_.fetch_add(delta); }
  void dec(double delta = 1.0) { value_.fetch_sub(delta); }
  double value() const { return value_.load(); }

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  // `bounds`: the upper bounds of the buckets, strictly increasing, without +Inf.
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf (== count)
    uint64_t count = 0;
    double sum = 0;
  };
  Snapshot snapshot() const;

 private:
  const std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::vector<uint64_t> counts_;  // per bucket, last one +Inf; guarded by mu_
  uint64_t count_ = 0;            // guarded by mu_
  double sum_ = 0;                // guarded by mu_
};

// One computed sample of a collector.
struct Sample {
  LabelValues labels;
  double value = 0;
};

class FamilyBase {
 public:
  FamilyBase(MetricType type, std::string name, std::string help,
             std::vector<std::string> labelNames, std::vector<double> buckets);
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  MetricType type() const { return type_; }
  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& labelNames() const { return labelNames_; }
  const std::vector<double>& buckets() const { return buckets_; }

  // Adds a collector (counters and gauges only). A family with collectors renders their samples
  // only (not its stored children, e.g. the zero child of a family without labels).
  void addCollector(std::function<std::vector<Sample>()> collector);

  // Appends this family in text format 0.0.4 (HELP, TYPE, samples) to *out.
  void render(std::string* out) const;

 protected:
  void checkArity(const LabelValues& values) const;
  virtual void renderChildren(std::string* out) const = 0;

  const MetricType type_;
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> labelNames_;
  const std::vector<double> buckets_;
  mutable std::mutex mu_;
  std::vector<std::function<std::vector<Sample>()>> collectors_;  // guarded by mu_
};

template <typename T>
class Family final : public FamilyBase {
 public:
  using FamilyBase::FamilyBase;

  // The child for `values` (one per label name, in order), created at zero on first use.
  T& with(const LabelValues& values) {
    checkArity(values);
    std::lock_guard<std::mutex> lock(mu_);
    auto it = children_.find(values);
    if (it == children_.end()) it = children_.emplace(values, make()).first;
    return *it->second;
  }

 private:
  std::unique_ptr<T> make() const;
  void renderChildren(std::string* out) const override;

  std::map<LabelValues, std::unique_ptr<T>> children_;  // guarded by mu_
};

// Defined in registry.cc for the three kinds.
template <>
std::unique_ptr<Counter> Family<Counter>::make() const;
template <>
std::unique_ptr<Gauge> Family<Gauge>::make() const;
template <>
std::unique_ptr<Histogram> Family<Histogram>::make() const;
template <>
void Family<Counter>::renderChildren(std::string* out) const;
template <>
void Family<Gauge>::renderChildren(std::string* out) const;
template <>
void Family<Histogram>::renderChildren(std::string* out) const;

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // The registry both binaries expose on /metrics.
  static Registry& global();

  // Families without labels get their single child at once, so they are exposed as 0 from start.
  Family<Counter>& counter(const std::string& name, const std::string& help,
                           const std::vector<std::string>& labelNames = {});
  Family<Gauge>& gauge(const std::string& name, const std::string& help,
                       const std::vector<std::string>& labelNames = {});
  Family<Histogram>& histogram(const std::string& name, const std::string& help,
                               const std::vector<std::string>& labelNames,
                               const std::vector<double>& buckets);

  // Every family in text format 0.0.4, sorted by name.
  std::string render() const;

 private:
  FamilyBase& add(MetricType type, const std::string& name, const std::string& help,
                  const std::vector<std::string>& labelNames, const std::vector<double>& buckets);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<FamilyBase>> families_;  // guarded by mu_
};

// Bucket sets used by the driver's histograms (seconds).
// CSI calls and TrueNAS calls: 5 ms .. 2 min.
const std::vector<double>& latencyBuckets();

}  // namespace tnascsi::common::metrics

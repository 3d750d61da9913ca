// Metrics primitives for shoald's admin listener: counters, gauges and
// fixed-bucket histograms, grouped in labelled families held by a Registry,
// exposed in Prometheus text format (see prometheus.hpp).
//
// Single-threaded (the daemon's event loop): plain integers, no atomics.
// Family::with() looks a series up by its label values (a map lookup that
// builds a key); hot paths keep the returned reference, which stays valid
// until that series is removed.
#pragma once

#include <stdint.h>

#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <shoal/base/result.hpp>

namespace shoal::pool::metrics {

class Counter {
 public:
  void inc(uint64_t n = 1) { m_value += n; }
  uint64_t value() const { return m_value; }

 private:
  uint64_t m_value = 0;
};

class Gauge {
 public:
  void set(double v) { m_value = v; }
  void inc(double v = 1) { m_value += v; }
  void dec(double v = 1) { m_value -= v; }
  double value() const { return m_value; }

 private:
  double m_value = 0;
};

// Counts observations into buckets by upper bound (v <= bound, as Prometheus'
// `le`), plus one bucket above every bound; keeps their sum and count.
class Histogram {
 public:
  // `bounds`: strictly increasing, finite (Registry::histogram() checks).
  explicit Histogram(std::vector<double> bounds);

  // NaN observations are dropped (they would poison the sum).
  void observe(double v);

  const std::vector<double>& bounds() const { return m_bounds; }
  // Per bucket, not cumulative; size bounds().size() + 1, the last above every bound.
  const std::vector<uint64_t>& bucket_counts() const { return m_counts; }
  uint64_t count() const { return m_count; }
  double sum() const { return m_sum; }

 private:
  std::vector<double> m_bounds;
  std::vector<uint64_t> m_counts;
  uint64_t m_count = 0;
  double m_sum = 0;
};

// Seconds, 0.5 ms to 10 s: request latencies from a cached answer to a cold start.
std::vector<double> latency_buckets();

enum class MetricType : uint8_t { counter, gauge, histogram };

class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, std::vector<std::string> label_names, MetricType type)
      : m_name(std::move(name)), m_help(std::move(help)), m_label_names(std::move(label_names)), m_type(type) {}
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  const std::string& name() const { return m_name; }
  const std::string& help() const { return m_help; }
  const std::vector<std::string>& label_names() const { return m_label_names; }
  MetricType type() const { return m_type; }

 protected:
  // Programmer error (wrong number of label values): abort with a message.
  [[noreturn]] void label_count_mismatch(size_t given) const;

 private:
  std::string m_name;
  std::string m_help;
  std::vector<std::string> m_label_names;
  MetricType m_type;
};

template <typename M>
class Family final : public FamilyBase {
  static_assert(std::is_same_v<M, Counter> || std::is_same_v<M, Gauge> || std::is_same_v<M, Histogram>);

 public:
  using Labels = std::vector<std::string>;

  Family(std::string name, std::string help, std::vector<std::string> label_names, std::vector<double> bounds = {})
      : FamilyBase(std::move(name), std::move(help), std::move(label_names), type_of()), m_bounds(std::move(bounds)) {}

  // The series with these label values (one per label name, in order),
  // created at zero on first use.
  M& with(std::initializer_list<std::string_view> values) { return with(Labels(values.begin(), values.end())); }
  M& with(const Labels& values) {
    if (values.size() != label_names().size()) label_count_mismatch(values.size());
    auto it = m_series.find(values);
    if (it == m_series.end()) it = m_series.emplace(values, make()).first;
    return *it->second;
  }

  // Drops a series (e.g. an instance that is gone); false if it did not exist.
  bool remove(const Labels& values) { return m_series.erase(values) > 0; }
  bool remove(std::initializer_list<std::string_view> values) { return remove(Labels(values.begin(), values.end())); }

  // Sorted by label values: the exposition order.
  const std::map<Labels, std::unique_ptr<M>>& series() const { return m_series; }

 private:
  static constexpr MetricType type_of() {
    if constexpr (std::is_same_v<M, Counter>) return MetricType::counter;
    if constexpr (std::is_same_v<M, Gauge>) return MetricType::gauge;
    return MetricType::histogram;
  }
  std::unique_ptr<M> make() const {
    if constexpr (std::is_same_v<M, Histogram>)
      return std::make_unique<Histogram>(m_bounds);
    else
      return std::make_unique<M>();
  }

  std::vector<double> m_bounds;  // histograms only
  std::map<Labels, std::unique_ptr<M>> m_series;
};

// Owns the families; exposition lists them in registration order.
class Registry {
 public:
  // Errors: a name that is not [a-zA-Z_:][a-zA-Z0-9_:]*, a label name that is
  // not [a-zA-Z_][a-zA-Z0-9_]* or starts with "__" or repeats, a name already
  // registered; for histograms a label named "le" or bounds not strictly
  // increasing and finite.
  Result<Family<Counter>*> counter(std::string name, std::string help, std::vector<std::string> label_names = {});
  Result<Family<Gauge>*> gauge(std::string name, std::string help, std::vector<std::string> label_names = {});
  Result<Family<Histogram>*> histogram(std::string name, std::string help, std::vector<std::string> label_names = {},
                                       std::vector<double> bounds = latency_buckets());

  const std::vector<std::unique_ptr<FamilyBase>>& families() const { return m_families; }

 private:
  Result<void> check(const std::string& name, const std::vector<std::string>& label_names) const;

  std::vector<std::unique_ptr<FamilyBase>> m_families;
};

}  // namespace shoal::pool::metrics

#include <shoal/pool/metrics/metrics.hpp>

#include <stdio.h>
#include <stdlib.h>

#include <algorithm>
#include <cmath>

namespace shoal::pool::metrics {
namespace {

bool valid_metric_name(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

bool valid_label_name(std::string_view name) {
  if (name.empty() || name.starts_with("__")) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds) : m_bounds(std::move(bounds)), m_counts(m_bounds.size() + 1, 0) {}

void Histogram::observe(double v) {
  if (std::isnan(v)) return;
  // The first bound >= v: v <= bound is Prometheus' `le`.
  size_t i = static_cast<size_t>(std::lower_bound(m_bounds.begin(), m_bounds.end(), v) - m_bounds.begin());
  ++m_counts[i];
  ++m_count;
  m_sum += v;
}

std::vector<double> latency_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

void FamilyBase::label_count_mismatch(size_t given) const {
  fprintf(stderr, "shoal: metric %s has %zu labels, given %zu values\n", m_name.c_str(), m_label_names.size(),
          given);
  abort();
}

Result<void> Registry::check(const std::string& name, const std::vector<std::string>& label_names) const {
  if (!valid_metric_name(name)) return make_error("metric name '" + name + "' is not [a-zA-Z_:][a-zA-Z0-9_:]*");
  for (const auto& f : m_families)
    if (f->name() == name) return make_error("metric '" + name + "' is already registered");
  for (size_t i = 0; i < label_names.size(); ++i) {
    if (!valid_label_name(label_names[i]))
      return make_error("metric '" + name + "': label name '" + label_names[i] +
                        "' is not [a-zA-Z_][a-zA-Z0-9_]* or starts with __");
    for (size_t j = 0; j < i; ++j)
      if (label_names[j] == label_names[i])
        return make_error("metric '" + name + "': label '" + label_names[i] + "' repeats");
  }
  return {};
}

Result<Family<Counter>*> Registry::counter(std::string name, std::string help, std::vector<std::string> label_names) {
  TRY(check(name, label_names));
  auto family = std::make_unique<Family<Counter>>(std::move(name), std::move(help), std::move(label_names));
  Family<Counter>* raw = family.get();
  m_families.push_back(std::move(family));
  return raw;
}

Result<Family<Gauge>*> Registry::gauge(std::string name, std::string help, std::vector<std::string> label_names) {
  TRY(check(name, label_names));
  auto family = std::make_unique<Family<Gauge>>(std::move(name), std::move(help), std::move(label_names));
  Family<Gauge>* raw = family.get();
  m_families.push_back(std::move(family));
  return raw;
}

Result<Family<Histogram>*> Registry::histogram(std::string name, std::string help,
                                               std::vector<std::string> label_names, std::vector<double> bounds) {
  TRY(check(name, label_names));
  if (std::find(label_names.begin(), label_names.end(), "le") != label_names.end())
    return make_error("histogram '" + name + "': the label name 'le' is reserved for buckets");
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i])) return make_error("histogram '" + name + "': bucket bounds must be finite");
    if (i > 0 && !(bounds[i - 1] < bounds[i]))
      return make_error("histogram '" + name + "': bucket bounds must be strictly increasing");
  }
  auto family = std::make_unique<Family<Histogram>>(std::move(name), std::move(help), std::move(label_names),
                                                    std::move(bounds));
  Family<Histogram>* raw = family.get();
  m_families.push_back(std::move(family));
  return raw;
}

}  // namespace shoal::pool::metrics

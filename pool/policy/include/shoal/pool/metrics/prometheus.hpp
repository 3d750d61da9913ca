// Prometheus text exposition format 0.0.4: what shoald's admin listener
// serves at /metrics.
//
//   # HELP <name> <help, with \ and newline escaped>
//   # TYPE <name> counter|gauge|histogram
//   <name>{<label>="<value, with \ " and newline escaped>",...} <value>
//   histograms: <name>_bucket{...,le="<bound>"} <cumulative count> ... le="+Inf",
//               then <name>_sum and <name>_count
//
// Families without any series are left out. Numbers: integral values below
// 1e15 print as integers, others as the shortest round-trip form (fixed
// notation from 1e-5 up, e.g. 0.0005); infinities
// as +Inf / -Inf, NaN as NaN.
#pragma once

#include <string>
#include <string_view>

#include <shoal/pool/metrics/metrics.hpp>

namespace shoal::pool::metrics {

inline constexpr std::string_view kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

// Appends the exposition of every family in `registry` to `out`.
void write_prometheus(const Registry& registry, std::string& out);
std::string to_prometheus(const Registry& registry);

// The pieces, for tests and for writers of ad-hoc series.
void append_number(std::string& out, double v);
void append_label_value(std::string& out, std::string_view value);  // escaped, without quotes
void append_help(std::string& out, std::string_view help);          // escaped

}  // namespace shoal::pool::metrics

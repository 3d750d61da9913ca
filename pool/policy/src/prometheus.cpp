#include <shoal/pool/metrics/prometheus.hpp>

#include <charconv>
#include <cmath>

namespace shoal::pool::metrics {
namespace {

const char* type_name(MetricType type) {
  switch (type) {
    case MetricType::counter: return "counter";
    case MetricType::gauge: return "gauge";
    case MetricType::histogram: return "histogram";
  }
  return "untyped";
}

void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// `name{l1="v1",l2="v2"[,le="bound"]}` (no braces when there are no labels).
void append_series_name(std::string& out, std::string_view name, std::string_view suffix,
                        const std::vector<std::string>& label_names, const std::vector<std::string>& values,
                        const double* le) {
  out.append(name);
  out.append(suffix);
  if (label_names.empty() && !le) return;
  out += '{';
  for (size_t i = 0; i < label_names.size(); ++i) {
    if (i > 0) out += ',';
    out += label_names[i];
    out += "=\"";
    append_label_value(out, values[i]);
    out += '"';
  }
  if (le) {
    if (!label_names.empty()) out += ',';
    out += "le=\"";
    append_number(out, *le);
    out += '"';
  }
  out += '}';
}

template <typename M>
const Family<M>& as(const FamilyBase& f) {
  return static_cast<const Family<M>&>(f);
}

void write_family(const FamilyBase& f, std::string& out) {
  const auto& names = f.label_names();
  switch (f.type()) {
    case MetricType::counter:
      for (const auto& [values, c] : as<Counter>(f).series()) {
        append_series_name(out, f.name(), "", names, values, nullptr);
        out += ' ';
        append_uint(out, c->value());
        out += '\n';
      }
      break;
    case MetricType::gauge:
      for (const auto& [values, g] : as<Gauge>(f).series()) {
        append_series_name(out, f.name(), "", names, values, nullptr);
        out += ' ';
        append_number(out, g->value());
        out += '\n';
      }
      break;
    case MetricType::histogram:
      for (const auto& [values, h] : as<Histogram>(f).series()) {
        uint64_t cumulative = 0;
        const double inf = INFINITY;
        for (size_t i = 0; i <= h->bounds().size(); ++i) {
          cumulative += h->bucket_counts()[i];
          append_series_name(out, f.name(), "_bucket", names, values, i < h->bounds().size() ? &h->bounds()[i] : &inf);
          out += ' ';
          append_uint(out, cumulative);
          out += '\n';
        }
        append_series_name(out, f.name(), "_sum", names, values, nullptr);
        out += ' ';
        append_number(out, h->sum());
        out += '\n';
        append_series_name(out, f.name(), "_count", names, values, nullptr);
        out += ' ';
        append_uint(out, h->count());
        out += '\n';
      }
      break;
  }
}

size_t series_count(const FamilyBase& f) {
  switch (f.type()) {
    case MetricType::counter: return as<Counter>(f).series().size();
    case MetricType::gauge: return as<Gauge>(f).series().size();
    case MetricType::histogram: return as<Histogram>(f).series().size();
  }
  return 0;
}

}  // namespace

void append_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else if (v == std::trunc(v) && std::fabs(v) < 1e15) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(v));  // -0.0 prints as 0
    out.append(buf, r.ptr);
  } else {
    // Shortest round-trip form; fixed notation for the usual magnitudes
    // (bucket bounds such as 0.0005 read better than 5e-04).
    char buf[64];
    double a = std::fabs(v);
    auto format = a >= 1e-5 && a < 1e15 ? std::chars_format::fixed : std::chars_format::general;
    auto r = std::to_chars(buf, buf + sizeof buf, v, format);
    out.append(buf, r.ptr);
  }
}

void append_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
}

void append_help(std::string& out, std::string_view help) {
  for (char c : help) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
}

void write_prometheus(const Registry& registry, std::string& out) {
  for (const auto& f : registry.families()) {
    if (series_count(*f) == 0) continue;
    out += "# HELP ";
    out += f->name();
    out += ' ';
    append_help(out, f->help());
    out += "\n# TYPE ";
    out += f->name();
    out += ' ';
    out += type_name(f->type());
    out += '\n';
    write_family(*f, out);
  }
}

std::string to_prometheus(const Registry& registry) {
  std::string out;
  write_prometheus(registry, out);
  return out;
}

}  // namespace shoal::pool::metrics

// The model's small functions: lookups, error text, defaults.
#include <algorithm>

#include <shoal/pool/spec/spec.hpp>

#include "diagnostics.hpp"

namespace shoal::pool::spec {

std::vector<SpecError> Diagnostics::take_errors() {
  // Read top to bottom: the order a person fixes them in.
  std::stable_sort(m_errors.begin(), m_errors.end(), [](const SpecError& a, const SpecError& b) {
    return a.line < b.line;
  });
  return std::move(m_errors);
}

std::string_view route_kind_name(RouteKind kind) {
  switch (kind) {
    case RouteKind::service: return "service";
    case RouteKind::pipeline: return "pipeline";
    case RouteKind::fanout: return "fanout";
    case RouteKind::scatter: return "scatter";
  }
  return "?";
}

std::string_view start_mode_name(StartMode mode) {
  switch (mode) {
    case StartMode::snapshot: return "snapshot";
    case StartMode::boot: return "boot";
  }
  return "?";
}

const Service* Spec::find_service(std::string_view name) const {
  auto it = std::lower_bound(services.begin(), services.end(), name,
                             [](const Service& s, std::string_view n) { return s.name < n; });
  return it != services.end() && it->name == name ? &*it : nullptr;
}

uint32_t Spec::line_of(std::string_view key) const {
  auto it = lines.find(key);
  return it == lines.end() ? 0 : it->second;
}

std::string Spec::where(std::string_view key) const {
  uint32_t line = line_of(key);
  std::string out = file;
  if (line) out += ":" + std::to_string(line);
  out += ": ";
  out += key;
  return out;
}

std::string SpecError::text() const {
  std::string out = file;
  if (line) out += ":" + std::to_string(line);
  if (line && column && key.empty()) out += ":" + std::to_string(column);
  out += ": ";
  if (!key.empty()) out += key + ": ";
  out += message;
  return out;
}

std::string format_errors(const std::vector<SpecError>& errors) {
  std::string out;
  for (const SpecError& e : errors) {
    if (!out.empty()) out += '\n';
    out += e.text();
  }
  return out;
}

std::string default_control_path(std::string_view pool_name, const SpecEnvironment& env) {
  std::string name(pool_name);
  if (!env.runtime_dir.empty()) return env.runtime_dir + "/shoal/" + name + ".sock";
  return env.tmp_dir + "/shoal-" + std::to_string(env.uid) + "/" + name + ".sock";
}

}  // namespace shoal::pool::spec

#include "pool_format.hpp"

#include <stdio.h>

#include <algorithm>

namespace shoal::cli {

std::string format_duration(double s) {
  char buf[32];
  if (s < 0) s = 0;
  if (s < 1) {
    snprintf(buf, sizeof buf, "%.0fms", s * 1000);
  } else if (s < 60) {
    snprintf(buf, sizeof buf, "%.0fs", s);
  } else if (s < 3600) {
    auto t = static_cast<long>(s);
    snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  } else {
    auto t = static_cast<long>(s);
    snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
  }
  return buf;
}

std::string format_bytes(double b) {
  char buf[32];
  if (b < 1024 * 1024) {
    snprintf(buf, sizeof buf, "%.0fK", b / 1024);
  } else if (b < 1024.0 * 1024 * 1024) {
    snprintf(buf, sizeof buf, "%.1fM", b / (1024 * 1024));
  } else {
    snprintf(buf, sizeof buf, "%.2fG", b / (1024.0 * 1024 * 1024));
  }
  return buf;
}

std::string format_rate(double r) {
  char buf[32];
  if (r <= 0) return "0";
  if (r < 100) {
    snprintf(buf, sizeof buf, "%.1f", r);
  } else if (r < 10000) {
    snprintf(buf, sizeof buf, "%.0f", r);
  } else {
    snprintf(buf, sizeof buf, "%.1fk", r / 1000);
  }
  return buf;
}

std::string format_cpu(double s) {
  if (s >= 60) return format_duration(s);
  char buf[32];
  snprintf(buf, sizeof buf, s < 10 ? "%.2fs" : "%.1fs", s < 0 ? 0 : s);
  return buf;
}

std::string Table::render() const {
  std::vector<size_t> width;
  for (const auto& row : m_rows)
    for (size_t i = 0; i < row.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], row[i].size());
    }
  std::string out;
  for (const auto& row : m_rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

std::string json_str(const nlohmann::json& j, const char* key, const std::string& fallback) {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  if (it == j.end()) return fallback;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<int64_t>());
  if (it->is_boolean()) return it->get<bool>() ? "true" : "false";
  return fallback;
}

double json_num(const nlohmann::json& j, const char* key, double fallback) {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return fallback;
  return it->get<double>();
}

std::string status_line(const nlohmann::json& status) {
  const auto& pool = status.contains("pool") ? status["pool"] : nlohmann::json::object();
  int services = 0, ready = 0, wanted = 0, warm = 0;
  double in_flight = 0, rps = 0;
  if (status.contains("services") && status["services"].is_array()) {
    for (const auto& s : status["services"]) {
      ++services;
      ready += static_cast<int>(json_num(s, "ready"));
      wanted += static_cast<int>(json_num(s, "desired"));
      warm += static_cast<int>(json_num(s, "warm"));
      in_flight += json_num(s, "in_flight") + json_num(s, "waiting");
      rps += json_num(s, "rps");
    }
  }
  char buf[256];
  snprintf(buf, sizeof buf, "%s: %d service%s, %d/%d ready, %.0f in flight, %s rps, up %s",
           json_str(pool, "name", "pool").c_str(), services, services == 1 ? "" : "s", ready, wanted,
           in_flight, format_rate(rps).c_str(), format_duration(json_num(pool, "uptime_s")).c_str());
  std::string line = buf;
  // Warm monitors are not instances: they wait on a snapshot to be taken.
  if (warm > 0) line += ", " + std::to_string(warm) + " warm";
  std::string state = json_str(pool, "state");
  if (!state.empty() && state != "running") line += " [" + state + "]";
  return line;
}

}  // namespace shoal::cli

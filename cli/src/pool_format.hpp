// Text formatting shared by the pool commands (ps, top, logs, up).
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace shoal::cli {

std::string format_duration(double seconds);  // "850ms", "42s", "3m07s", "2h05m"
std::string format_bytes(double bytes);       // "812K", "12.3M", "1.02G"
std::string format_rate(double per_second);   // "0", "12.5", "1.2k"
std::string format_cpu(double seconds);       // "0.04s", "12.3s", "3m07s"

// A left-aligned text table: the widest cell sets each column's width.
class Table {
 public:
  explicit Table(std::vector<std::string> header) { m_rows.push_back(std::move(header)); }
  void add(std::vector<std::string> row) { m_rows.push_back(std::move(row)); }
  std::string render() const;

 private:
  std::vector<std::vector<std::string>> m_rows;
};

// Typed reads from a status document with defaults: the CLI never throws on
// a field shoald did not send (older or newer daemon).
std::string json_str(const nlohmann::json& j, const char* key, const std::string& fallback = "");
double json_num(const nlohmann::json& j, const char* key, double fallback = 0);

// The one-line pool summary: "shop: 3 services, 5/5 ready, 12 in flight, 340 rps".
std::string status_line(const nlohmann::json& status);

}  // namespace shoal::cli

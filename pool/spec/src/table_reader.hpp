// TableReader: typed, bounded access to one TOML table of the spec, recording
// an error (with line and key path) for every value of the wrong type or out of
// bounds, and, in finish(), for every key nobody asked for: the reader knows
// a key exactly when the parser asks for it, so the code that reads a table is
// also its list of valid keys.
#pragma once

#include <stdint.h>

#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "diagnostics.hpp"
#include "toml.hpp"

namespace shoal::pool::spec {

class TableReader {
 public:
  // `path`: the table's key path ("" for the root, "services.cart", "routes[0]").
  TableReader(Diagnostics& diag, const toml::table& table, std::string path);

  const std::string& path() const { return m_path; }
  uint32_t line() const { return m_line; }
  // "path.key" (or "key" at the root).
  std::string key_path(std::string_view key) const;
  // The line of `key` if present, else the table's.
  uint32_t line_of(std::string_view key) const;
  void error(std::string_view key, std::string message) { m_diag.error(line_of(key), key_path(key), std::move(message)); }

  // Marks `key` as known; the node or nullptr when absent.
  const toml::node* get(std::string_view key);
  bool has(std::string_view key) { return get(key) != nullptr; }

  // Each returns nullopt when the key is absent or its value is invalid (then
  // an error has been recorded); callers keep their default on nullopt.
  std::optional<std::string> string(std::string_view key, size_t max_length = 4096);
  std::optional<int64_t> integer(std::string_view key, int64_t min, int64_t max);
  std::optional<double> number(std::string_view key, double min, double max);
  std::optional<bool> boolean(std::string_view key);
  std::optional<policy::Duration> duration(std::string_view key, policy::Duration min, policy::Duration max);
  std::optional<uint64_t> size(std::string_view key, uint64_t min, uint64_t max);
  // A sub-table (`[a.b]` or an inline `{ ... }`).
  std::optional<TableReader> table(std::string_view key);
  const toml::array* array(std::string_view key);

  // Reports every key of the table that was never asked for.
  void finish();

 private:
  Diagnostics& m_diag;
  const toml::table& m_table;
  std::string m_path;
  uint32_t m_line;
  std::set<std::string, std::less<>> m_known;
};

std::string describe_type(const toml::node& node);
// Durations and sizes in messages, as a spec would write them.
std::string size_text(uint64_t bytes);
// 0.2, 2, 1000000: as few digits as the value needs (at most six decimals).
std::string number_text(double d);

}  // namespace shoal::pool::spec

#include "table_reader.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include <shoal/pool/spec/values.hpp>

#include "unicode_shield.hpp"

namespace shoal::pool::spec {
namespace {

uint32_t line_of_node(const toml::node& node) { return node.source().begin.line; }

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::string quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace

std::string describe_type(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    default: return "nothing";
  }
}

std::string number_text(double d) {
  std::string s = std::to_string(d);
  s.erase(s.find_last_not_of('0') + 1);
  if (s.back() == '.') s.pop_back();
  return s;
}

std::string size_text(uint64_t bytes) {
  static constexpr const char* kSuffix[] = {"", "K", "M", "G", "T"};
  int i = 0;
  while (i < 4 && bytes >= 1024 && bytes % 1024 == 0) {
    bytes /= 1024;
    ++i;
  }
  return std::to_string(bytes) + kSuffix[i];
}

TableReader::TableReader(Diagnostics& diag, const toml::table& table, std::string path)
    : m_diag(diag), m_table(table), m_path(std::move(path)), m_line(line_of_node(table)) {
  if (!m_path.empty() && m_line != 0) m_diag.seen(m_path, m_line);
}

std::string TableReader::key_path(std::string_view key) const {
  return m_path.empty() ? std::string(key) : m_path + "." + std::string(key);
}

uint32_t TableReader::line_of(std::string_view key) const {
  auto it = m_table.find(key);
  if (it == m_table.end()) return m_line;
  uint32_t line = it->first.source().begin.line;
  return line ? line : line_of_node(it->second);
}

const toml::node* TableReader::get(std::string_view key) {
  m_known.emplace(key);
  const toml::node* node = m_table.get(key);
  if (node) m_diag.seen(key_path(key), line_of(key));
  return node;
}

std::optional<std::string> TableReader::string(std::string_view key, size_t max_length) {
  const toml::node* node = get(key);
  if (!node) return std::nullopt;
  const auto* s = node->as_string();
  if (!s) {
    error(key, "must be a string, not " + describe_type(*node));
    return std::nullopt;
  }
  std::string v = unshield(s->get());
  if (v.size() > max_length) {
    error(key, "must be at most " + std::to_string(max_length) + " bytes long");
    return std::nullopt;
  }
  // NOTE: TOML strings may hold "\u0000"; a NUL would cut a path or an
  // argument short when it reaches a C API.
  if (v.find('\0') != std::string::npos) {
    error(key, "must not contain a NUL character");
    return std::nullopt;
  }
  return v;
}

std::optional<int64_t> TableReader::integer(std::string_view key, int64_t min, int64_t max) {
  const toml::node* node = get(key);
  if (!node) return std::nullopt;
  const auto* i = node->as_integer();
  if (!i) {
    error(key, "must be an integer, not " + describe_type(*node));
    return std::nullopt;
  }
  int64_t v = i->get();
  if (v < min || v > max) {
    error(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return std::nullopt;
  }
  return v;
}

std::optional<double> TableReader::number(std::string_view key, double min, double max) {
  const toml::node* node = get(key);
  if (!node) return std::nullopt;
  double v;
  if (const auto* i = node->as_integer()) {
    v = static_cast<double>(i->get());
  } else if (const auto* f = node->as_floating_point()) {
    v = f->get();
  } else {
    error(key, "must be a number, not " + describe_type(*node));
    return std::nullopt;
  }
  if (!(v >= min && v <= max)) {  // also rejects nan
    error(key, "must be between " + number_text(min) + " and " + number_text(max));
    return std::nullopt;
  }
  return v;
}

std::optional<bool> TableReader::boolean(std::string_view key) {
  const toml::node* node = get(key);
  if (!node) return std::nullopt;
  const auto* b = node->as_boolean();
  if (!b) {
    error(key, "must be true or false, not " + describe_type(*node));
    return std::nullopt;
  }
  return b->get();
}

std::optional<policy::Duration> TableReader::duration(std::string_view key, policy::Duration min,
                                                      policy::Duration max) {
  const toml::node* node = get(key);
  if (!node) return std::nullopt;
  const auto* s = node->as_string();
  if (!s) {
    error(key, "must be a duration such as \"30s\" or \"250ms\", not " + describe_type(*node));
    return std::nullopt;
  }
  auto d = parse_duration(unshield(s->get()));
  if (!d) {
    error(key, d.error().message);
    return std::nullopt;
  }
  if (*d < min || *d > max) {
    error(key, "must be between " + format_duration(min) + " and " + format_duration(max));
    return std::nullopt;
  }
  return *d;
}

std::optional<uint64_t> TableReader::size(std::string_view key, uint64_t min, uint64_t max) {
  const toml::node* node = get(key);
  if (!node) return std::nullopt;
  uint64_t v;
  if (const auto* i = node->as_integer()) {
    if (i->get() < 0) {
      error(key, "must not be negative");
      return std::nullopt;
    }
    v = static_cast<uint64_t>(i->get());
  } else if (const auto* s = node->as_string()) {
    auto parsed = parse_size(unshield(s->get()));
    if (!parsed) {
      error(key, parsed.error().message);
      return std::nullopt;
    }
    v = *parsed;
  } else {
    error(key, "must be a size such as \"64M\" or a number of bytes, not " + describe_type(*node));
    return std::nullopt;
  }
  if (v < min || v > max) {
    error(key, "must be between " + size_text(min) + " and " + size_text(max));
    return std::nullopt;
  }
  return v;
}

std::optional<TableReader> TableReader::table(std::string_view key) {
  const toml::node* node = get(key);
  if (!node) return std::nullopt;
  const auto* t = node->as_table();
  if (!t) {
    error(key, "must be a table, not " + describe_type(*node));
    return std::nullopt;
  }
  return TableReader(m_diag, *t, key_path(key));
}

const toml::array* TableReader::array(std::string_view key) {
  const toml::node* node = get(key);
  if (!node) return nullptr;
  const auto* a = node->as_array();
  if (!a) error(key, "must be an array, not " + describe_type(*node));
  return a;
}

void TableReader::finish() {
  for (const auto& [key, node] : m_table) {
    std::string name = unshield(key.str());
    if (m_known.contains(name)) continue;
    std::string message = "unknown key";
    // A near miss is most likely a typo: name the key that was meant.
    std::string_view best;
    size_t best_distance = SIZE_MAX;
    for (const std::string& known : m_known) {
      size_t d = edit_distance(name, known);
      if (d < best_distance) {
        best_distance = d;
        best = known;
      }
    }
    if (!best.empty() && best_distance <= std::max<size_t>(1, best.size() / 4))
      message += " (did you mean " + quote(best) + "?)";
    uint32_t line = key.source().begin.line ? key.source().begin.line : line_of_node(node);
    m_diag.error(line, key_path(name), message);
  }
}

}  // namespace shoal::pool::spec

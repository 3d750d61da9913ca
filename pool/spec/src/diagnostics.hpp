// Diagnostics: the errors found while reading one spec file, and the line of
// every key seen (kept in the model for later errors).
#pragma once

#include <stdint.h>

#include <map>
#include <string>
#include <vector>

#include <shoal/pool/spec/spec.hpp>

namespace shoal::pool::spec {

class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : m_file(std::move(file)) {}

  void error(uint32_t line, std::string key, std::string message) {
    m_errors.push_back(SpecError{m_file, line, 0, std::move(key), std::move(message)});
  }
  void syntax_error(uint32_t line, uint32_t column, std::string message) {
    m_errors.push_back(SpecError{m_file, line, column, "", std::move(message)});
  }
  void seen(const std::string& key, uint32_t line) { m_lines.emplace(key, line); }
  uint32_t line_of(const std::string& key) const {
    auto it = m_lines.find(key);
    return it == m_lines.end() ? 0 : it->second;
  }

  const std::string& file() const { return m_file; }
  bool ok() const { return m_errors.empty(); }
  std::vector<SpecError> take_errors();
  std::map<std::string, uint32_t, std::less<>> take_lines() { return std::move(m_lines); }

 private:
  std::string m_file;
  std::vector<SpecError> m_errors;
  std::map<std::string, uint32_t, std::less<>> m_lines;
};

}  // namespace shoal::pool::spec

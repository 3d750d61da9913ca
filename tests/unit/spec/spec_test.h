// Helpers shared by the spec tests.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <shoal/pool/spec/spec.hpp>

namespace spec_test {

inline const shoal::pool::spec::SpecEnvironment kEnv{"/run/user/1000", 1000};

// The 1-based line of the first line containing `needle` (0 if none).
inline uint32_t line_of(std::string_view text, std::string_view needle) {
  size_t at = text.find(needle);
  if (at == std::string_view::npos) return 0;
  uint32_t line = 1;
  for (size_t i = 0; i < at; ++i) line += text[i] == '\n';
  return line;
}

// Every error of `text` read as `file`, as text.
inline std::vector<std::string> errors(std::string_view text, std::string_view file = "shop.toml") {
  std::vector<std::string> out;
  for (const auto& e : shoal::pool::spec::parse_spec(text, file, kEnv).errors) out.push_back(e.text());
  return out;
}

}  // namespace spec_test

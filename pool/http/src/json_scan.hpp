// A strict, allocation-free JSON validator (RFC 8259), the base of the
// scatter splitter and the joiners.
#pragma once

#include <cstddef>
#include <string_view>

namespace shoal::pool::http::detail {

// Length of the valid UTF-8 sequence at p (1..4), or 0 if the bytes there are
// not one (overlong, surrogate, past U+10FFFF, truncated). p < end.
size_t utf8_sequence(const unsigned char* p, const unsigned char* end);

inline bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

class JsonScanner {
 public:
  JsonScanner(std::string_view text, size_t max_depth) : m_text(text), m_max_depth(max_depth) {}

  // Scans one value at position(); on success position() is just past it.
  // `depth` is the nesting of the containers the value sits in.
  bool value(size_t depth);
  void skip_space() {
    while (m_pos < m_text.size() && is_json_space(m_text[m_pos])) ++m_pos;
  }
  bool at_end() const { return m_pos == m_text.size(); }
  bool peek(char c) const { return m_pos < m_text.size() && m_text[m_pos] == c; }
  void advance() { ++m_pos; }
  size_t position() const { return m_pos; }

  // Why the scan failed (static text), and where.
  std::string_view error() const { return m_error; }
  bool fail(std::string_view why) {
    if (m_error.empty()) m_error = why;
    return false;
  }

 private:
  bool string();
  bool number();
  bool literal(std::string_view word);
  bool array(size_t depth);
  bool object(size_t depth);
  bool hex4(unsigned& out);

  std::string_view m_text;
  size_t m_max_depth;
  size_t m_pos = 0;
  std::string_view m_error;
};

}  // namespace shoal::pool::http::detail

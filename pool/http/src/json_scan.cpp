// Recursive descent over JSON; the depth bound keeps the recursion (and the
// host stack) small whatever the input.
#include "json_scan.hpp"

namespace shoal::pool::http::detail {

size_t utf8_sequence(const unsigned char* p, const unsigned char* end) {
  // RFC 3629 section 4: the exact byte ranges of well-formed sequences.
  const unsigned char c = p[0];
  auto cont = [&](size_t i, unsigned char lo = 0x80, unsigned char hi = 0xbf) {
    return p + i < end && p[i] >= lo && p[i] <= hi;
  };
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c == 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c == 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;  // no UTF-16 surrogates
  if (c == 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c == 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

bool JsonScanner::value(size_t depth) {
  skip_space();
  if (m_pos >= m_text.size()) return fail("value expected");
  switch (m_text[m_pos]) {
    case '{':
      return object(depth + 1);
    case '[':
      return array(depth + 1);
    case '"':
      return string();
    case 't':
      return literal("true");
    case 'f':
      return literal("false");
    case 'n':
      return literal("null");
    default:
      return number();
  }
}

bool JsonScanner::literal(std::string_view word) {
  if (m_text.substr(m_pos, word.size()) != word) return fail("invalid literal");
  m_pos += word.size();
  return true;
}

bool JsonScanner::number() {
  auto digit = [&] { return m_pos < m_text.size() && m_text[m_pos] >= '0' && m_text[m_pos] <= '9'; };
  auto digits = [&] {
    if (!digit()) return false;
    while (digit()) ++m_pos;
    return true;
  };
  if (peek('-')) ++m_pos;
  if (peek('0')) {
    ++m_pos;  // no leading zeros: "01" is "0" followed by junk
  } else if (!digits()) {
    return fail("invalid value");
  }
  if (peek('.')) {
    ++m_pos;
    if (!digits()) return fail("digits expected after decimal point");
  }
  if (peek('e') || peek('E')) {
    ++m_pos;
    if (peek('+') || peek('-')) ++m_pos;
    if (!digits()) return fail("digits expected in exponent");
  }
  return true;
}

bool JsonScanner::hex4(unsigned& out) {
  if (m_text.size() - m_pos < 4) return fail("truncated \\u escape");
  out = 0;
  for (int i = 0; i < 4; ++i) {
    char c = m_text[m_pos++];
    unsigned v;
    if (c >= '0' && c <= '9') {
      v = static_cast<unsigned>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      v = static_cast<unsigned>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      v = static_cast<unsigned>(c - 'A' + 10);
    } else {
      return fail("invalid \\u escape");
    }
    out = out << 4 | v;
  }
  return true;
}

bool JsonScanner::string() {
  ++m_pos;  // the opening quote
  // SAFETY: the pointers stay within m_text; utf8_sequence is given its end.
  const auto* base = reinterpret_cast<const unsigned char*>(m_text.data());
  const auto* end = base + m_text.size();
  while (m_pos < m_text.size()) {
    unsigned char c = base[m_pos];
    if (c == '"') {
      ++m_pos;
      return true;
    }
    if (c < 0x20) return fail("control character in string");
    if (c == '\\') {
      if (++m_pos >= m_text.size()) break;
      char e = m_text[m_pos++];
      if (e == 'u') {
        unsigned unit;
        if (!hex4(unit)) return false;
        if (unit >= 0xdc00 && unit <= 0xdfff) return fail("unpaired low surrogate escape");
        if (unit >= 0xd800 && unit <= 0xdbff) {
          unsigned low;
          if (m_text.substr(m_pos, 2) != "\\u") return fail("unpaired high surrogate escape");
          m_pos += 2;
          if (!hex4(low)) return false;
          if (low < 0xdc00 || low > 0xdfff) return fail("unpaired high surrogate escape");
        }
      } else if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't') {
        return fail("invalid escape in string");
      }
      continue;
    }
    size_t n = utf8_sequence(base + m_pos, end);
    if (n == 0) return fail("invalid UTF-8 in string");
    m_pos += n;
  }
  return fail("unterminated string");
}

bool JsonScanner::array(size_t depth) {
  if (depth > m_max_depth) return fail("nested too deeply");
  ++m_pos;  // '['
  skip_space();
  if (peek(']')) {
    ++m_pos;
    return true;
  }
  for (;;) {
    if (!value(depth)) return false;
    skip_space();
    if (peek(']')) {
      ++m_pos;
      return true;
    }
    if (!peek(',')) return fail("',' or ']' expected in array");
    ++m_pos;
  }
}

bool JsonScanner::object(size_t depth) {
  if (depth > m_max_depth) return fail("nested too deeply");
  ++m_pos;  // '{'
  skip_space();
  if (peek('}')) {
    ++m_pos;
    return true;
  }
  for (;;) {
    skip_space();
    if (!peek('"')) return fail("member name expected in object");
    if (!string()) return false;
    skip_space();
    if (!peek(':')) return fail("':' expected in object");
    ++m_pos;
    if (!value(depth)) return false;
    skip_space();
    if (peek('}')) {
      ++m_pos;
      return true;
    }
    if (!peek(',')) return fail("',' or '}' expected in object");
    ++m_pos;
  }
}

}  // namespace shoal::pool::http::detail

// Character classes of HTTP/1.1 (RFC 9110 section 5.6, RFC 9112), as one
// 256-entry table so every check is a load and a test.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace shoal::pool::http::detail {

enum CharClass : uint8_t {
  kToken = 1,       // tchar: field names, methods, list tokens
  kTarget = 2,      // visible US-ASCII: a request-target
  kFieldValue = 4,  // field-vchar, SP, HTAB, obs-text: field values, reason phrases
  kHost = 8,        // what a Host value (reg-name, IP literal, port) may hold
  kHexDigit = 16,
};

constexpr std::array<uint8_t, 256> make_char_classes() {
  std::array<uint8_t, 256> t{};
  constexpr std::string_view token_punct = "!#$%&'*+-.^_`|~";
  constexpr std::string_view host_punct = "-._~%!$&'()*+,;=:[]";
  for (int c = 0; c < 256; ++c) {
    uint8_t f = 0;
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    bool digit = c >= '0' && c <= '9';
    bool punct_token = false, punct_host = false;
    for (char p : token_punct) punct_token |= (static_cast<unsigned char>(p) == c);
    for (char p : host_punct) punct_host |= (static_cast<unsigned char>(p) == c);
    if (alpha || digit || punct_token) f |= kToken;
    if (c >= 0x21 && c <= 0x7e) f |= kTarget;
    if (c == '\t' || (c >= 0x20 && c <= 0x7e) || c >= 0x80) f |= kFieldValue;
    if (alpha || digit || punct_host) f |= kHost;
    if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) f |= kHexDigit;
    t[c] = f;
  }
  return t;
}

inline constexpr std::array<uint8_t, 256> kCharClasses = make_char_classes();

inline bool has_class(char c, CharClass k) { return (kCharClasses[static_cast<unsigned char>(c)] & k) != 0; }
inline bool is_token_char(char c) { return has_class(c, kToken); }
inline bool is_ows(char c) { return c == ' ' || c == '\t'; }
inline char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c; }
inline int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  return ascii_lower(c) - 'a' + 10;  // callers check kHexDigit first
}

// Whether every byte of `s` is in class `k` (true when empty).
inline bool all_of_class(std::string_view s, CharClass k) {
  for (char c : s)
    if (!has_class(c, k)) return false;
  return true;
}

// Equality with a lowercase literal made of letters, digits and '-' only,
// for `name` already known to be a token: setting bit 5 lowercases a letter,
// and no other token character becomes a letter, a digit or '-' that way.
inline bool equals_lowercase(std::string_view name, std::string_view lower) {
  if (name.size() != lower.size()) return false;
  for (size_t i = 0; i < name.size(); ++i)
    if ((name[i] | 0x20) != lower[i]) return false;
  return true;
}

// Offset of the first byte at or after `i` that cannot be in a field value
// (a control character but HTAB, or DEL), or `n`. Eight bytes at a time while
// no byte is below 0x20 or equal to 0x7f; HTAB takes the byte-wise path.
inline size_t scan_field_value(const char* p, size_t i, size_t n) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHighs = 0x8080808080808080ull;
  while (i + 8 <= n) {
    uint64_t x;
    __builtin_memcpy(&x, p + i, 8);  // SAFETY: i + 8 <= n; memcpy as p + i may be unaligned
    uint64_t below_space = (x - kOnes * 0x20) & ~x & kHighs;  // some byte < 0x20 (exact test)
    uint64_t y = x ^ (kOnes * 0x7f);
    uint64_t del = (y - kOnes) & ~y & kHighs;  // some byte == 0x7f
    if (below_space | del) break;
    i += 8;
  }
  while (i < n && has_class(p[i], kFieldValue)) ++i;
  return i;
}

inline std::string_view trim_ows(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && is_ows(s[b])) ++b;
  while (e > b && is_ows(s[e - 1])) --e;
  return s.substr(b, e - b);
}

}  // namespace shoal::pool::http::detail

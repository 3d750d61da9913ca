#include "unicode_shield.hpp"

namespace shoal::pool::spec {
namespace {

constexpr char32_t kShift = 0xF0000;

// Decodes one well-formed UTF-8 sequence at text[pos] (no overlongs, no
// surrogates, <= U+10FFFF); its length in `len`, or 0 if ill-formed.
char32_t decode(std::string_view text, size_t pos, size_t& len) {
  auto byte = [&](size_t i) { return static_cast<uint8_t>(text[pos + i]); };
  auto cont = [&](size_t i) { return pos + i < text.size() && (byte(i) & 0xC0) == 0x80; };
  uint8_t b0 = byte(0);
  len = 0;
  if (b0 < 0x80) {
    len = 1;
    return b0;
  }
  if (b0 >= 0xC2 && b0 <= 0xDF && cont(1)) {
    len = 2;
    return (char32_t(b0 & 0x1F) << 6) | (byte(1) & 0x3F);
  }
  if (b0 >= 0xE0 && b0 <= 0xEF && cont(1) && cont(2)) {
    char32_t cp = (char32_t(b0 & 0x0F) << 12) | (char32_t(byte(1) & 0x3F) << 6) | (byte(2) & 0x3F);
    if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    len = 3;
    return cp;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4 && cont(1) && cont(2) && cont(3)) {
    char32_t cp = (char32_t(b0 & 0x07) << 18) | (char32_t(byte(1) & 0x3F) << 12) | (char32_t(byte(2) & 0x3F) << 6) |
                  (byte(3) & 0x3F);
    if (cp < 0x10000 || cp > 0x10FFFF) return 0;
    len = 4;
    return cp;
  }
  return 0;
}

void encode4(std::string& out, char32_t cp) {
  out += static_cast<char>(0xF0 | (cp >> 18));
  out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  out += static_cast<char>(0x80 | (cp & 0x3F));
}

void encode(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    encode4(out, cp);
  }
}

}  // namespace

bool toml_whitespace_defect(char32_t cp) {
  // toml++ 3.3 splits U+00A0..U+FEFF into blocks of 0x3FA code points and
  // consults a 64-bit mask (0x7FFFFFFFFFFFF75E): a clear bit means "look
  // closer", which its switch does only for blocks 5 and 7, after answering
  // U+00A0, U+3000 and U+FEFF directly. Any other code point in a block with
  // a clear bit (0, 11 and 63) reaches the unreachable default.
  if (cp < 0xA0 || cp > 0xFEFF) return false;
  if (cp == 0xA0 || cp == 0x3000 || cp == 0xFEFF) return false;
  uint64_t block = (static_cast<uint64_t>(cp) - 0xA0) / 0x3FA;
  if ((1ull << block) & 0x7FFFFFFFFFFFF75Eull) return false;
  return block != 5 && block != 7;
}

std::optional<std::string> shield(std::string_view text, ShieldRefusal& refusal) {
  std::string out;
  out.reserve(text.size() + 64);
  uint32_t line = 1, column = 1;
  for (size_t pos = 0; pos < text.size();) {
    size_t len;
    char32_t cp = decode(text, pos, len);
    if (len == 0) {  // ill-formed: toml++ will say so
      out += text[pos++];
      ++column;
      continue;
    }
    if (cp >= kShift) {
      refusal = {line, column};
      return std::nullopt;
    }
    if (toml_whitespace_defect(cp))
      encode4(out, kShift + cp);
    else
      out.append(text.substr(pos, len));
    pos += len;
    if (cp == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return out;
}

std::string unshield(std::string_view text) {
  // Plane 15 starts with the byte 0xF3: most strings have none.
  if (text.find('\xF3') == std::string_view::npos) return std::string(text);
  std::string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    size_t len;
    char32_t cp = decode(text, pos, len);
    if (len == 0) {
      out += text[pos++];
      continue;
    }
    if (cp >= kShift && toml_whitespace_defect(cp - kShift))
      encode(out, cp - kShift);
    else
      out.append(text.substr(pos, len));
    pos += len;
  }
  return out;
}

}  // namespace shoal::pool::spec

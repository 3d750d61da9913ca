// A guard around a defect of toml++ 3.3 (Debian 12's libtomlplusplus-dev).
//
// impl::is_non_ascii_horizontal_whitespace() reaches __builtin_unreachable()
// for about 2,900 code points (U+00A1..U+0499, U+2C5E..U+3057 but U+3000,
// U+FB26..U+FEFE): undefined behaviour on hostile (or merely accented) input,
// found by fuzz_spec with the input "\n\u01B5". The parser asks that question
// of characters between tokens and inside strings after a line-ending
// backslash, so no simple rule about where such characters may appear avoids it.
//
// Instead the parser never sees them: shield() re-encodes each as the
// code point U+F0000 + cp (plane 15, which toml++ classifies without reaching
// the defect), and unshield() turns every string read back from the tree into
// the original. Code points are counted as before, so lines and columns in
// toml++'s errors still point at the right place. Text that already uses
// planes 15 or 16 (private use) is refused, so the mapping stays one to one.
#pragma once

#include <stdint.h>

#include <optional>
#include <string>
#include <string_view>

namespace shoal::pool::spec {

// True if toml++ 3.3 hits undefined behaviour classifying `cp`.
bool toml_whitespace_defect(char32_t cp);

struct ShieldRefusal {
  uint32_t line;
  uint32_t column;
};

// The text with every defect code point moved to plane 15, or where a
// plane 15/16 code point was found. Invalid UTF-8 is copied as is (toml++
// reports it).
std::optional<std::string> shield(std::string_view text, ShieldRefusal& refusal);

// The original of a string taken from the shielded text.
std::string unshield(std::string_view text);

}  // namespace shoal::pool::spec

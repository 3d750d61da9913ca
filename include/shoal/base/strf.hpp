// strf(): a tiny "{}" / "{:#x}" formatter for error messages, so shoal_image
// needs no library beyond the C++ standard one (the monitor links it, and the
// monitor stays small and self-contained).
#pragma once

#include <stdint.h>
#include <stdio.h>

#include <concepts>
#include <string>
#include <string_view>
#include <type_traits>

namespace shoal::detail {

// Spec: [<|>][width][#x]. Strings and integers; hex only for integers.
struct StrfSpec {
  char align = 0;
  size_t width = 0;
  bool hex = false;
};

inline StrfSpec parse_spec(std::string_view s) {
  StrfSpec sp;
  if (!s.empty() && (s[0] == '<' || s[0] == '>')) {
    sp.align = s[0];
    s.remove_prefix(1);
  }
  while (!s.empty() && s[0] >= '0' && s[0] <= '9') {
    sp.width = sp.width * 10 + static_cast<size_t>(s[0] - '0');
    s.remove_prefix(1);
  }
  sp.hex = s == "#x";
  return sp;
}

inline void strf_pad(std::string& out, const StrfSpec& sp, std::string_view v, bool number) {
  size_t pad = v.size() < sp.width ? sp.width - v.size() : 0;
  char align = sp.align ? sp.align : (number ? '>' : '<');
  if (align == '>') out.append(pad, ' ');
  out.append(v);
  if (align == '<') out.append(pad, ' ');
}

inline void strf_arg(std::string& out, std::string_view spec, std::string_view v) {
  strf_pad(out, parse_spec(spec), v, false);
}
inline void strf_arg(std::string& out, std::string_view spec, const char* v) {
  strf_arg(out, spec, std::string_view(v));
}
inline void strf_arg(std::string& out, std::string_view spec, const std::string& v) {
  strf_arg(out, spec, std::string_view(v));
}
template <std::integral T>
void strf_arg(std::string& out, std::string_view spec, T v) {
  StrfSpec sp = parse_spec(spec);
  char buf[32];
  if (sp.hex)
    snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  else if constexpr (std::is_signed_v<T>)
    snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
  else
    snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(v));
  strf_pad(out, sp, buf, true);
}

inline void strf_rest(std::string& out, std::string_view f) { out.append(f); }

template <typename A, typename... Rest>
void strf_rest(std::string& out, std::string_view f, const A& a, const Rest&... rest) {
  size_t open = f.find('{');
  size_t close = open == std::string_view::npos ? open : f.find('}', open);
  if (close == std::string_view::npos) {
    out.append(f);
    return;
  }
  out.append(f.substr(0, open));
  std::string_view spec = f.substr(open + 1, close - open - 1);
  if (!spec.empty() && spec[0] == ':') spec.remove_prefix(1);
  strf_arg(out, spec, a);
  strf_rest(out, f.substr(close + 1), rest...);
}

}  // namespace shoal::detail

namespace shoal {

// strf("section {} at {:#x}", 3, 0x1000) == "section 3 at 0x1000"
template <typename... Args>
std::string strf(std::string_view f, const Args&... args) {
  std::string out;
  detail::strf_rest(out, f, args...);
  return out;
}

}  // namespace shoal

// Scatter splitting and the joiners of fanout and scatter answers.
#include <shoal/pool/http/json_compose.hpp>

#include <string>

#include "json_scan.hpp"

namespace shoal::pool::http {

using detail::JsonScanner;

namespace {

Error json_error(std::string_view what, const JsonScanner& s) {
  return make_error("request body is not a JSON array: " + std::string(what) + " at byte " +
                    std::to_string(s.position()));
}

std::string_view trim_json_space(std::string_view s) {
  while (!s.empty() && detail::is_json_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && detail::is_json_space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<std::vector<ByteRange>> split_json_array(std::string_view body, const JsonLimits& limits) {
  JsonScanner s(body, limits.max_depth);
  std::vector<ByteRange> elements;
  s.skip_space();
  if (!s.peek('[')) return json_error("'[' expected", s);
  if (limits.max_depth == 0) return json_error("nested too deeply", s);
  s.advance();
  s.skip_space();
  if (s.peek(']')) {
    s.advance();
  } else {
    for (;;) {
      if (elements.size() >= limits.max_elements) return json_error("too many elements", s);
      s.skip_space();
      size_t begin = s.position();
      if (!s.value(1)) return json_error(s.error(), s);
      elements.push_back(ByteRange{begin, s.position() - begin});
      s.skip_space();
      if (s.peek(']')) {
        s.advance();
        break;
      }
      if (!s.peek(',')) return json_error("',' or ']' expected", s);
      s.advance();
    }
  }
  s.skip_space();
  if (!s.at_end()) return json_error("data after the array", s);
  return elements;
}

bool is_json(std::string_view text, size_t max_depth) {
  JsonScanner s(text, max_depth);
  if (!s.value(0)) return false;
  s.skip_space();
  return s.at_end();
}

void append_json_string(std::string& out, std::string_view raw) {
  static constexpr char kHex[] = "0123456789abcdef";
  // SAFETY: the pointers stay within raw; utf8_sequence is given its end.
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  const auto* end = p + raw.size();
  out.push_back('"');
  while (p < end) {
    unsigned char c = *p;
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
      ++p;
    } else if (c < 0x20) {
      switch (c) {
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        case '\b': out.append("\\b"); break;
        case '\f': out.append("\\f"); break;
        default:
          out.append("\\u00");
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
      }
      ++p;
    } else if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++p;
    } else {
      size_t n = detail::utf8_sequence(p, end);
      if (n == 0) {
        out.append("\\ufffd");  // a byte that is not UTF-8: the replacement character
        ++p;
      } else {
        out.append(reinterpret_cast<const char*>(p), n);
        p += n;
      }
    }
  }
  out.push_back('"');
}

void append_json_value(std::string& out, std::string_view body) {
  std::string_view trimmed = trim_json_space(body);
  if (is_json(trimmed)) {
    out.append(trimmed);
  } else {
    append_json_string(out, body);
  }
}

std::string join_json_array(std::span<const std::string_view> elements) {
  std::string out = "[";
  for (size_t i = 0; i < elements.size(); ++i) {
    if (i) out.push_back(',');
    append_json_value(out, elements[i]);
  }
  out.push_back(']');
  return out;
}

std::string join_json_object(std::span<const NamedBody> members) {
  std::string out = "{";
  for (size_t i = 0; i < members.size(); ++i) {
    if (i) out.push_back(',');
    append_json_string(out, members[i].name);
    out.push_back(':');
    append_json_value(out, members[i].body);
  }
  out.push_back('}');
  return out;
}

}  // namespace shoal::pool::http

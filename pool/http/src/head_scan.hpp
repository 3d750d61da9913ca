// Finding the parts of a head in a growing buffer, resumably: each function
// takes the offset where the previous search stopped, so bytes are searched
// once however the head is split across reads.
#pragma once

#include <cstddef>
#include <string_view>

#include <shoal/pool/http/limits.hpp>
#include <shoal/pool/http/parse_result.hpp>

namespace shoal::pool::http::detail {

// Empty lines tolerated before a request line. RFC 9112 section 2.2: a server
// should ignore at least one (clients send one after a POST body now and then).
// More is refused: the skip is redone on every call, so it must stay short.
inline constexpr size_t kMaxLeadingEmptyLines = 4;

// Length of the empty lines ("\r\n" or "\n") before a start line, at most
// kMaxLeadingEmptyLines of them; `more` is set if another one follows.
size_t skip_empty_lines(std::string_view buffer, bool& more);

// Offset of the first LF at or after `scan`, or npos; on npos, `scan` is set
// to the buffer size so the next search starts there.
size_t find_lf(std::string_view buffer, size_t& scan);

// Offset just past the blank line that ends a head whose start line begins at
// or before `scan`, or 0 if it has not all arrived (then `scan` is updated).
size_t find_head_end(std::string_view buffer, size_t& scan);

// A line without its terminator: [begin, lf), minus the CR before the LF.
inline std::string_view line_before(std::string_view buffer, size_t begin, size_t lf) {
  size_t end = lf;
  if (end > begin && buffer[end - 1] == '\r') --end;
  return buffer.substr(begin, end - begin);
}

// Bytes of a start line that has no LF yet, from `begin`: a CR at the very
// end may be the first half of its CRLF, so it does not count. Measured so,
// a line is refused at the same length whether it arrives whole or in pieces.
inline size_t pending_line_bytes(std::string_view buffer, size_t begin) {
  size_t n = buffer.size() - begin;
  if (n > 0 && buffer.back() == '\r') --n;
  return n;
}

// The start-line limit actually applied: never above the head limit, so
// which limit a long line hits does not depend on how the bytes arrive.
inline size_t start_line_limit(const Limits& limits) {
  return limits.max_request_line < limits.max_head_bytes ? limits.max_request_line : limits.max_head_bytes;
}

inline ParseResult parse_error(int status, std::string_view why) {
  return ParseResult{ParseStatus::error, 0, status, why};
}

}  // namespace shoal::pool::http::detail

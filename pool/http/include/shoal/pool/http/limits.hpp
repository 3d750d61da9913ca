// Limits that bound what one HTTP message may cost the gateway.
//
// Every byte the parsers keep is counted against one of these, so a hostile
// peer can make a connection hold at most max_head_bytes of head plus the
// caller's own body buffering, and never more work than linear in what it sent.
#pragma once

#include <cstddef>
#include <cstdint>

namespace shoal::pool::http {

struct Limits {
  // The start line, the header fields and the blank line that ends them,
  // including any empty lines tolerated before a request line. Past it: 431.
  size_t max_head_bytes = 16 * 1024;
  // The request line (method, target, version) or a response's status line.
  // Past it: 414 for a request.
  size_t max_request_line = 8 * 1024;
  // Header fields in one head. Past it: 431.
  size_t max_headers = 100;
  // Body bytes after decoding: a Content-Length, the sum of the chunk sizes,
  // or what a read-until-close body has delivered so far. Past it: 413.
  uint64_t max_body = 8 * 1024 * 1024;
  // One chunk-size line, extensions included. Past it: 400.
  size_t max_chunk_line = 4096;
  // The trailer section of a chunked body (trailers are checked, then dropped).
  // Past it: 431.
  size_t max_trailer_bytes = 16 * 1024;
};

}  // namespace shoal::pool::http

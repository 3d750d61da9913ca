// Incremental decoder of the chunked transfer coding (RFC 9112 section 7.1).
//
// A state machine over bytes, so input may be split anywhere (even one byte
// at a time). Chunk data is handed out as views into the input. Bounded: a
// chunk-size line is at most max_chunk_line bytes, the sum of chunk sizes at
// most max_body (else 413), the trailer section at most max_trailer_bytes
// (else 431). Accepted: hex sizes with leading zeros (no overflow), chunk
// extensions (";name[=value]", any visible characters, checked for control
// characters only), whitespace between the size and ';' or the line end,
// CRLF or bare LF line ends, trailer fields (validated as header fields, then
// dropped). Everything else is 400.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <shoal/pool/http/limits.hpp>

namespace shoal::pool::http {

enum class BodyStatus : uint8_t { in_progress, done, error };

struct BodyStep {
  BodyStatus status = BodyStatus::in_progress;
  size_t consumed = 0;     // bytes of the input used by this step (data included)
  std::string_view data;   // decoded bytes, a view into the input; may be empty
  int error_status = 0;    // error only: 400, 413, 431
  std::string_view error;  // error only: static text for logs
};

class ChunkedDecoder {
 public:
  explicit ChunkedDecoder(const Limits& limits = {}) { reset(limits); }
  void reset(const Limits& limits);
  void reset() { reset(m_limits); }

  // Consumes input until one piece of chunk data can be handed out, the body
  // ends (done: the bytes after `consumed` belong to the next message), an
  // error is found (sticky), or the input is used up.
  BodyStep decode(std::string_view in);

  bool done() const { return m_state == State::done; }
  uint64_t body_bytes() const { return m_total; }

 private:
  enum class State : uint8_t {
    size_first,     // first hex digit of a chunk size
    size,           // more hex digits
    size_space,     // whitespace after the size
    extension,      // after ';' up to the line end
    size_lf,        // CR seen, LF expected
    data,           // m_remaining bytes of chunk data
    data_end,       // CRLF after the data
    data_lf,
    trailer_start,  // start of a trailer line or of the final empty line
    trailer_name,
    trailer_value,
    trailer_lf,
    final_lf,       // CR of the final empty line seen
    done,
    error,
  };
  BodyStep fail(size_t consumed, int status, std::string_view why);
  // A chunk-size line ended: true if the chunk would exceed max_body.
  bool end_size_line();

  Limits m_limits;
  State m_state = State::size_first;
  uint64_t m_size = 0;       // the chunk size being read
  uint64_t m_remaining = 0;  // data left in the current chunk
  uint64_t m_total = 0;      // sum of chunk sizes
  size_t m_line_bytes = 0;   // bytes of the current chunk-size line
  size_t m_trailer_bytes = 0;
  int m_error_status = 0;
  std::string_view m_error;
};

}  // namespace shoal::pool::http

// The chunked transfer coding, one byte of framing at a time, chunk data in
// bulk. The states are listed in chunked_decoder.hpp.
#include <shoal/pool/http/chunked_decoder.hpp>

#include <algorithm>

#include "chars.hpp"

namespace shoal::pool::http {

using detail::has_class;
using detail::is_ows;

void ChunkedDecoder::reset(const Limits& limits) {
  m_limits = limits;
  m_state = State::size_first;
  m_size = 0;
  m_remaining = 0;
  m_total = 0;
  m_line_bytes = 0;
  m_trailer_bytes = 0;
  m_error_status = 0;
  m_error = {};
}

BodyStep ChunkedDecoder::fail(size_t consumed, int status, std::string_view why) {
  m_state = State::error;
  m_error_status = status;
  m_error = why;
  return BodyStep{BodyStatus::error, consumed, {}, status, why};
}

bool ChunkedDecoder::end_size_line() {
  // The whole chunk is accounted for before any of its data is handed out.
  m_line_bytes = 0;
  if (m_size > m_limits.max_body - m_total) return true;
  m_total += m_size;
  m_remaining = m_size;
  m_state = m_size == 0 ? State::trailer_start : State::data;
  m_size = 0;
  return false;
}

BodyStep ChunkedDecoder::decode(std::string_view in) {
  if (m_state == State::error) return BodyStep{BodyStatus::error, 0, {}, m_error_status, m_error};
  if (m_state == State::done) return BodyStep{BodyStatus::done, 0, {}, 0, {}};

  size_t i = 0;
  while (i < in.size()) {
    if (m_state == State::data) {
      size_t take = static_cast<size_t>(std::min<uint64_t>(m_remaining, in.size() - i));
      m_remaining -= take;
      if (m_remaining == 0) m_state = State::data_end;
      return BodyStep{BodyStatus::in_progress, i + take, in.substr(i, take), 0, {}};
    }
    const char c = in[i++];
    switch (m_state) {
      case State::size_first:
      case State::size:
        if (++m_line_bytes > m_limits.max_chunk_line) return fail(i, 400, "chunk-size line too long");
        if (has_class(c, detail::kHexDigit)) {
          if (m_size > (UINT64_MAX >> 4)) return fail(i, 400, "chunk size overflows");
          m_size = (m_size << 4) | static_cast<uint64_t>(detail::hex_value(c));
          m_state = State::size;
          break;
        }
        if (m_state == State::size_first) return fail(i, 400, "chunk size expected");
        if (is_ows(c)) {
          m_state = State::size_space;
        } else if (c == ';') {
          m_state = State::extension;
        } else if (c == '\r') {
          m_state = State::size_lf;
        } else if (c == '\n') {
          if (end_size_line()) return fail(i, 413, "chunked body larger than allowed");
        } else {
          return fail(i, 400, "invalid character in chunk size");
        }
        break;
      case State::size_space:
        if (++m_line_bytes > m_limits.max_chunk_line) return fail(i, 400, "chunk-size line too long");
        if (is_ows(c)) break;
        if (c == ';') {
          m_state = State::extension;
        } else if (c == '\r') {
          m_state = State::size_lf;
        } else if (c == '\n') {
          if (end_size_line()) return fail(i, 413, "chunked body larger than allowed");
        } else {
          return fail(i, 400, "invalid character after chunk size");
        }
        break;
      case State::extension:
        // Extensions are ignored; only their characters are checked, so no
        // control character (a bare CR above all) can hide in them.
        if (++m_line_bytes > m_limits.max_chunk_line) return fail(i, 400, "chunk-size line too long");
        if (c == '\r') {
          m_state = State::size_lf;
        } else if (c == '\n') {
          if (end_size_line()) return fail(i, 413, "chunked body larger than allowed");
        } else if (!has_class(c, detail::kFieldValue)) {
          return fail(i, 400, "invalid character in chunk extension");
        }
        break;
      case State::size_lf:
        if (c != '\n') return fail(i, 400, "bare CR in chunk-size line");
        if (end_size_line()) return fail(i, 413, "chunked body larger than allowed");
        break;
      case State::data_end:
        if (c == '\r') {
          m_state = State::data_lf;
        } else if (c == '\n') {
          m_state = State::size_first;
        } else {
          return fail(i, 400, "chunk data longer than its size");
        }
        break;
      case State::data_lf:
        if (c != '\n') return fail(i, 400, "chunk data longer than its size");
        m_state = State::size_first;
        break;
      case State::trailer_start:
        if (++m_trailer_bytes > m_limits.max_trailer_bytes) return fail(i, 431, "trailer section too large");
        if (c == '\r') {
          m_state = State::final_lf;
        } else if (c == '\n') {
          m_state = State::done;
          return BodyStep{BodyStatus::done, i, {}, 0, {}};
        } else if (detail::is_token_char(c)) {
          m_state = State::trailer_name;
        } else {
          return fail(i, 400, is_ows(c) ? "obsolete line folding in trailer section" : "invalid trailer field");
        }
        break;
      case State::trailer_name:
        if (++m_trailer_bytes > m_limits.max_trailer_bytes) return fail(i, 431, "trailer section too large");
        if (c == ':') {
          m_state = State::trailer_value;
        } else if (!detail::is_token_char(c)) {
          return fail(i, 400, "invalid character in trailer field name");
        }
        break;
      case State::trailer_value:
        if (++m_trailer_bytes > m_limits.max_trailer_bytes) return fail(i, 431, "trailer section too large");
        if (c == '\r') {
          m_state = State::trailer_lf;
        } else if (c == '\n') {
          m_state = State::trailer_start;
        } else if (!has_class(c, detail::kFieldValue)) {
          return fail(i, 400, "invalid character in trailer field value");
        }
        break;
      case State::trailer_lf:
        if (c != '\n') return fail(i, 400, "bare CR in trailer section");
        m_state = State::trailer_start;
        break;
      case State::final_lf:
        if (c != '\n') return fail(i, 400, "bare CR at the end of a chunked body");
        m_state = State::done;
        return BodyStep{BodyStatus::done, i, {}, 0, {}};
      case State::data:
      case State::done:
      case State::error:
        break;  // handled above the switch
    }
  }
  return BodyStep{BodyStatus::in_progress, i, {}, 0, {}};
}

}  // namespace shoal::pool::http

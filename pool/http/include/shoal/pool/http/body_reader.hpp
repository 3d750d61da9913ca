// Body framing: reads a body delimited by Content-Length, chunked coding or
// the end of the connection, incrementally, without copying.
//
//   BodyReader body(head.body, limits);
//   std::string_view in = buffer.substr(head.head_bytes);
//   BodyStep s = body.read_all(in, [&](std::string_view data) { forward(data); });
//   in_progress -> all of `in` is used up (s.consumed == in.size()); read more
//   done        -> the body ended at in[s.consumed]; the next message starts there
//   error       -> s.error_status (400/413/431 for a request; the gateway
//                  answers 502 when it is a response body) and close
// On end of file call finish_at_eof(): it says whether the body was complete.
//
// Decoded data is handed out as views into the input (chunk data is contiguous
// there); nothing is buffered. Chunk extensions are checked and ignored;
// trailer fields are checked and dropped. max_body bounds every kind: a
// read-until-close body hands out data up to it, and the byte after is a 413.
#pragma once

#include <cstdint>
#include <string_view>

#include <shoal/pool/http/chunked_decoder.hpp>
#include <shoal/pool/http/limits.hpp>
#include <shoal/pool/http/message.hpp>

namespace shoal::pool::http {

class BodyReader {
 public:
  BodyReader() = default;  // an empty body, already done
  explicit BodyReader(BodyFraming framing, const Limits& limits = {}) { reset(framing, limits); }
  void reset(BodyFraming framing, const Limits& limits = {});

  // One step: consumes bytes of `in` until it can hand out one piece of data,
  // the body ends, an error is found, or `in` is used up. Call again with the
  // rest of `in` while the status is in_progress and input remains.
  BodyStep read(std::string_view in);

  // Loops read() over all of `in`, passing each piece of data to `sink`.
  // consumed counts the bytes of `in` used, over every step.
  template <typename Sink>
  BodyStep read_all(std::string_view in, Sink&& sink) {
    size_t used = 0;
    for (;;) {
      BodyStep s = read(in.substr(used));
      used += s.consumed;
      if (!s.data.empty()) sink(s.data);
      if (s.status != BodyStatus::in_progress || used == in.size()) {
        s.consumed = used;
        s.data = {};
        return s;
      }
    }
  }

  // The peer closed the connection: true if that completes the body (a
  // read-until-close body, or one already done), false if the body is cut short.
  bool finish_at_eof();

  bool done() const { return m_done; }
  BodyKind kind() const { return m_kind; }
  // Decoded body bytes handed out so far.
  uint64_t body_bytes() const { return m_body_bytes; }

 private:
  BodyKind m_kind = BodyKind::none;
  bool m_done = true;
  bool m_failed = false;
  uint64_t m_remaining = 0;  // length
  uint64_t m_body_bytes = 0;
  uint64_t m_max_body = 0;   // until_close
  ChunkedDecoder m_chunked;
};

}  // namespace shoal::pool::http

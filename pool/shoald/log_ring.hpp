// LogRing: the last output of one instance (its monitor's stdout and
// stderr), kept in memory for `shoal logs`. Bounded by bytes, not lines: the
// oldest lines go first once the text held passes the capacity.
//
// Bytes arrive in arbitrary chunks from a pipe; a line is stored when its
// newline arrives (or when it grows past kMaxLine, so a guest that never
// prints a newline cannot grow memory). Each line carries the wall-clock time
// it was completed and the stream it came from.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace shoal::pool {

enum class LogStream : uint8_t { out, err };

struct LogLine {
  uint64_t time_ns = 0;  // CLOCK_REALTIME when the line completed
  LogStream stream = LogStream::out;
  std::string text;      // without the newline; bytes as the guest wrote them
};

class LogRing {
 public:
  static constexpr size_t kDefaultCapacity = 64 * 1024;
  static constexpr size_t kMaxLine = 4096;

  explicit LogRing(size_t capacity = kDefaultCapacity) : m_capacity(capacity) {}

  // Appends bytes read from `stream`; `now_ns` stamps the lines completed.
  void append(LogStream stream, std::string_view bytes, uint64_t now_ns);
  // Stores whatever partial line each stream holds (the pipe closed).
  void flush(uint64_t now_ns);

  const std::deque<LogLine>& lines() const { return m_lines; }
  size_t bytes() const { return m_bytes; }
  uint64_t dropped_lines() const { return m_dropped; }
  // Monotonic count of lines ever stored: a follower asks for lines after
  // the sequence number it saw last.
  uint64_t next_seq() const { return m_seq; }
  uint64_t first_seq() const { return m_seq - m_lines.size(); }

  // The last `max_lines` lines of `stream` (a crash report is the tail of stderr).
  std::vector<std::string> tail(LogStream stream, size_t max_lines) const;

 private:
  void store(LogStream stream, std::string text, uint64_t now_ns);

  size_t m_capacity;
  size_t m_bytes = 0;
  uint64_t m_dropped = 0;
  uint64_t m_seq = 0;
  std::deque<LogLine> m_lines;
  std::string m_partial[2];
};

}  // namespace shoal::pool

// Resumable searches for line ends and the end of a head.
#include "head_scan.hpp"

#include <string.h>

namespace shoal::pool::http::detail {

size_t skip_empty_lines(std::string_view b, bool& more) {
  size_t i = 0;
  for (size_t lines = 0;; ++lines) {
    size_t length = 0;
    if (i < b.size() && b[i] == '\n') {
      length = 1;
    } else if (i + 1 < b.size() && b[i] == '\r' && b[i + 1] == '\n') {
      length = 2;
    }
    more = length != 0 && lines == kMaxLeadingEmptyLines;
    if (length == 0 || more) return i;
    i += length;
  }
}

size_t find_lf(std::string_view b, size_t& scan) {
  if (scan >= b.size()) return std::string_view::npos;
  // SAFETY: scan < size, so the range [scan, size) lies inside the buffer.
  const void* lf = memchr(b.data() + scan, '\n', b.size() - scan);
  if (lf == nullptr) {
    scan = b.size();
    return std::string_view::npos;
  }
  return static_cast<size_t>(static_cast<const char*>(lf) - b.data());
}

size_t find_head_end(std::string_view b, size_t& scan) {
  const size_t n = b.size();
  size_t from = scan;
  for (;;) {
    size_t at = find_lf(b, from);
    if (at == std::string_view::npos) {
      scan = n;
      return 0;
    }
    // The line after this LF is empty if it is "\n" or "\r\n". If the bytes
    // that decide it have not arrived, resume at this LF next time.
    bool undecided = at + 1 >= n || (b[at + 1] == '\r' && at + 2 >= n);
    if (undecided) {
      scan = at;
      return 0;
    }
    if (b[at + 1] == '\n') return at + 2;
    if (b[at + 1] == '\r' && b[at + 2] == '\n') return at + 3;
    from = at + 1;
  }
}

}  // namespace shoal::pool::http::detail

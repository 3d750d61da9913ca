// The outcome of feeding bytes to a head parser.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace shoal::pool::http {

enum class ParseStatus : uint8_t {
  need_more,  // the head is not complete: call again with the same bytes plus more
  complete,   // the head is parsed; `consumed` bytes of the buffer were the head
  error,      // the message is malformed or over a limit: answer error_status, then close
};

struct ParseResult {
  ParseStatus status = ParseStatus::need_more;
  size_t consumed = 0;    // complete only
  int error_status = 0;   // error only: 400, 405, 413, 414, 431, 501, 505 (502 for responses)
  std::string_view error;  // error only: what was wrong, static text for logs

  bool complete() const { return status == ParseStatus::complete; }
  bool failed() const { return status == ParseStatus::error; }
};

}  // namespace shoal::pool::http

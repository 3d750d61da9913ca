// Parsing the header field lines of a head, and the facts the framing and
// connection rules need from them, gathered in the same pass.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include <shoal/pool/http/limits.hpp>
#include <shoal/pool/http/message.hpp>

namespace shoal::pool::http::detail {

struct FieldError {
  int status;  // as for a request: 400 or 431
  std::string_view why;
};

struct FieldFacts {
  bool has_content_length = false;
  uint64_t content_length = 0;
  bool content_length_bad = false;  // not digits, overflow, or differing values
  bool has_transfer_encoding = false;
  bool te_chunked_seen = false;
  bool te_chunked_last = false;  // the final coding is chunked
  bool te_malformed = false;     // chunked twice, not last, with parameters, or no coding at all
  bool te_unsupported = false;   // a coding other than chunked
  size_t te_codings = 0;
  ConnectionOptions connection;
  bool connection_bad = false;   // a list element that is not a token
  int host_count = 0;
  std::string_view host;
  bool expect_continue = false;
};

// Parses the field lines in `text`: everything after the start line's LF up
// to and including the blank line (the caller found it). Fills `out` (cleared
// by the caller) and `facts`. Fields the rules depend on are checked later by
// the caller, which knows whether this is a request or a response.
std::optional<FieldError> parse_fields(std::string_view text, const Limits& limits, std::vector<Header>& out,
                                       FieldFacts& facts);

// Parses a Content-Length value: "5" or a list of equal values "5, 5".
// Returns false for anything else (sign, overflow, junk, differing values).
bool parse_content_length(std::string_view value, uint64_t& length);

}  // namespace shoal::pool::http::detail

// Message: an HTTP request or response as the gateway holds it between the
// client and the instances: owned strings, end-to-end headers only (the
// codec in pool/http drops hop-by-hop ones), the body decoded (no chunking).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "shoal/pool/http/headers.hpp"

namespace shoal::pool {

struct Header {
  std::string name;
  std::string value;
};

struct Message {
  // Requests.
  std::string method;
  std::string target;
  // Responses.
  int status = 0;
  std::vector<Header> headers;
  std::string body;

  // Case-insensitive lookup; empty when absent.
  std::string_view header(std::string_view name) const;
  void set_header(std::string_view name, std::string_view value);
};

// Requests the gateway may send twice without asking: GET, HEAD and OPTIONS
// (safe methods, RFC 9110 §9.2.1). Others are retried only on routes marked
// retryable (docs/spec.md).
bool is_idempotent(std::string_view method);

// Views of m's headers, for the pool/http writers.
std::vector<http::Header> header_views(const Message& m);

}  // namespace shoal::pool

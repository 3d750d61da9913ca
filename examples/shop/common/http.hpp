// HTTP/1.1 messages for the shop's services: what a handler sees and returns,
// and the parsing shared by the server (requests) and the client (responses).
//
// This is ordinary application code, the kind any C++ service carries: it knows
// nothing about shoal. Bodies are framed by Content-Length or chunked encoding.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shop {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive header lookup; nullptr when absent.
const std::string* find_header(const Headers& headers, std::string_view name);
bool iequals(std::string_view a, std::string_view b);

struct Request {
  std::string method;   // "GET"
  std::string target;   // "/cart/alice?x=1", as sent
  std::string path;     // "/cart/alice" (target without the query)
  std::string query;    // "x=1"
  int minor_version = 1;  // HTTP/1.<minor>
  Headers headers;
  std::string body;

  const std::string* header(std::string_view name) const { return find_header(headers, name); }
  // Value of `key` in the query string ("" when absent); no %-decoding.
  std::string query_param(std::string_view key) const;
  // Path segments without empty ones: "/api/cart/alice" -> {"api", "cart", "alice"}.
  std::vector<std::string> segments() const;
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  Headers headers;  // extra headers

  static Response text(int status, std::string body);
  static Response json(int status, std::string body);
  static Response html(int status, std::string body);
  // {"error": message} with the given status.
  static Response error(int status, std::string_view message);
};

const char* reason_phrase(int status);

// Limits a server applies to what a client sends.
struct Limits {
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 1024 * 1024;
};

enum class Parse { kNeedMore, kComplete, kError };

struct RequestParse {
  Parse state = Parse::kNeedMore;
  size_t consumed = 0;          // bytes of the buffer the complete request used
  bool head_complete = false;   // the header block has arrived (body may not have)
  bool expect_continue = false; // the client waits for "100 Continue" before the body
  int error_status = 0;         // 400, 413, 431, 501 when state == kError
  std::string error;            // why, for the error body
};

// Parses one request from the front of `buf`. Complete: `out` is filled.
RequestParse parse_request(std::string_view buf, const Limits& limits, Request& out);

// Whether the connection stays open after answering `request`.
bool keep_alive(const Request& request);

// The head (status line and headers) and body of `response` to `request`;
// `close` adds "Connection: close".
std::string serialize(const Request& request, const Response& response, bool close);

// Decodes a chunked body at the front of `data` (after the head). Complete:
// `out` holds the body and `consumed` the bytes used, trailers included.
Parse decode_chunked(std::string_view data, size_t max_body, std::string& out, size_t& consumed);

// Header fields "Name: value\r\n..." (the block after the start line, without
// the final empty line) into `out`; false when a line is malformed.
bool parse_header_fields(std::string_view block, Headers& out);

}  // namespace shop

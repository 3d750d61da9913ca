// Parsed HTTP/1.x message heads.
//
// NOTE: every std::string_view in a head points into the buffer the parser was
// given. A head is valid only while that buffer is unchanged: handle it (route,
// forward, copy what must survive) before the connection's buffer is compacted
// or grown.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include <shoal/pool/http/headers.hpp>

namespace shoal::pool::http {

enum class Version : uint8_t { http10, http11 };

// Methods the gateway treats specially; any other token is `other` (forwarded
// as is). Methods are case-sensitive: "get" is `other`.
enum class Method : uint8_t { get, head, post, put, delete_, patch, options, connect, trace, other };

// The Method of a method token ("GET" -> get, anything unknown -> other).
Method to_method(std::string_view method);

// How the body that follows a head is delimited (RFC 9112 section 6.3).
enum class BodyKind : uint8_t {
  none,         // no body: no framing header, HEAD, 1xx, 204, 304
  length,       // Content-Length bytes
  chunked,      // Transfer-Encoding: chunked
  until_close,  // a response with no framing: the body ends when the peer closes
};

struct BodyFraming {
  BodyKind kind = BodyKind::none;
  uint64_t length = 0;  // kind == length only
};

// What the Connection header fields listed (RFC 9110 section 7.6.1).
struct ConnectionOptions {
  bool close = false;
  bool keep_alive = false;
  bool upgrade = false;
  bool others = false;  // other tokens: names of extra hop-by-hop fields
};

struct RequestHead {
  std::string_view method;
  Method method_kind = Method::other;
  std::string_view target;  // as received
  // The origin-form of the target ("/path?query"), to forward to an instance:
  // the target itself, the path of an absolute-form target ("/" when it has
  // none), or "*" for OPTIONS *.
  std::string_view path;
  Version version = Version::http11;
  std::vector<Header> headers;  // in order, duplicates kept
  // The authority of an absolute-form target if there is one, else the Host
  // field (validated; may be empty for HTTP/1.0).
  std::string_view host;
  BodyFraming body;  // none, length or chunked (never until_close)
  ConnectionOptions connection;
  bool expect_continue = false;  // Expect: 100-continue
  size_t head_bytes = 0;         // bytes of the head; the body starts there

  // Whether the client keeps the connection open after this exchange:
  // HTTP/1.1 unless "Connection: close", HTTP/1.0 only with "keep-alive".
  bool keeps_alive() const {
    return !connection.close && (version == Version::http11 || connection.keep_alive);
  }
  std::optional<std::string_view> header(std::string_view name) const { return find_header(headers, name); }
};

struct ResponseHead {
  Version version = Version::http11;
  int status = 0;  // 100..599
  std::string_view reason;
  std::vector<Header> headers;
  // none for HEAD requests, 1xx, 204 and 304, whatever the fields say.
  BodyFraming body;
  // The Content-Length field if valid, even when the body is none (HEAD, 304):
  // forwarding it lets the client learn the size of the representation.
  std::optional<uint64_t> content_length;
  ConnectionOptions connection;
  size_t head_bytes = 0;

  // 1xx: an interim response, another head follows for the same request.
  bool interim() const { return status < 200; }
  // Whether the instance keeps the connection open after this response: as
  // for requests, and never when the body runs until the connection closes.
  bool keeps_alive() const {
    return body.kind != BodyKind::until_close && !connection.close &&
           (version == Version::http11 || connection.keep_alive);
  }
  std::optional<std::string_view> header(std::string_view name) const { return find_header(headers, name); }
};

}  // namespace shoal::pool::http

// Serializing requests and responses into a std::string output buffer.
//
// The gateway forwards with write_forwarded_request (client -> instance) and
// write_forwarded_response (instance -> client): the start line is rewritten
// (always HTTP/1.1), hop-by-hop fields are removed (Connection, Keep-Alive,
// Proxy-*, TE, Trailer, Transfer-Encoding, Upgrade, and every field the
// Connection field names), framing fields are removed and replaced by the
// caller's choice of OutBody, and the caller's fields are added. The body
// itself is appended by the caller: raw bytes for length, append_chunk() and
// append_last_chunk() for chunked.
//
// Fields copied from a parsed head are already valid. Fields given by the
// caller (set_headers, write_request/write_response) are sanitized: a name
// that is not a token is dropped, control characters in a value (CR, LF, NUL)
// become spaces, so a value from elsewhere cannot split the message.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <shoal/pool/http/message.hpp>

namespace shoal::pool::http {

// How the body after a written head is framed.
struct OutBody {
  BodyKind kind = BodyKind::none;  // none and until_close write no framing field
  uint64_t length = 0;

  static OutBody none() { return {}; }
  static OutBody of_length(uint64_t n) { return {BodyKind::length, n}; }
  static OutBody chunked() { return {BodyKind::chunked, 0}; }
  static OutBody until_close() { return {BodyKind::until_close, 0}; }
};

// The natural framing to forward a request's body to an instance: the same
// kind (length or chunked, re-framed by the gateway), none when it has none.
OutBody forward_body(const RequestHead& request);
// The natural framing to forward a response's body to a client: length stays
// length; chunked and until_close become chunked for an HTTP/1.1 client and
// until_close for HTTP/1.0 (which cannot read chunked); none stays none but
// keeps the instance's Content-Length (HEAD, 304). The gateway may instead
// buffer the whole body and use of_length.
OutBody forward_body(const ResponseHead& response, Version client);

// Fields the gateway never forwards (case-insensitive): the hop-by-hop list
// above, plus Content-Length and Transfer-Encoding, which OutBody replaces.
bool is_hop_by_hop(std::string_view name);

struct RequestForward {
  // Appended to the request's X-Forwarded-For list ("a, b" -> "a, b, client");
  // empty: the list is forwarded unchanged.
  std::string_view client_address;
  // Replace every incoming field of the same name, or are added. Typical:
  // X-Request-Id, X-Forwarded-Proto. Naming X-Forwarded-For here replaces the
  // list, and client_address is then not added.
  std::span<const Header> set_headers;
  OutBody body;
  bool close = false;  // "Connection: close": the instance closes after answering
};

// "METHOD path HTTP/1.1", the request's fields minus hop-by-hop ones and
// Expect (the gateway answers 100-continue itself), the forwarded fields and
// the framing. Host is always written, once, as request.host (the Host field,
// or the authority of an absolute-form target) unless set_headers replaces it.
void write_forwarded_request(std::string& out, const RequestHead& request, const RequestForward& forward);

struct ResponseForward {
  std::span<const Header> set_headers;  // replace fields of the same name, or are added
  OutBody body;
  Version client_version = Version::http11;
  // The gateway closes the client connection after this response: writes
  // "Connection: close". Forced when body is until_close. Otherwise an
  // HTTP/1.0 client is told "Connection: keep-alive".
  bool close = false;
};

// "HTTP/1.1 status reason", the response's fields minus hop-by-hop ones, the
// caller's fields, the framing and the Connection field.
void write_forwarded_response(std::string& out, const ResponseHead& response, const ResponseForward& forward);

// A new request (the gateway's own calls: pipeline stages, scatter elements).
// Content-Length is written when there is a body or the method is not GET,
// HEAD, DELETE or OPTIONS; the body follows the head.
void write_request(std::string& out, std::string_view method, std::string_view target,
                   std::span<const Header> headers, std::string_view body);

struct ResponseOptions {
  Version client_version = Version::http11;
  bool close = false;         // "Connection: close" (else keep-alive for an HTTP/1.0 client)
  bool head_request = false;  // answering HEAD: Content-Length of the body, no body
  // With head_request only: the Content-Length to announce instead of
  // body.size() (the instance's ResponseHead::content_length, the size a GET
  // would get). Ignored otherwise, so it cannot misframe a body.
  std::optional<uint64_t> content_length;
};

// A complete response with a Content-Length body (none for 1xx, 204, 304).
void write_response(std::string& out, int status, std::span<const Header> headers, std::string_view body,
                    const ResponseOptions& options = {});

// Building blocks.
void append_request_line(std::string& out, std::string_view method, std::string_view target);
// "HTTP/1.1 <status> <reason>"; an empty reason takes the standard phrase.
void append_status_line(std::string& out, int status, std::string_view reason = {});
// Sanitizes as described above; returns false (and writes nothing) for a bad name.
bool append_header(std::string& out, std::string_view name, std::string_view value);
// Content-Length or Transfer-Encoding: chunked, as `body` says.
void append_framing(std::string& out, const OutBody& body);
void append_end_of_head(std::string& out);
// One chunk "<hex size>\r\n<data>\r\n". Empty data writes nothing: an empty
// chunk would end the body.
void append_chunk(std::string& out, std::string_view data);
// "0\r\n\r\n": the end of a chunked body.
void append_last_chunk(std::string& out);

}  // namespace shoal::pool::http

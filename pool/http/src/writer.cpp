// Serializing heads, forwarded or new.
#include <shoal/pool/http/writer.hpp>

#include <charconv>

#include <shoal/pool/http/canned.hpp>

#include "chars.hpp"

namespace shoal::pool::http {
namespace {

constexpr std::string_view kCrlf = "\r\n";

void append_number(std::string& out, uint64_t n, int base = 10) {
  char digits[24];
  auto r = std::to_chars(digits, digits + sizeof digits, n, base);
  out.append(digits, static_cast<size_t>(r.ptr - digits));
}

// A value from a parsed head: already validated.
void append_trusted_header(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append(kCrlf);
}

// Control characters but HTAB become spaces: nothing from a caller's value
// can end the line (response splitting) or carry a NUL.
void append_sanitized(std::string& out, std::string_view value) {
  for (char c : value) {
    bool ok = detail::has_class(c, detail::kFieldValue);
    out.push_back(ok ? c : ' ');
  }
}

bool named_in(std::span<const Header> headers, std::string_view name) {
  for (const Header& h : headers)
    if (iequals(h.name, name)) return true;
  return false;
}

// Whether a Connection field lists `name` as hop-by-hop (RFC 9110 section 7.6.1).
bool listed_in_connection(std::span<const Header> headers, std::string_view name) {
  for (const Header& h : headers)
    if (iequals(h.name, "connection") && has_token(h.value, name)) return true;
  return false;
}

bool forwardable(const Header& h, std::span<const Header> all, const ConnectionOptions& connection,
                 std::span<const Header> replaced) {
  if (is_hop_by_hop(h.name)) return false;
  if (connection.others && listed_in_connection(all, h.name)) return false;
  return !named_in(replaced, h.name);
}

void append_caller_headers(std::string& out, std::span<const Header> headers) {
  for (const Header& h : headers) append_header(out, h.name, h.value);
}

bool is_framing(std::string_view name) { return iequals(name, "content-length") || iequals(name, "transfer-encoding"); }

bool status_has_no_body(int status) { return status < 200 || status == 204 || status == 304; }

}  // namespace

bool is_hop_by_hop(std::string_view name) {
  switch (name.size()) {
    case 2:
      return iequals(name, "te");
    case 7:
      return iequals(name, "trailer") || iequals(name, "upgrade");
    case 10:
      return iequals(name, "connection") || iequals(name, "keep-alive");
    case 14:
      return iequals(name, "content-length");
    case 17:
      return iequals(name, "transfer-encoding");
    default:
      return name.size() > 6 && iequals(name.substr(0, 6), "proxy-");
  }
}

OutBody forward_body(const RequestHead& request) {
  switch (request.body.kind) {
    case BodyKind::length:
      return OutBody::of_length(request.body.length);
    case BodyKind::chunked:
      return OutBody::chunked();
    case BodyKind::none:
    case BodyKind::until_close:
      break;
  }
  return OutBody::none();
}

OutBody forward_body(const ResponseHead& response, Version client) {
  switch (response.body.kind) {
    case BodyKind::length:
      return OutBody::of_length(response.body.length);
    case BodyKind::chunked:
    case BodyKind::until_close:
      return client == Version::http11 ? OutBody::chunked() : OutBody::until_close();
    case BodyKind::none:
      break;
  }
  // HEAD and 304: the Content-Length describes the representation, keep it.
  if (response.content_length && response.status >= 200 && response.status != 204)
    return OutBody::of_length(*response.content_length);
  return OutBody::none();
}

void append_request_line(std::string& out, std::string_view method, std::string_view target) {
  out.append(method);
  out.push_back(' ');
  out.append(target);
  out.append(" HTTP/1.1\r\n");
}

void append_status_line(std::string& out, int status, std::string_view reason) {
  out.append("HTTP/1.1 ");
  append_number(out, static_cast<uint64_t>(status < 100 || status > 999 ? 500 : status));
  out.push_back(' ');
  append_sanitized(out, reason.empty() ? reason_phrase(status) : reason);
  out.append(kCrlf);
}

bool append_header(std::string& out, std::string_view name, std::string_view value) {
  if (name.empty() || !detail::all_of_class(name, detail::kToken)) return false;
  out.append(name);
  out.append(": ");
  append_sanitized(out, detail::trim_ows(value));
  out.append(kCrlf);
  return true;
}

void append_framing(std::string& out, const OutBody& body) {
  if (body.kind == BodyKind::length) {
    out.append("Content-Length: ");
    append_number(out, body.length);
    out.append(kCrlf);
  } else if (body.kind == BodyKind::chunked) {
    out.append("Transfer-Encoding: chunked\r\n");
  }
}

void append_end_of_head(std::string& out) { out.append(kCrlf); }

void append_chunk(std::string& out, std::string_view data) {
  if (data.empty()) return;
  append_number(out, data.size(), 16);
  out.append(kCrlf);
  out.append(data);
  out.append(kCrlf);
}

void append_last_chunk(std::string& out) { out.append("0\r\n\r\n"); }

void write_forwarded_request(std::string& out, const RequestHead& request, const RequestForward& forward) {
  out.reserve(out.size() + request.head_bytes + 256);
  append_request_line(out, request.method, request.path);
  const bool add_client = !forward.client_address.empty() && !named_in(forward.set_headers, "x-forwarded-for");
  // HTTP/1.1 requires Host, and the parsed host is what the gateway routed
  // on: the authority of an absolute-form target (RFC 9112 section 3.2.2),
  // else the Host field, possibly empty for an HTTP/1.0 client that sent none.
  bool host_written = named_in(forward.set_headers, "host");
  for (const Header& h : request.headers) {
    if (!forwardable(h, request.headers, request.connection, forward.set_headers)) continue;
    // The gateway answers 100-continue itself; the instance gets the body at once.
    if (iequals(h.name, "expect")) continue;
    if (add_client && iequals(h.name, "x-forwarded-for")) continue;  // merged below
    if (iequals(h.name, "host")) {
      if (host_written) continue;  // one Host only (a parsed head has one; a hand-made one may not)
      host_written = true;
      append_trusted_header(out, h.name, request.host);
      continue;
    }
    append_trusted_header(out, h.name, h.value);
  }
  if (!host_written) append_trusted_header(out, "Host", request.host);
  append_caller_headers(out, forward.set_headers);
  if (add_client) {
    out.append("X-Forwarded-For: ");
    for (const Header& h : request.headers) {
      if (!iequals(h.name, "x-forwarded-for") || h.value.empty()) continue;
      out.append(h.value);
      out.append(", ");
    }
    append_sanitized(out, forward.client_address);
    out.append(kCrlf);
  }
  if (forward.close) out.append("Connection: close\r\n");
  append_framing(out, forward.body);
  append_end_of_head(out);
}

void write_forwarded_response(std::string& out, const ResponseHead& response, const ResponseForward& forward) {
  out.reserve(out.size() + response.head_bytes + 128);
  append_status_line(out, response.status, response.reason);
  for (const Header& h : response.headers)
    if (forwardable(h, response.headers, response.connection, forward.set_headers))
      append_trusted_header(out, h.name, h.value);
  append_caller_headers(out, forward.set_headers);
  append_framing(out, forward.body);
  if (forward.close || forward.body.kind == BodyKind::until_close) {
    out.append("Connection: close\r\n");
  } else if (forward.client_version == Version::http10) {
    out.append("Connection: keep-alive\r\n");
  }
  append_end_of_head(out);
}

void write_request(std::string& out, std::string_view method, std::string_view target,
                   std::span<const Header> headers, std::string_view body) {
  append_request_line(out, method, target);
  for (const Header& h : headers)
    if (!is_framing(h.name)) append_header(out, h.name, h.value);
  bool bodiless_method = method == "GET" || method == "HEAD" || method == "DELETE" || method == "OPTIONS";
  if (!body.empty() || !bodiless_method) append_framing(out, OutBody::of_length(body.size()));
  append_end_of_head(out);
  out.append(body);
}

void write_response(std::string& out, int status, std::span<const Header> headers, std::string_view body,
                    const ResponseOptions& options) {
  append_status_line(out, status, {});
  for (const Header& h : headers)
    if (!is_framing(h.name) && !iequals(h.name, "connection")) append_header(out, h.name, h.value);
  const bool no_body = status_has_no_body(status);
  // The override only applies with no body sent, so it can never misframe one.
  uint64_t length = options.head_request && options.content_length ? *options.content_length : body.size();
  if (!no_body) append_framing(out, OutBody::of_length(length));
  if (options.close) {
    out.append("Connection: close\r\n");
  } else if (options.client_version == Version::http10) {
    out.append("Connection: keep-alive\r\n");
  }
  append_end_of_head(out);
  if (!no_body && !options.head_request) out.append(body);
}

}  // namespace shoal::pool::http

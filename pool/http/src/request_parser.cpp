// Request heads: find the head in the buffer, validate it, decide framing.
#include <shoal/pool/http/request_parser.hpp>

#include "chars.hpp"
#include "fields.hpp"
#include "head_scan.hpp"
#include "start_line.hpp"

namespace shoal::pool::http {

using detail::FieldError;
using detail::parse_error;

namespace {

ParseResult fail(const FieldError& e) { return parse_error(e.status, e.why); }

// RFC 9112 section 6.3, for a request: the message framing from the fields.
std::optional<FieldError> request_framing(const detail::FieldFacts& f, Version version, const Limits& limits,
                                          BodyFraming& out) {
  if (f.has_transfer_encoding) {
    // Both present is the classic smuggling set-up: refuse, never pick one.
    if (f.has_content_length) return FieldError{400, "both Transfer-Encoding and Content-Length"};
    if (version == Version::http10) return FieldError{400, "Transfer-Encoding in an HTTP/1.0 request"};
    if (f.te_malformed || f.te_codings == 0) return FieldError{400, "malformed Transfer-Encoding"};
    if (f.te_unsupported) return FieldError{501, "unsupported transfer coding"};
    out = BodyFraming{BodyKind::chunked, 0};
    return std::nullopt;
  }
  if (f.has_content_length) {
    if (f.content_length_bad) return FieldError{400, "invalid or conflicting Content-Length"};
    if (f.content_length > limits.max_body) return FieldError{413, "request body larger than allowed"};
    out = f.content_length == 0 ? BodyFraming{} : BodyFraming{BodyKind::length, f.content_length};
    return std::nullopt;
  }
  out = BodyFraming{};
  return std::nullopt;
}

}  // namespace

ParseResult RequestParser::parse(std::string_view buf, RequestHead& out) {
  bool too_many_empty_lines = false;
  const size_t start = detail::skip_empty_lines(buf, too_many_empty_lines);
  if (too_many_empty_lines) {
    reset();
    return parse_error(400, "too many empty lines before the request line");
  }
  detail::RequestLine line;
  bool line_parsed = false;

  // The request line is validated as soon as it is whole, so garbage and
  // over-long targets are refused without waiting for the rest of the head.
  if (m_line_end == 0) {
    if (m_line_scan < start) m_line_scan = start;
    size_t lf = detail::find_lf(buf, m_line_scan);
    if (lf == std::string_view::npos) {
      // Bounded: at most the skipped empty lines plus the line limit are held.
      if (detail::pending_line_bytes(buf, start) > detail::start_line_limit(m_limits)) {
        reset();
        return parse_error(414, "request line too long");
      }
      return ParseResult{};
    }
    std::string_view text = detail::line_before(buf, start, lf);
    if (text.size() > detail::start_line_limit(m_limits)) {
      reset();
      return parse_error(414, "request line too long");
    }
    if (auto e = detail::parse_request_line(text, line)) {
      reset();
      return fail(*e);
    }
    line_parsed = true;
    m_line_end = lf + 1;
    if (m_scan < start) m_scan = start;
  }

  size_t end = detail::find_head_end(buf, m_scan);
  if (end == 0 || end > m_limits.max_head_bytes) {
    if (end == 0 && buf.size() <= m_limits.max_head_bytes) return ParseResult{};
    reset();
    return parse_error(431, "request header fields too large");
  }

  const size_t line_end = m_line_end;
  reset();  // whatever follows, the next call starts a new message
  if (!line_parsed) {
    // Parsed in an earlier call, whose views may point to a since-moved buffer.
    size_t lf = line_end - 1;
    if (auto e = detail::parse_request_line(detail::line_before(buf, start, lf), line)) return fail(*e);
  }

  out.headers.clear();
  detail::FieldFacts facts;
  if (auto e = detail::parse_fields(buf.substr(line_end, end - line_end), m_limits, out.headers, facts))
    return fail(*e);

  if (facts.connection_bad) return parse_error(400, "malformed Connection field");
  if (facts.host_count > 1) return parse_error(400, "more than one Host field");
  if (facts.host_count == 0 && line.version == Version::http11) return parse_error(400, "HTTP/1.1 request without Host");
  if (!detail::all_of_class(facts.host, detail::kHost)) return parse_error(400, "invalid Host field");
  BodyFraming framing;
  if (auto e = request_framing(facts, line.version, m_limits, framing)) return fail(*e);

  out.method = line.method;
  out.method_kind = line.method_kind;
  out.target = line.target;
  out.path = line.path;
  out.version = line.version;
  out.host = line.absolute_form ? line.authority : facts.host;
  out.body = framing;
  out.connection = facts.connection;
  out.expect_continue = facts.expect_continue;
  out.head_bytes = end;
  return ParseResult{ParseStatus::complete, end, 0, {}};
}

}  // namespace shoal::pool::http

// Response heads from instances: find, validate, decide framing. Every error
// is a 502 for the gateway's client.
#include <shoal/pool/http/response_parser.hpp>

#include "chars.hpp"
#include "fields.hpp"
#include "head_scan.hpp"
#include "start_line.hpp"

namespace shoal::pool::http {

using detail::parse_error;

namespace {

constexpr int kBadGateway = 502;

// RFC 9112 section 6.3, for a response.
std::optional<std::string_view> response_framing(const detail::FieldFacts& f, int status, Method request_method,
                                                 const Limits& limits, BodyFraming& out) {
  if (f.has_content_length && f.content_length_bad) return "invalid or conflicting Content-Length in response";
  if (request_method == Method::head || status < 200 || status == 204 || status == 304) {
    out = BodyFraming{};
    return std::nullopt;
  }
  if (f.has_transfer_encoding) {
    if (f.has_content_length) return "both Transfer-Encoding and Content-Length in response";
    if (f.te_malformed || f.te_codings == 0) return "malformed Transfer-Encoding in response";
    if (f.te_unsupported) return "unsupported transfer coding in response";
    out = BodyFraming{BodyKind::chunked, 0};
    return std::nullopt;
  }
  if (f.has_content_length) {
    if (f.content_length > limits.max_body) return "response body larger than allowed";
    out = f.content_length == 0 ? BodyFraming{} : BodyFraming{BodyKind::length, f.content_length};
    return std::nullopt;
  }
  out = BodyFraming{BodyKind::until_close, 0};
  return std::nullopt;
}

}  // namespace

ParseResult ResponseParser::parse(std::string_view buf, Method request_method, ResponseHead& out) {
  detail::StatusLine line;
  bool line_parsed = false;

  if (m_line_end == 0) {
    size_t lf = detail::find_lf(buf, m_line_scan);
    if (lf == std::string_view::npos) {
      if (detail::pending_line_bytes(buf, 0) > detail::start_line_limit(m_limits)) {
        reset();
        return parse_error(kBadGateway, "status line too long");
      }
      return ParseResult{};
    }
    std::string_view text = detail::line_before(buf, 0, lf);
    if (text.size() > detail::start_line_limit(m_limits)) {
      reset();
      return parse_error(kBadGateway, "status line too long");
    }
    if (auto e = detail::parse_status_line(text, line)) {
      reset();
      return parse_error(kBadGateway, *e);
    }
    line_parsed = true;
    m_line_end = lf + 1;
  }

  size_t end = detail::find_head_end(buf, m_scan);
  if (end == 0 || end > m_limits.max_head_bytes) {
    if (end == 0 && buf.size() <= m_limits.max_head_bytes) return ParseResult{};
    reset();
    return parse_error(kBadGateway, "response head too large");
  }

  const size_t line_end = m_line_end;
  reset();
  if (!line_parsed) {
    if (auto e = detail::parse_status_line(detail::line_before(buf, 0, line_end - 1), line))
      return parse_error(kBadGateway, *e);
  }

  out.headers.clear();
  detail::FieldFacts facts;
  if (auto e = detail::parse_fields(buf.substr(line_end, end - line_end), m_limits, out.headers, facts))
    return parse_error(kBadGateway, e->why);
  if (facts.connection_bad) return parse_error(kBadGateway, "malformed Connection field in response");
  BodyFraming framing;
  if (auto e = response_framing(facts, line.status, request_method, m_limits, framing))
    return parse_error(kBadGateway, *e);

  out.version = line.version;
  out.status = line.status;
  out.reason = line.reason;
  out.body = framing;
  out.content_length = facts.has_content_length ? std::optional<uint64_t>(facts.content_length) : std::nullopt;
  out.connection = facts.connection;
  out.head_bytes = end;
  return ParseResult{ParseStatus::complete, end, 0, {}};
}

}  // namespace shoal::pool::http

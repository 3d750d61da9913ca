// Reason phrases and the prebuilt error responses.
#include <shoal/pool/http/canned.hpp>

#include <array>
#include <string>

namespace shoal::pool::http {

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "";
  }
}

namespace {

constexpr std::array<int, 14> kCannedStatuses = {400, 404, 405, 408, 413, 414, 417,
                                                 431, 500, 501, 502, 503, 504, 505};

struct Canned {
  std::string text;
  size_t head_bytes = 0;  // the response without its body, for HEAD
};

Canned build(int status, bool close) {
  std::string reason(reason_phrase(status));
  std::string body = std::to_string(status) + " " + reason + "\n";
  std::string head = "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\n";
  head += "Content-Type: text/plain; charset=utf-8\r\n";
  head += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  if (status == 405) head += "Allow: GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS\r\n";
  if (status == 503) head += "Retry-After: 1\r\n";
  // Explicit either way: an HTTP/1.0 client needs keep-alive spelled out.
  head += close ? "Connection: close\r\n" : "Connection: keep-alive\r\n";
  head += "\r\n";
  return Canned{head + body, head.size()};
}

// [status index][close]
using CannedTable = std::array<std::array<Canned, 2>, kCannedStatuses.size()>;

const CannedTable& canned_table() {
  static const CannedTable table = [] {
    CannedTable t;
    for (size_t i = 0; i < kCannedStatuses.size(); ++i) {
      t[i][0] = build(kCannedStatuses[i], false);
      t[i][1] = build(kCannedStatuses[i], true);
    }
    return t;
  }();
  return table;
}

}  // namespace

std::string_view canned_response(int status, bool close, bool head_request) {
  static_assert(kCannedStatuses[8] == 500);
  size_t index = 8;  // 500 for statuses without their own
  for (size_t i = 0; i < kCannedStatuses.size(); ++i)
    if (kCannedStatuses[i] == status) index = i;
  const Canned& c = canned_table()[index][close ? 1 : 0];
  std::string_view text = c.text;
  return head_request ? text.substr(0, c.head_bytes) : text;
}

}  // namespace shoal::pool::http

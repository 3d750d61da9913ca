#include "http.hpp"

#include <cctype>
#include <charconv>

namespace shop {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

const std::string* find_header(const Headers& headers, std::string_view name) {
  for (auto& [k, v] : headers)
    if (iequals(k, name)) return &v;
  return nullptr;
}

std::string Request::query_param(std::string_view key) const {
  std::string_view q = query;
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) == key) return eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return "";
}

std::vector<std::string> Request::segments() const {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t slash = path.find('/', i);
    if (slash == std::string::npos) slash = path.size();
    if (slash > i) out.emplace_back(path, i, slash - i);
    i = slash + 1;
  }
  return out;
}

Response Response::text(int status, std::string body) {
  return Response{status, "text/plain; charset=utf-8", std::move(body), {}};
}
Response Response::json(int status, std::string body) {
  return Response{status, "application/json", std::move(body), {}};
}
Response Response::html(int status, std::string body) {
  return Response{status, "text/html; charset=utf-8", std::move(body), {}};
}
Response Response::error(int status, std::string_view message) {
  std::string body = "{\"error\":\"";
  for (char c : message) {
    if (c == '"' || c == '\\') body += '\\';
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    body += c;
  }
  body += "\"}";
  return json(status, std::move(body));
}

const char* reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Content Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
  }
}

// A token character (RFC 9110 tchar): what methods and header names are made of.
static bool is_tchar(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

static std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits off the next line (without its "\r\n" or "\n") from `s`.
static bool next_line(std::string_view& s, std::string_view& line) {
  size_t nl = s.find('\n');
  if (nl == std::string_view::npos) return false;
  line = s.substr(0, nl);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  s.remove_prefix(nl + 1);
  return true;
}

bool parse_header_fields(std::string_view block, Headers& out) {
  std::string_view line;
  while (next_line(block, line)) {
    size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) return false;
    std::string_view name = line.substr(0, colon);
    for (char c : name)
      if (!is_tchar(c)) return false;  // also refuses obsolete line folding (leading space)
    std::string_view value = trim(line.substr(colon + 1));
    for (char c : value)
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) return false;
    out.emplace_back(std::string(name), std::string(value));
  }
  return block.empty();
}

// Where the header block ends: the offset just past the empty line, or npos.
static size_t head_end(std::string_view buf) {
  size_t pos = 0;
  while (true) {
    size_t nl = buf.find('\n', pos);
    if (nl == std::string_view::npos) return std::string_view::npos;
    size_t len = nl - pos;
    if (len == 0 || (len == 1 && buf[pos] == '\r')) return nl + 1;
    pos = nl + 1;
  }
}

static bool parse_size(std::string_view s, size_t& out) {
  if (s.empty() || s.size() > 18) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return std::from_chars(s.data(), s.data() + s.size(), out).ec == std::errc{};
}

static RequestParse fail(int status, std::string why) {
  RequestParse r;
  r.state = Parse::kError;
  r.error_status = status;
  r.error = std::move(why);
  return r;
}

RequestParse parse_request(std::string_view buf, const Limits& limits, Request& out) {
  // Tolerate empty lines before a request (RFC 9112 2.2).
  size_t skipped = 0;
  while (skipped < buf.size() && (buf[skipped] == '\r' || buf[skipped] == '\n')) ++skipped;
  std::string_view rest = buf.substr(skipped);
  size_t end = head_end(rest);
  if (end == std::string_view::npos) {
    if (rest.size() > limits.max_header_bytes) return fail(431, "request header too large");
    return {};
  }
  if (end > limits.max_header_bytes) return fail(431, "request header too large");

  std::string_view head = rest.substr(0, end), line;
  next_line(head, line);
  // Request line: METHOD SP target SP HTTP/1.x
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
    return fail(400, "malformed request line");
  std::string_view method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1),
                   version = line.substr(sp2 + 1);
  if (method.empty()) return fail(400, "malformed request line");
  for (char c : method)
    if (!is_tchar(c)) return fail(400, "malformed method");
  if (target.empty() || target[0] != '/') return fail(400, "request target must be an absolute path");
  for (char c : target)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return fail(400, "malformed request target");
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return fail(400, "unsupported HTTP version");

  Request req;
  req.method = method;
  req.target = target;
  req.minor_version = version.back() - '0';
  size_t q = target.find('?');
  req.path = target.substr(0, q);
  if (q != std::string_view::npos) req.query = target.substr(q + 1);
  // The header block without the final empty line.
  std::string_view fields = head;
  fields.remove_suffix(fields.size() >= 2 && fields[fields.size() - 2] == '\r' ? 2 : 1);
  if (!parse_header_fields(fields, req.headers))
    return fail(400, "malformed header field");

  const std::string* te = req.header("Transfer-Encoding");
  const std::string* cl = req.header("Content-Length");
  RequestParse r;
  r.head_complete = true;
  const std::string* expect = req.header("Expect");
  r.expect_continue = expect && iequals(*expect, "100-continue") && req.minor_version == 1;
  std::string_view body_bytes = rest.substr(end);
  size_t body_used = 0;
  if (te) {
    if (cl) return fail(400, "both Content-Length and Transfer-Encoding");
    if (!iequals(*te, "chunked")) return fail(501, "unsupported transfer coding");
    std::string body;
    Parse p = decode_chunked(body_bytes, limits.max_body_bytes, body, body_used);
    if (p == Parse::kError) {
      // decode_chunked reports an oversized body by leaving `body` over the limit.
      if (body.size() > limits.max_body_bytes) return fail(413, "request body too large");
      return fail(400, "malformed chunked body");
    }
    if (p == Parse::kNeedMore) return r;
    req.body = std::move(body);
  } else if (cl) {
    size_t length = 0;
    if (!parse_size(*cl, length)) return fail(400, "malformed Content-Length");
    if (length > limits.max_body_bytes) return fail(413, "request body too large");
    if (body_bytes.size() < length) return r;
    req.body = body_bytes.substr(0, length);
    body_used = length;
  }
  r.state = Parse::kComplete;
  r.consumed = skipped + end + body_used;
  out = std::move(req);
  return r;
}

Parse decode_chunked(std::string_view data, size_t max_body, std::string& out, size_t& consumed) {
  size_t pos = 0;
  out.clear();
  while (true) {
    size_t nl = data.find('\n', pos);
    if (nl == std::string_view::npos) return data.size() - pos > 1024 ? Parse::kError : Parse::kNeedMore;
    std::string_view line = data.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    line = line.substr(0, line.find(';'));  // chunk extensions are ignored
    line = trim(line);
    size_t size = 0;
    if (line.empty() || line.size() > 15) return Parse::kError;
    for (char c : line) {
      int digit = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                  : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
                  : (c >= 'A' && c <= 'F')                    ? c - 'A' + 10
                                                              : -1;
      if (digit < 0) return Parse::kError;
      size = size * 16 + digit;
    }
    pos = nl + 1;
    if (size == 0) break;
    if (out.size() + size > max_body) {
      out.resize(max_body + 1);  // tells parse_request the error is the size
      return Parse::kError;
    }
    if (data.size() - pos < size + 1) return Parse::kNeedMore;
    out.append(data.substr(pos, size));
    pos += size;
    // The chunk's data ends with CRLF (or LF).
    if (data[pos] == '\r') {
      if (data.size() - pos < 2) return Parse::kNeedMore;
      ++pos;
    }
    if (data[pos] != '\n') return Parse::kError;
    ++pos;
  }
  // Trailer fields, then the empty line.
  while (true) {
    size_t nl = data.find('\n', pos);
    if (nl == std::string_view::npos) return data.size() - pos > 4096 ? Parse::kError : Parse::kNeedMore;
    size_t len = nl - pos;
    pos = nl + 1;
    if (len == 0 || (len == 1 && data[nl - 1] == '\r')) break;
  }
  consumed = pos;
  return Parse::kComplete;
}

bool keep_alive(const Request& request) {
  const std::string* connection = request.header("Connection");
  if (request.minor_version == 0) return connection && iequals(*connection, "keep-alive");
  return !(connection && iequals(*connection, "close"));
}

std::string serialize(const Request& request, const Response& response, bool close) {
  std::string out;
  out.reserve(128 + response.body.size());
  out += "HTTP/1.1 ";
  out += std::to_string(response.status);
  out += ' ';
  out += reason_phrase(response.status);
  out += "\r\nContent-Type: ";
  out += response.content_type;
  out += "\r\nContent-Length: ";
  out += std::to_string(response.body.size());
  out += "\r\n";
  for (auto& [k, v] : response.headers) {
    out += k;
    out += ": ";
    out += v;
    out += "\r\n";
  }
  if (close) out += "Connection: close\r\n";
  else if (request.minor_version == 0) out += "Connection: keep-alive\r\n";
  out += "\r\n";
  if (request.method != "HEAD") out += response.body;
  return out;
}

}  // namespace shop

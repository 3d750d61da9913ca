#include "client.hpp"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <cstring>

namespace shop {

HttpClient::HttpClient(std::string address, int timeout_ms) : m_address(std::move(address)), m_timeout_ms(timeout_ms) {
  size_t colon = m_address.rfind(':');
  m_host = m_address.substr(0, colon);
  m_port = colon == std::string::npos ? "80" : m_address.substr(colon + 1);
}

HttpClient::~HttpClient() { disconnect(); }

void HttpClient::disconnect() {
  if (m_fd >= 0) close(m_fd);
  m_fd = -1;
  m_in.clear();
}

bool HttpClient::connect_to(std::string& error) {
  // IPv4 only and no AI_ADDRCONFIG: inside a shoal instance a service name is
  // an entry of /etc/hosts with a virtual IPv4 address.
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  if (int e = getaddrinfo(m_host.c_str(), m_port.c_str(), &hints, &result); e != 0) {
    error = m_address + ": " + gai_strerror(e);
    return false;
  }
  int err = 0;
  for (addrinfo* a = result; a; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      err = errno;
      continue;
    }
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      m_fd = fd;
      break;
    }
    err = errno;
    close(fd);
  }
  freeaddrinfo(result);
  if (m_fd < 0) error = m_address + ": connect: " + std::strerror(err);
  return m_fd >= 0;
}

bool HttpClient::fill(std::string& error) {
  pollfd p{m_fd, POLLIN, 0};
  int ready;
  do ready = poll(&p, 1, m_timeout_ms);
  while (ready < 0 && errno == EINTR);
  if (ready == 0) {
    error = m_address + ": no response within " + std::to_string(m_timeout_ms) + " ms";
    return false;
  }
  char buf[16384];
  ssize_t n;
  do n = read(m_fd, buf, sizeof buf);
  while (n < 0 && errno == EINTR);
  if (n <= 0) {
    error = m_address + (n == 0 ? ": connection closed" : std::string(": read: ") + std::strerror(errno));
    return false;
  }
  m_in.append(buf, n);
  m_received = true;
  return true;
}

bool HttpClient::exchange(const std::string& wire, bool head, ClientResponse& out, std::string& error) {
  for (size_t sent = 0; sent < wire.size();) {
    ssize_t n = send(m_fd, wire.data() + sent, wire.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = m_address + ": write: " + std::strerror(errno);
      return false;
    }
    sent += n;
  }
  while (true) {
    // Status line and headers.
    size_t end;
    while ((end = m_in.find("\r\n\r\n")) == std::string::npos) {
      if (m_in.size() > 64 * 1024) {
        error = m_address + ": response header too large";
        return false;
      }
      if (!fill(error)) return false;
    }
    std::string_view head_text(m_in.data(), end + 2);
    size_t eol = head_text.find("\r\n");
    std::string_view status_line = head_text.substr(0, eol);
    if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." ||
        std::from_chars(status_line.data() + 9, status_line.data() + 12, out.status).ec != std::errc{}) {
      error = m_address + ": not an HTTP response";
      return false;
    }
    out.headers.clear();
    if (!parse_header_fields(head_text.substr(eol + 2), out.headers)) {
      error = m_address + ": malformed response header";
      return false;
    }
    m_in.erase(0, end + 4);
    if (out.status >= 100 && out.status < 200) continue;  // interim response
    break;
  }
  out.body.clear();
  const std::string* te = find_header(out.headers, "Transfer-Encoding");
  const std::string* cl = find_header(out.headers, "Content-Length");
  const std::string* connection = find_header(out.headers, "Connection");
  bool close_after = connection && iequals(*connection, "close");
  if (head || out.status == 204 || out.status == 304) {
    // No body.
  } else if (te && iequals(*te, "chunked")) {
    size_t used = 0;
    Parse p;
    while ((p = decode_chunked(m_in, 64 << 20, out.body, used)) == Parse::kNeedMore)
      if (!fill(error)) return false;
    if (p == Parse::kError) {
      error = m_address + ": malformed chunked response";
      return false;
    }
    m_in.erase(0, used);
  } else if (cl) {
    size_t length = 0;
    if (std::from_chars(cl->data(), cl->data() + cl->size(), length).ec != std::errc{}) {
      error = m_address + ": malformed Content-Length";
      return false;
    }
    while (m_in.size() < length)
      if (!fill(error)) return false;
    out.body = m_in.substr(0, length);
    m_in.erase(0, length);
  } else {
    // Delimited by the end of the connection.
    std::string ignored;
    while (fill(ignored)) {
    }
    out.body = std::move(m_in);
    close_after = true;
  }
  if (close_after) disconnect();
  return true;
}

bool HttpClient::request(const std::string& method, const std::string& path, const std::string& body,
                         ClientResponse& out, std::string& error) {
  std::string wire = method + " " + path + " HTTP/1.1\r\nHost: " + m_host + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT")
    wire += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  wire += "\r\n";
  wire += body;
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool reused = m_fd >= 0;
    if (!reused && !connect_to(error)) return false;
    m_received = false;
    if (exchange(wire, method == "HEAD", out, error)) return true;
    disconnect();
    // Only a reused connection that failed before any byte of an answer
    // arrived is retried: the server may have closed it while it was idle.
    if (!reused || m_received) return false;
  }
  return false;
}

}  // namespace shop

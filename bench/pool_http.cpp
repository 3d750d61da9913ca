#include "pool_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "pool_proc.hpp"

namespace shoal::bench::pool {

static sockaddr_in loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

Result<uint16_t> free_port() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno_error("socket");
  sockaddr_in a = loopback(0);
  socklen_t len = sizeof a;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) < 0) {
    auto e = errno_error("bind 127.0.0.1:0");
    close(fd);
    return e;
  }
  close(fd);
  return ntohs(a.sin_port);
}

// Whether `buf` holds a complete response: head, then Content-Length bytes.
static bool complete(const std::string& buf, HttpAnswer& out) {
  size_t end = buf.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  if (buf.compare(0, 9, "HTTP/1.1 ") != 0 && buf.compare(0, 9, "HTTP/1.0 ") != 0) return false;
  out.status = std::atoi(buf.c_str() + 9);
  std::string head = buf.substr(0, end);
  for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t cl = head.find("\r\ncontent-length:");
  if (cl == std::string::npos) return false;  // delimited by close: wait for EOF
  size_t length = std::strtoul(head.c_str() + cl + 17, nullptr, 10);
  if (buf.size() < end + 4 + length) return false;
  out.body = buf.substr(end + 4, length);
  return true;
}

Result<HttpAnswer> http_get(uint16_t port, const std::string& path, int timeout_ms) {
  double start = now_us();
  auto left_ms = [&] { return timeout_ms - static_cast<int>((now_us() - start) / 1000); };
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return errno_error("socket");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in a = loopback(port);
  HttpAnswer answer;
  auto fail = [&](const std::string& why) -> Result<HttpAnswer> {
    close(fd);
    return make_error("GET 127.0.0.1:" + std::to_string(port) + path + ": " + why);
  };
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 && errno != EINPROGRESS)
    return fail(std::strerror(errno));
  pollfd p{fd, POLLOUT, 0};
  if (poll(&p, 1, std::max(left_ms(), 0)) <= 0) return fail("connect timed out");
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err) return fail(std::strerror(err));
  std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size()))
    return fail("send failed");
  std::string buf;
  while (true) {
    p = {fd, POLLIN, 0};
    if (left_ms() <= 0 || poll(&p, 1, left_ms()) <= 0) return fail("no complete response in time");
    char tmp[16384];
    ssize_t n = read(fd, tmp, sizeof tmp);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n > 0) buf.append(tmp, n);
    if (complete(buf, answer)) break;
    if (n <= 0) {
      size_t end = buf.find("\r\n\r\n");
      if (end == std::string::npos) return fail(n == 0 ? "connection closed without a response" : std::strerror(errno));
      answer.status = std::atoi(buf.c_str() + 9);
      answer.body = buf.substr(end + 4);
      break;
    }
  }
  answer.us = now_us() - start;
  close(fd);
  return answer;
}

bool wait_http_ok(uint16_t port, const std::string& path, int timeout_ms) {
  double deadline = now_us() + timeout_ms * 1000.0;
  while (now_us() < deadline && !interrupted()) {
    auto r = http_get(port, path, 1000);
    if (r && r->status == 200) return true;
    usleep(10000);
  }
  return false;
}

}  // namespace shoal::bench::pool

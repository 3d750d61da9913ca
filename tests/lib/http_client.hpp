// One HTTP/1.1 request from a test to 127.0.0.1:port on a fresh connection
// ("Connection: close"), read to EOF (10 s at most). Shared by the in-process
// pool tests (tests/unit/shoald/pool_harness.hpp) and the whole-pool tests
// (tests/pool/pool_client.hpp).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <string>

namespace shoal::test {

struct HttpAnswer {
  int status = 0;  // 0: no answer
  std::string body;
  std::string raw;
};

inline HttpAnswer http_request(uint16_t port, const std::string& method, const std::string& path,
                               const std::string& body = "") {
  HttpAnswer a;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return a;
  }
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n";
  if (!body.empty() || method == "POST") req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  (void)!write(fd, req.data(), req.size());
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) a.raw.append(buf, static_cast<size_t>(n));
  close(fd);
  if (a.raw.compare(0, 9, "HTTP/1.1 ") == 0) a.status = atoi(a.raw.c_str() + 9);
  size_t head_end = a.raw.find("\r\n\r\n");
  if (head_end != std::string::npos) a.body = a.raw.substr(head_end + 4);
  return a;
}

}  // namespace shoal::test

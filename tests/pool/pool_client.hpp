// What the whole-pool tests use to drive a pool as a user would: run a CLI
// command, find a free loopback port, make one HTTP request. Shared by
// pool_test.cpp and jail_test.cpp.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

namespace shoal::test {

struct CommandResult {
  int status = -1;
  std::string output;  // stdout and stderr
};

// Runs `command` with sh under a 60 s limit; status as a shell reports it.
inline CommandResult run(const std::string& command) {
  CommandResult r;
  FILE* p = popen(("timeout 60 " + command + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

inline uint16_t free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

struct Answer {
  int status = 0;  // 0: no answer
  std::string body;
};

// One request to 127.0.0.1:port, "Connection: close", read to EOF (10 s at most).
inline Answer http(uint16_t port, const std::string& method, const std::string& path) {
  Answer a;
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
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: pool-test\r\nConnection: close\r\n";
  if (method == "POST") req += "Content-Length: 0\r\n";
  req += "\r\n";
  (void)!write(fd, req.data(), req.size());
  std::string raw;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) raw.append(buf, static_cast<size_t>(n));
  close(fd);
  if (raw.compare(0, 9, "HTTP/1.1 ") == 0) a.status = atoi(raw.c_str() + 9);
  size_t head_end = raw.find("\r\n\r\n");
  if (head_end != std::string::npos) a.body = raw.substr(head_end + 4);
  return a;
}

}  // namespace shoal::test

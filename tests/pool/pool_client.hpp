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

#include "../lib/http_client.hpp"

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

using Answer = HttpAnswer;

// One GET or POST (empty body) to 127.0.0.1:port.
inline Answer http(uint16_t port, const std::string& method, const std::string& path) {
  return http_request(port, method, path);
}

}  // namespace shoal::test

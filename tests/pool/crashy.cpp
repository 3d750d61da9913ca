// crashy: a minimal HTTP server for the pool tests, an ordinary static Linux
// program (blocking sockets, one connection at a time, "Connection: close").
//   GET  /healthz  -> "ok"
//   POST /crash    -> writes a null pointer: a guest page fault, which the
//                     monitor reports (crash report on stderr, status 139)
//   anything else  -> "crashy SERVICE/INSTANCE\n"
// Reads PORT (default 8080), SHOAL_SERVICE and SHOAL_INSTANCE from the
// environment (shoald sets them).
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

static void answer(int fd, const std::string& body) {
  std::string out = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\nConnection: close\r\n\r\n" + body;
  size_t off = 0;
  while (off < out.size()) {
    ssize_t n = write(fd, out.data() + off, out.size() - off);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

int main() {
  const char* port_env = getenv("PORT");
  int port = port_env ? atoi(port_env) : 8080;
  std::string me = std::string(getenv("SHOAL_SERVICE") ? getenv("SHOAL_SERVICE") : "?") + "/" +
                   (getenv("SHOAL_INSTANCE") ? getenv("SHOAL_INSTANCE") : "?");
  int s = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(s, 64) != 0) {
    perror("crashy: bind/listen");
    return 1;
  }
  printf("crashy %s listening on %d\n", me.c_str(), port);
  fflush(stdout);
  for (;;) {
    int c = accept(s, nullptr, nullptr);
    if (c < 0) continue;
    std::string req;
    char buf[4096];
    while (req.find("\r\n\r\n") == std::string::npos && req.size() < 65536) {
      ssize_t n = read(c, buf, sizeof buf);
      if (n <= 0) break;
      req.append(buf, static_cast<size_t>(n));
    }
    if (req.rfind("POST /crash", 0) == 0) {
      fprintf(stderr, "crashy %s: crashing on purpose\n", me.c_str());
      fflush(stderr);
      *static_cast<volatile int*>(nullptr) = 1;
    }
    if (req.rfind("GET /healthz", 0) == 0) {
      answer(c, "ok\n");
    } else {
      answer(c, "crashy " + me + "\n");
    }
    close(c);
  }
}

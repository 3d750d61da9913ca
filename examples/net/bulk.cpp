// bulk: moves a deterministic byte stream over one TCP connection and reports
// what it moved. Tests compare the SHA-256 printed by both ends; bench/net
// reads the MB/s.
//
//   bulk send HOST PORT BYTES         connect, send BYTES, half-close, wait for EOF
//   bulk fetch HOST PORT              connect, receive until EOF (client that receives)
//   bulk recv PORT                    listen, accept one connection, receive until EOF
//   bulk serve-send PORT BYTES        listen, accept one connection, send BYTES, close
//   bulk gen BYTES                    write the stream to stdout (expected data for tests)
//   bulk sha BYTES                    print the stream's SHA-256
// Options (before the mode): --seed N (default 1), --bind ADDR (listeners,
// default 0.0.0.0), --chunk BYTES (read/write size, default 64K), --no-hash
// (benchmarks: SHA-256 costs ~5 ns a byte, more than the network path).
//
// The receiving modes hash what arrived; sending modes hash what they sent.
// Output, one line on stdout, for scripts:
//   bulk: MODE bytes=N seconds=S mbps=M sha256=HEX
// Listeners print "bulk: listening on ADDR:PORT" first (PORT 0 = any). Exit
// status 0 on success, 1 on a socket error or a short transfer.
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "common.hpp"

namespace {

uint64_t g_seed = 1;
const char* g_bind = "0.0.0.0";
size_t g_chunk = 64 * 1024;
bool g_hash = true;

[[noreturn]] void die(const char* what) {
  fprintf(stderr, "bulk: %s: %s\n", what, strerror(errno));
  exit(1);
}

[[noreturn]] void usage() {
  fprintf(stderr,
          "usage: bulk [--seed N] [--bind ADDR] [--chunk BYTES] [--no-hash] send HOST PORT BYTES | fetch HOST PORT |\n"
          "            recv PORT | serve-send PORT BYTES | gen BYTES | sha BYTES\n");
  exit(2);
}

uint64_t size_arg(const char* text) {
  uint64_t v;
  if (!netex::parse_size(text, v)) usage();
  return v;
}

int connect_to(const char* host, const char* port) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host, port, &hints, &res);
  if (rc != 0) {
    fprintf(stderr, "bulk: %s:%s: %s\n", host, port, gai_strerror(rc));
    exit(1);
  }
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  if (connect(fd, res->ai_addr, res->ai_addrlen) < 0) die("connect");
  freeaddrinfo(res);
  return fd;
}

int accept_one(const char* port) {
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  if (lfd < 0) die("socket");
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(atoi(port)));
  if (inet_pton(AF_INET, g_bind, &a.sin_addr) != 1) usage();
  if (bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) die("bind");
  if (listen(lfd, 4) < 0) die("listen");
  socklen_t len = sizeof a;
  getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len);
  printf("bulk: listening on %s:%u\n", g_bind, ntohs(a.sin_port));
  fflush(stdout);
  int fd;
  do fd = accept(lfd, nullptr, nullptr);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) die("accept");
  close(lfd);
  return fd;
}

void report(const char* mode, uint64_t bytes, double seconds, netex::Sha256& sha) {
  char hex[65] = "-";
  if (g_hash) sha.hex(hex);
  double mbps = seconds > 0 ? static_cast<double>(bytes) / 1e6 / seconds : 0;
  printf("bulk: %s bytes=%llu seconds=%.3f mbps=%.1f sha256=%s\n", mode, static_cast<unsigned long long>(bytes),
         seconds, mbps, hex);
  fflush(stdout);
}

// Sends `bytes` of the stream; returns false on a socket error.
bool send_stream(int fd, uint64_t bytes, netex::Sha256& sha) {
  netex::Stream stream(g_seed);
  std::vector<uint8_t> buf(g_chunk);
  while (bytes > 0) {
    size_t n = bytes < buf.size() ? static_cast<size_t>(bytes) : buf.size();
    stream.fill(buf.data(), n);
    if (g_hash) sha.update(buf.data(), n);
    bytes -= n;
    for (size_t off = 0; off < n;) {
      ssize_t w = send(fd, buf.data() + off, n - off, MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        fprintf(stderr, "bulk: send: %s\n", strerror(errno));
        return false;
      }
      off += static_cast<size_t>(w);
    }
  }
  return true;
}

// Receives until EOF; returns the byte count, or -1 on a socket error.
int64_t recv_stream(int fd, netex::Sha256& sha) {
  std::vector<uint8_t> buf(g_chunk);
  int64_t total = 0;
  while (true) {
    ssize_t r = recv(fd, buf.data(), buf.size(), 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      fprintf(stderr, "bulk: recv after %lld bytes: %s\n", static_cast<long long>(total), strerror(errno));
      return -1;
    }
    if (r == 0) return total;
    if (g_hash) sha.update(buf.data(), static_cast<size_t>(r));
    total += r;
  }
}

// After sending: half-close and wait for the peer's EOF, so that the time
// covers delivery, not just the copy into the send buffer.
int finish_send(int fd, const char* mode, uint64_t bytes, double t0, netex::Sha256& sha) {
  shutdown(fd, SHUT_WR);
  char sink[4096];
  while (true) {
    ssize_t r = recv(fd, sink, sizeof sink, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
  }
  report(mode, bytes, netex::now_seconds() - t0, sha);
  close(fd);
  return 0;
}

int cmd_send(const char* host, const char* port, uint64_t bytes) {
  double t0 = netex::now_seconds();
  int fd = connect_to(host, port);
  netex::Sha256 sha;
  if (!send_stream(fd, bytes, sha)) return 1;
  return finish_send(fd, "sent", bytes, t0, sha);
}

int cmd_serve_send(const char* port, uint64_t bytes) {
  int fd = accept_one(port);
  double t0 = netex::now_seconds();
  netex::Sha256 sha;
  if (!send_stream(fd, bytes, sha)) return 1;
  return finish_send(fd, "sent", bytes, t0, sha);
}

int receive(int fd, double t0) {
  netex::Sha256 sha;
  int64_t got = recv_stream(fd, sha);
  double secs = netex::now_seconds() - t0;
  close(fd);
  if (got < 0) return 1;
  report("received", static_cast<uint64_t>(got), secs, sha);
  return 0;
}

int cmd_gen(uint64_t bytes, bool hash_only) {
  netex::Stream stream(g_seed);
  netex::Sha256 sha;
  std::vector<uint8_t> buf(g_chunk);
  while (bytes > 0) {
    size_t n = bytes < buf.size() ? static_cast<size_t>(bytes) : buf.size();
    stream.fill(buf.data(), n);
    bytes -= n;
    if (hash_only) {
      sha.update(buf.data(), n);
    } else if (fwrite(buf.data(), 1, n, stdout) != n) {
      die("write");
    }
  }
  if (hash_only) {
    char hex[65];
    sha.hex(hex);
    printf("%s\n", hex);
  }
  return fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i += 2) {
    std::string o = argv[i];
    if (o == "--no-hash") {
      g_hash = false;
      --i;
      continue;
    }
    if (i + 1 >= argc) usage();
    if (o == "--seed") g_seed = size_arg(argv[i + 1]);
    else if (o == "--bind") g_bind = argv[i + 1];
    else if (o == "--chunk") g_chunk = size_arg(argv[i + 1]);
    else usage();
  }
  if (g_chunk == 0 || g_chunk > (64u << 20)) usage();
  if (i >= argc) usage();
  std::string mode = argv[i];
  int left = argc - i - 1;
  char** a = argv + i + 1;
  if (mode == "send" && left == 3) return cmd_send(a[0], a[1], size_arg(a[2]));
  if (mode == "fetch" && left == 2) {
    double t0 = netex::now_seconds();
    return receive(connect_to(a[0], a[1]), t0);
  }
  if (mode == "recv" && left == 1) {
    int fd = accept_one(a[0]);
    return receive(fd, netex::now_seconds());
  }
  if (mode == "serve-send" && left == 2) return cmd_serve_send(a[0], size_arg(a[1]));
  if (mode == "gen" && left == 1) return cmd_gen(size_arg(a[0]), false);
  if (mode == "sha" && left == 1) return cmd_gen(size_arg(a[0]), true);
  usage();
}

// httpd: a small static HTTP/1.1 server for the network tests and bench/net.
// epoll, non-blocking sockets, keep-alive and pipelining, edge-triggered by
// default (--lt for level-triggered), one event loop per thread over one
// listening socket. Bodies are produced as the socket drains, so a large
// /bytes/N or file costs a 64 KiB buffer, not N bytes of memory.
//
//   httpd [--bind ADDR] [--port P] [--root DIR] [--threads N] [--lt]
//
//   GET /            a small text body
//   GET /bytes/N     N bytes of the deterministic stream (common.hpp; N <= 16 GiB)
//   GET /PATH        the file DIR/PATH (with --root; no "..")
// HEAD works for each. Prints "httpd: listening on ADDR:PORT" when ready.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common.hpp"

namespace {

constexpr size_t kMaxHeader = 16 * 1024;       // request line + headers
constexpr uint64_t kMaxRequestBody = 1 << 20;  // bodies are read and discarded
constexpr size_t kChunk = 64 * 1024;
constexpr uint64_t kMaxStreamBytes = 16ull << 30;
constexpr char kHello[] = "hello from shoal httpd\n";

struct Options {
  std::string bind = "0.0.0.0";
  int port = 8080;
  std::string root;
  int threads = 1;
  bool level_triggered = false;
};
Options g_opt;
int g_listener = -1;

struct Connection {
  int fd = -1;
  std::string in;
  std::string out;
  size_t out_off = 0;
  uint64_t body_left = 0;  // bytes of the current body not yet in `out`
  netex::Stream stream;
  int file = -1;           // body source when not the stream
  uint64_t discard = 0;    // request body bytes still to skip
  bool close_after = false;  // close once the current answer is written
  bool peer_eof = false;      // the client half-closed: answer what it sent, then close
  bool watching_out = false;  // level-triggered: EPOLLOUT in the interest set
  ~Connection() {
    if (file >= 0) close(file);
    if (fd >= 0) close(fd);
  }
};

std::string_view header_value(std::string_view head, std::string_view name) {
  size_t pos = 0;
  while ((pos = head.find("\r\n", pos)) != std::string_view::npos) {
    pos += 2;
    std::string_view line = head.substr(pos, head.find("\r\n", pos) - pos);
    if (line.size() > name.size() && line[name.size()] == ':' &&
        strncasecmp(line.data(), name.data(), name.size()) == 0) {
      std::string_view v = line.substr(name.size() + 1);
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
      return v;
    }
  }
  return {};
}

bool ieq(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

class Loop {
 public:
  Loop() {
    m_epoll = epoll_create1(EPOLL_CLOEXEC);
    if (m_epoll < 0) {
      perror("httpd: epoll_create1");
      exit(1);
    }
    epoll_event ev{};
    ev.events = EPOLLIN;  // level-triggered: a thread that loses the race gets EAGAIN
    ev.data.fd = g_listener;
    if (epoll_ctl(m_epoll, EPOLL_CTL_ADD, g_listener, &ev) < 0) {
      perror("httpd: epoll_ctl");
      exit(1);
    }
  }

  void run() {
    epoll_event events[128];
    while (true) {
      int n = epoll_wait(m_epoll, events, 128, -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        perror("httpd: epoll_wait");
        exit(1);
      }
      for (int i = 0; i < n; ++i) {
        int fd = events[i].data.fd;
        if (fd == g_listener) {
          accept_all();
          continue;
        }
        if (fd < 0 || static_cast<size_t>(fd) >= m_conns.size() || !m_conns[fd]) continue;
        Connection& c = *m_conns[fd];
        uint32_t e = events[i].events;
        if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
          if (!on_readable(c)) {
            drop(fd);
            continue;
          }
        }
        if (!pump(c)) drop(fd);
      }
    }
  }

 private:
  void accept_all() {
    while (true) {
      int fd = accept4(g_listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
          perror("httpd: accept4");
        return;
      }
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      epoll_event ev{};
      ev.events = g_opt.level_triggered ? EPOLLIN | EPOLLRDHUP : EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
      ev.data.fd = fd;
      if (epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &ev) < 0) {
        perror("httpd: epoll_ctl");
        close(fd);
        continue;
      }
      if (static_cast<size_t>(fd) >= m_conns.size()) m_conns.resize(fd + 1);
      m_conns[fd] = std::make_unique<Connection>();
      m_conns[fd]->fd = fd;
    }
  }

  void drop(int fd) {
    epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
    m_conns[fd].reset();  // closes
  }

  // Reads what is there (until EAGAIN: required when edge-triggered). False
  // when the connection is finished (EOF with nothing to answer, or an error).
  bool on_readable(Connection& c) {
    char buf[16384];
    while (true) {
      ssize_t n = recv(c.fd, buf, sizeof buf, 0);
      if (n > 0) {
        std::string_view got(buf, static_cast<size_t>(n));
        if (c.discard > 0) {
          size_t skip = c.discard < got.size() ? static_cast<size_t>(c.discard) : got.size();
          c.discard -= skip;
          got.remove_prefix(skip);
        }
        if (c.in.size() + got.size() > kMaxHeader + kChunk) return false;  // a client that never reads
        c.in.append(got);
        continue;
      }
      if (n == 0) {
        c.peer_eof = true;
        return true;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      return false;  // ECONNRESET and the like
    }
  }

  void respond(Connection& c, int status, const char* reason, const std::string& type, uint64_t length, bool head) {
    char line[256];
    snprintf(line, sizeof line,
             "HTTP/1.1 %d %s\r\nServer: shoal-httpd\r\nContent-Type: %s\r\nContent-Length: %llu\r\n%s\r\n", status,
             reason, type.c_str(), static_cast<unsigned long long>(length),
             c.close_after ? "Connection: close\r\n" : "");
    c.out += line;
    if (head) c.body_left = 0;
  }

  void error(Connection& c, int status, const char* reason) {
    c.close_after = c.close_after || (status >= 400 && status != 404);
    std::string body = std::to_string(status) + " " + reason + "\n";
    respond(c, status, reason, "text/plain", body.size(), false);
    c.out += body;
  }

  // Parses one complete request from c.in, if there is one, and queues its
  // answer. False when no complete request is buffered.
  bool next_request(Connection& c) {
    size_t end = c.in.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (c.in.size() > kMaxHeader) {
        c.close_after = true;
        error(c, 431, "Request Header Fields Too Large");
        c.in.clear();
        return true;
      }
      return false;
    }
    std::string head = c.in.substr(0, end);
    c.in.erase(0, end + 4);
    size_t sp1 = head.find(' ');
    size_t sp2 = sp1 == std::string::npos ? sp1 : head.find(' ', sp1 + 1);
    size_t eol = head.find("\r\n");
    if (sp2 == std::string::npos || (eol != std::string::npos && sp2 > eol)) {
      c.close_after = true;
      error(c, 400, "Bad Request");
      return true;
    }
    std::string method = head.substr(0, sp1);
    std::string path = head.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string version = head.substr(sp2 + 1, eol == std::string::npos ? std::string::npos : eol - sp2 - 1);
    std::string_view conn = header_value(head, "Connection");
    if (version == "HTTP/1.0" ? !ieq(conn, "keep-alive") : ieq(conn, "close")) c.close_after = true;
    std::string_view cl = header_value(head, "Content-Length");
    if (!cl.empty()) {
      uint64_t n;
      if (!netex::parse_size(std::string(cl).c_str(), n) || n > kMaxRequestBody) {
        c.close_after = true;
        error(c, 413, "Content Too Large");
        return true;
      }
      size_t here = n < c.in.size() ? static_cast<size_t>(n) : c.in.size();
      c.in.erase(0, here);
      c.discard = n - here;
    }
    if (!header_value(head, "Transfer-Encoding").empty()) {
      c.close_after = true;
      error(c, 501, "Not Implemented");
      return true;
    }
    bool is_head = method == "HEAD";
    if (method != "GET" && !is_head) {
      error(c, 405, "Method Not Allowed");
      return true;
    }
    if (size_t q = path.find('?'); q != std::string::npos) path.resize(q);
    if (path == "/") {
      respond(c, 200, "OK", "text/plain", sizeof kHello - 1, is_head);
      if (!is_head) c.out += kHello;
      return true;
    }
    if (path.rfind("/bytes/", 0) == 0) {
      uint64_t n;
      if (!netex::parse_size(path.c_str() + 7, n) || n > kMaxStreamBytes) {
        error(c, 400, "Bad Request");
        return true;
      }
      c.stream = netex::Stream(1);
      c.body_left = n;
      respond(c, 200, "OK", "application/octet-stream", n, is_head);
      return true;
    }
    if (g_opt.root.empty() || path.find("..") != std::string::npos || path[0] != '/') {
      error(c, 404, "Not Found");
      return true;
    }
    int fd = open((g_opt.root + path).c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      if (fd >= 0) close(fd);
      error(c, 404, "Not Found");
      return true;
    }
    c.file = fd;
    c.body_left = static_cast<uint64_t>(st.st_size);
    respond(c, 200, "OK", "application/octet-stream", c.body_left, is_head);
    if (c.body_left == 0) {
      close(c.file);
      c.file = -1;
    }
    return true;
  }

  // Refills `out` from the body source; false on a file read error.
  bool refill(Connection& c) {
    size_t n = c.body_left < kChunk ? static_cast<size_t>(c.body_left) : kChunk;
    size_t old = c.out.size();
    c.out.resize(old + n);
    auto* p = reinterpret_cast<uint8_t*>(c.out.data() + old);
    if (c.file < 0) {
      c.stream.fill(p, n);
    } else {
      ssize_t r = read(c.file, p, n);
      if (r <= 0) return false;  // the file shrank: the promised length cannot be kept
      c.out.resize(old + static_cast<size_t>(r));
      n = static_cast<size_t>(r);
    }
    c.body_left -= n;
    if (c.body_left == 0 && c.file >= 0) {
      close(c.file);
      c.file = -1;
    }
    return true;
  }

  // Answers buffered requests and writes until done or EAGAIN. False when
  // the connection is finished.
  bool pump(Connection& c) {
    while (true) {
      if (c.out_off == c.out.size()) {
        c.out.clear();
        c.out_off = 0;
        if (c.body_left > 0) {
          if (!refill(c)) return false;
          continue;
        }
        if (c.close_after) return false;  // the last answer is out
        if (next_request(c)) continue;
        if (c.peer_eof) return false;     // nothing more will come
        break;                            // waiting for more input
      }
      ssize_t w = send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
      if (w > 0) {
        c.out_off += static_cast<size_t>(w);
        continue;
      }
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        watch_output(c, true);
        return true;
      }
      return false;
    }
    watch_output(c, false);
    return true;
  }

  void watch_output(Connection& c, bool on) {
    if (!g_opt.level_triggered || c.watching_out == on) return;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (on ? uint32_t{EPOLLOUT} : 0u);
    ev.data.fd = c.fd;
    epoll_ctl(m_epoll, EPOLL_CTL_MOD, c.fd, &ev);
    c.watching_out = on;
  }

  int m_epoll = -1;
  std::vector<std::unique_ptr<Connection>> m_conns;
};

void* thread_main(void*) {
  Loop loop;
  loop.run();
  return nullptr;
}

[[noreturn]] void usage() {
  fprintf(stderr, "usage: httpd [--bind ADDR] [--port P] [--root DIR] [--threads N] [--lt]\n");
  exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage();
      return argv[++i];
    };
    if (a == "--bind") g_opt.bind = value();
    else if (a == "--port") g_opt.port = atoi(value());
    else if (a == "--root") g_opt.root = value();
    else if (a == "--threads") g_opt.threads = atoi(value());
    else if (a == "--lt") g_opt.level_triggered = true;
    else usage();
  }
  if (g_opt.threads < 1 || g_opt.threads > 64 || g_opt.port < 0 || g_opt.port > 65535) usage();
  g_listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (g_listener < 0) {
    perror("httpd: socket");
    return 1;
  }
  int one = 1;
  setsockopt(g_listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(g_opt.port));
  if (inet_pton(AF_INET, g_opt.bind.c_str(), &a.sin_addr) != 1) usage();
  if (bind(g_listener, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 || listen(g_listener, 512) < 0) {
    perror("httpd: bind/listen");
    return 1;
  }
  socklen_t len = sizeof a;
  getsockname(g_listener, reinterpret_cast<sockaddr*>(&a), &len);
  printf("httpd: listening on %s:%u (%d thread%s, %s-triggered)\n", g_opt.bind.c_str(), ntohs(a.sin_port),
         g_opt.threads, g_opt.threads == 1 ? "" : "s", g_opt.level_triggered ? "level" : "edge");
  fflush(stdout);
  for (int t = 1; t < g_opt.threads; ++t) {
    pthread_t id;
    if (pthread_create(&id, nullptr, thread_main, nullptr) != 0) {
      fprintf(stderr, "httpd: pthread_create failed\n");
      return 1;
    }
  }
  thread_main(nullptr);
}

#include "server.hpp"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

namespace shop {
namespace {

// Stop parsing more pipelined requests while this much output waits: a client
// that sends requests without reading answers must not grow our memory.
constexpr size_t kMaxPendingOutput = 1 << 20;
constexpr size_t kReadChunk = 64 * 1024;
// Lingering close: after the last answer we stop writing (FIN) and read what
// the client still sends, so that closing with unread input does not reset the
// connection and destroy the answer before the client read it (an error
// response to a request whose body is still arriving). Bounded in time and bytes.
constexpr int64_t kLingerMs = 2000;
constexpr size_t kLingerBytes = 1 << 20;

int64_t now_ms() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

struct Connection {
  int fd = -1;
  std::string in;
  std::string out;
  size_t out_offset = 0;
  bool close_after_output = false;  // an error or "Connection: close": no more requests
  bool peer_closed = false;         // read() returned 0
  bool continue_sent = false;       // "100 Continue" already sent for the current request
  bool watching_output = false;     // EPOLLOUT is in the interest set
  int64_t linger_until = 0;         // lingering close: discard input until then (0 = not lingering)
  size_t lingered = 0;              // bytes discarded while lingering

  size_t pending() const { return out.size() - out_offset; }
};

class Loop {
 public:
  Loop(int listener, int epoll, const Handler& handler, const Limits& limits)
      : m_listener(listener), m_epoll(epoll), m_handler(handler), m_limits(limits) {}

  void run() {
    epoll_event events[128];
    while (true) {
      int n = epoll_wait(m_epoll, events, 128, m_lingering > 0 ? 250 : -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        std::perror("epoll_wait");
        return;
      }
      for (int i = 0; i < n; ++i) {
        int fd = events[i].data.fd;
        if (fd == m_listener) {
          accept_all();
          continue;
        }
        if (fd < 0 || static_cast<size_t>(fd) >= m_connections.size() || !m_connections[fd]) continue;
        Connection& c = *m_connections[fd];
        uint32_t ev = events[i].events;
        if (ev & EPOLLOUT) flush(c);
        if (m_connections[fd] && (ev & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP))) on_readable(c);
      }
      if (m_lingering > 0) expire_lingering();
    }
  }

 private:
  void accept_all() {
    while (true) {
      int fd = accept4(m_listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
          std::perror("accept4");
        return;
      }
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.fd = fd;
      if (epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &ev) < 0) {
        std::perror("epoll_ctl");
        close(fd);
        continue;
      }
      if (static_cast<size_t>(fd) >= m_connections.size()) m_connections.resize(fd + 1);
      m_connections[fd] = std::make_unique<Connection>();
      m_connections[fd]->fd = fd;
    }
  }

  void on_readable(Connection& c) {
    if (c.linger_until) {
      discard_input(c);
      return;
    }
    // While output is blocked we do not read: back-pressure to the client.
    if (c.pending() > 0 && c.watching_output) return;
    while (!c.peer_closed && c.in.size() < input_cap()) {
      size_t old = c.in.size();
      c.in.resize(old + kReadChunk);
      ssize_t n = read(c.fd, c.in.data() + old, kReadChunk);
      c.in.resize(old + (n > 0 ? n : 0));
      if (n > 0) continue;
      if (n == 0) {
        c.peer_closed = true;
        break;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      drop(c);  // ECONNRESET and the like
      return;
    }
    process(c);
  }

  // Answers every complete request in the input buffer (pipelining), in order.
  void process(Connection& c) {
    size_t used = 0;
    while (!c.close_after_output && c.pending() < kMaxPendingOutput) {
      Request request;
      std::string_view rest(c.in.data() + used, c.in.size() - used);
      RequestParse p = parse_request(rest, m_limits, request);
      if (p.state == Parse::kNeedMore && rest.size() >= input_cap()) {
        // Only chunk framing overhead can get here (sizes are checked first).
        p.state = Parse::kError;
        p.error_status = 413;
        p.error = "request too large";
      }
      if (p.state == Parse::kNeedMore) {
        if (p.expect_continue && !c.continue_sent) {
          c.out += "HTTP/1.1 100 Continue\r\n\r\n";
          c.continue_sent = true;
        }
        break;
      }
      if (p.state == Parse::kError) {
        Request bad;  // answer as HTTP/1.1 and close: the stream can't be trusted after this
        c.out += serialize(bad, Response::error(p.error_status, p.error), true);
        c.close_after_output = true;
        used = c.in.size();
        break;
      }
      used += p.consumed;
      c.continue_sent = false;
      bool close = !keep_alive(request);
      Response response;
      try {
        response = m_handler(request);
      } catch (const std::exception& e) {
        response = Response::error(500, e.what());
      }
      c.out += serialize(request, response, close);
      if (close) c.close_after_output = true;
    }
    c.in.erase(0, used);
    flush(c);
  }

  void flush(Connection& c) {
    while (c.pending() > 0) {
      ssize_t n = send(c.fd, c.out.data() + c.out_offset, c.pending(), MSG_NOSIGNAL);
      if (n > 0) {
        c.out_offset += n;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        watch_output(c, true);
        return;
      }
      drop(c);
      return;
    }
    c.out.clear();
    c.out_offset = 0;
    if (c.close_after_output) {
      if (c.peer_closed) drop(c);
      else linger(c);
      return;
    }
    if (c.watching_output) {
      watch_output(c, false);
      process(c);  // requests that waited behind the blocked output
      return;
    }
    // A peer that half-closed gets its answers, then we close; a partial
    // request left behind can never complete.
    if (c.peer_closed) drop(c);
  }

  // Input we buffer at most: one request of the largest size, plus one read.
  size_t input_cap() const { return m_limits.max_header_bytes + m_limits.max_body_bytes + kReadChunk; }

  void watch_output(Connection& c, bool on) {
    c.watching_output = on;
    epoll_event ev{};
    ev.events = on ? EPOLLOUT : (EPOLLIN | EPOLLRDHUP);
    ev.data.fd = c.fd;
    epoll_ctl(m_epoll, EPOLL_CTL_MOD, c.fd, &ev);
  }

  void linger(Connection& c) {
    shutdown(c.fd, SHUT_WR);
    c.in.clear();
    c.linger_until = now_ms() + kLingerMs;
    ++m_lingering;
    if (c.watching_output) watch_output(c, false);
    discard_input(c);
  }

  void discard_input(Connection& c) {
    char buf[16384];
    while (true) {
      ssize_t n = read(c.fd, buf, sizeof buf);
      if (n > 0 && (c.lingered += n) <= kLingerBytes) continue;
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      drop(c);  // EOF, error, or enough
      return;
    }
  }

  void expire_lingering() {
    int64_t now = now_ms();
    for (auto& c : m_connections)
      if (c && c->linger_until && c->linger_until <= now) drop(*c);
  }

  void drop(Connection& c) {
    if (c.linger_until) --m_lingering;
    int fd = c.fd;
    epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    m_connections[fd].reset();
  }

  int m_listener;
  int m_epoll;
  const Handler& m_handler;
  Limits m_limits;
  std::vector<std::unique_ptr<Connection>> m_connections;  // indexed by fd
  size_t m_lingering = 0;                                  // connections in a lingering close
};

}  // namespace

int serve(const ServerOptions& options, const Handler& handler, const Limits& limits) {
  signal(SIGPIPE, SIG_IGN);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(options.port);
  if (inet_pton(AF_INET, options.bind.c_str(), &addr.sin_addr) != 1) {
    std::fprintf(stderr, "%s: bad bind address '%s'\n", options.name.c_str(), options.bind.c_str());
    return 1;
  }
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  if (listener < 0 || setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
      bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 || listen(listener, 511) < 0) {
    std::fprintf(stderr, "%s: cannot listen on %s:%d: %s\n", options.name.c_str(), options.bind.c_str(),
                 options.port, std::strerror(errno));
    return 1;
  }
  socklen_t len = sizeof addr;
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  int epoll = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listener;
  if (epoll < 0 || epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &ev) < 0) {
    std::fprintf(stderr, "%s: epoll: %s\n", options.name.c_str(), std::strerror(errno));
    return 1;
  }
  std::printf("%s: listening on %s:%d\n", options.name.c_str(), options.bind.c_str(), ntohs(addr.sin_port));
  std::fflush(stdout);
  Loop(listener, epoll, handler, limits).run();
  return 1;
}

}  // namespace shop

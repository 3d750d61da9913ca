#include "api_server.hpp"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <shoal/base/private_dir.hpp>
#include <shoal/pool/http/body_reader.hpp>
#include <shoal/pool/http/canned.hpp>
#include <shoal/pool/http/request_parser.hpp>
#include <shoal/pool/http/writer.hpp>

namespace shoal::pool {

struct ApiServer::Connection {
  int fd = -1;
  uint64_t seq = 0;  // accept order: the oldest is evicted first
  std::string in;
  std::string out;
  size_t out_sent = 0;
  bool responded = false;
  http::RequestParser parser;
  http::RequestHead head;
  EventLoop::TimerId timer = 0;
};

namespace {

// A directory like /tmp: a real directory (not a link), owned by root or this
// user, with the sticky bit. Only for sockets named explicitly.
bool is_shared_sticky_dir(const std::string& dir) {
  struct stat st;
  if (lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return false;
  return (st.st_mode & S_ISVTX) != 0 && (st.st_uid == 0 || st.st_uid == geteuid());
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = hex_value(s[i + 1]);
      int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += s[i] == '+' ? ' ' : s[i];
  }
  return out;
}

}  // namespace

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    if (percent_decode(key) == name)
      return eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

ApiResponse api_error(int status, std::string_view message) {
  nlohmann::json j = {{"error", std::string(message)}};
  return {status, "application/json", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"};
}

Result<std::unique_ptr<ApiServer>> ApiServer::listen_unix(EventLoop& loop, const std::string& path, Handler handler) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return make_error(path + ": control socket path too long");
  memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  // The directory (default: $XDG_RUNTIME_DIR/shoal or /tmp/shoal-UID) must
  // be this user's alone: one someone else made or can write could let them
  // replace the socket. open_private_dir creates it (0700) and refuses a
  // link, another owner or group/other write (docs/security.md, "Local files").
  std::string dir = path.rfind('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
  if (dir.empty() || dir[0] != '/') {
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd) == nullptr) return errno_error("getcwd");
    dir = dir.empty() ? "/" : dir == "." ? std::string(cwd) : std::string(cwd) + "/" + dir;
  }
  if (dir != "/") {
    auto checked = open_private_dir(dir, CreateDir::parents);
    // A spec may also name a socket straight in a shared sticky directory
    // such as /tmp (make demo does): there no one can remove or rename an
    // entry they do not own, bind() never follows or replaces an existing
    // file, and the stale-socket unlink below only succeeds on our own.
    if (!checked && !is_shared_sticky_dir(dir))
      return make_error(checked.error().message + " (control socket " + path + ")");
  }

  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno_error("socket");
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      close(fd);
      return make_error(path + ": exists and is not a socket");
    }
    // A live pool answers a connect; a stale socket file (a shoald that was
    // killed) refuses, and is replaced.
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool live = probe >= 0 && connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    if (probe >= 0) close(probe);
    if (live) {
      close(fd);
      return make_error(path + ": a pool is already running with this control socket");
    }
    unlink(path.c_str());
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 64) != 0) {
    Error e = errno_error(path);
    close(fd);
    return e;
  }
  chmod(path.c_str(), 0600);
  auto server = std::unique_ptr<ApiServer>(new ApiServer(loop, fd, "unix:" + path, path, std::move(handler)));
  server->arm_listener();
  if (!server->m_listener_armed) return make_error(server->m_address + ": cannot watch the listening socket");
  return server;
}

Result<std::unique_ptr<ApiServer>> ApiServer::listen_tcp(EventLoop& loop, const std::string& address, Handler handler) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return make_error(address + ": expected HOST:PORT");
  std::string host = address.substr(0, colon);
  if (host == "localhost") host = "127.0.0.1";
  int port = atoi(address.c_str() + colon + 1);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (port < 0 || port > 65535 || inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1)
    return make_error(address + ": expected an IPv4 HOST:PORT");
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno_error("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 64) != 0) {
    Error e = errno_error(address);
    close(fd);
    return e;
  }
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::string bound = host + ":" + std::to_string(ntohs(addr.sin_port));
  auto server = std::unique_ptr<ApiServer>(new ApiServer(loop, fd, bound, "", std::move(handler)));
  server->arm_listener();
  if (!server->m_listener_armed) return make_error(server->m_address + ": cannot watch the listening socket");
  return server;
}

ApiServer::ApiServer(EventLoop& loop, int fd, std::string address, std::string unix_path, Handler handler)
    : m_loop(loop), m_fd(fd), m_address(std::move(address)), m_unix_path(std::move(unix_path)),
      m_handler(std::move(handler)) {}

ApiServer::~ApiServer() {
  close_listener();
  while (!m_connections.empty()) close_connection(m_connections.begin()->first);
}

void ApiServer::arm_listener() {
  if (m_fd < 0 || m_listener_armed) return;
  m_listener_armed = m_loop.add(m_fd, EPOLLIN, [this](uint32_t) { on_accept(); }).ok();
}

void ApiServer::close_listener() {
  if (m_fd < 0) return;
  if (m_rearm_timer != 0) m_loop.cancel(m_rearm_timer);
  m_rearm_timer = 0;
  if (m_listener_armed) m_loop.remove(m_fd);
  m_listener_armed = false;
  close(m_fd);
  m_fd = -1;
  if (!m_unix_path.empty()) unlink(m_unix_path.c_str());
}

void ApiServer::on_accept() {
  for (int accepted = 0; accepted < 64; ++accepted) {
    // Room first: a full table gives up its oldest idle connection (see the
    // header), so whoever connects now is served.
    if (m_connections.size() >= kMaxConnections) evict_oldest();
    int fd = accept4(m_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if ((errno == EMFILE || errno == ENFILE) && evict_oldest()) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK && m_listener_armed) {
        // Out of descriptors with nothing of ours to close: a level-triggered
        // listener would wake the loop at once, forever. Look again shortly.
        m_loop.remove(m_fd);
        m_listener_armed = false;
        m_rearm_timer = m_loop.after(100'000'000, [this] {
          m_rearm_timer = 0;
          arm_listener();
        });
      }
      return;
    }
    auto c = std::make_unique<Connection>();
    c->fd = fd;
    c->seq = ++m_accept_seq;
    if (!m_loop.add(fd, EPOLLIN, [this, fd](uint32_t ev) {
          if (ev & EPOLLOUT) on_writable(fd);
          else on_readable(fd);
        })) {
      close(fd);
      continue;
    }
    // The request must arrive soon; the whole exchange is bounded by
    // kTimeout (re-armed when the answer starts).
    c->timer = m_loop.after(kHeaderTimeoutNs, [this, fd] { close_connection(fd); });
    m_connections.emplace(fd, std::move(c));
  }
}

bool ApiServer::evict_oldest() {
  Connection* victim = nullptr;
  for (auto& [fd, c] : m_connections) {
    // Prefer one that has not delivered its request: answering ones are
    // about to finish on their own.
    bool better = victim == nullptr || (!c->responded && victim->responded) ||
                  (c->responded == victim->responded && c->seq < victim->seq);
    if (better) victim = c.get();
  }
  if (victim == nullptr) return false;
  close_connection(victim->fd);
  return true;
}

void ApiServer::on_readable(int fd) {
  auto it = m_connections.find(fd);
  if (it == m_connections.end()) return;
  Connection& c = *it->second;
  char buf[16384];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      c.in.append(buf, static_cast<size_t>(n));
      if (c.in.size() > kMaxBody + c.parser.limits().max_head_bytes) break;
      continue;
    }
    if (n == 0 && !c.responded) {
      close_connection(fd);
      return;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) {
      close_connection(fd);
      return;
    }
    break;
  }
  if (c.responded) return;
  http::ParseResult r = c.parser.parse(c.in, c.head);
  if (r.failed()) {
    c.out = std::string(http::canned_response(r.error_status, true));
    c.responded = true;
    on_writable(fd);
    return;
  }
  if (!r.complete()) return;
  http::Limits limits;
  limits.max_body = kMaxBody;
  http::BodyReader reader(c.head.body, limits);
  std::string body;
  http::BodyStep s = reader.read_all(std::string_view(c.in).substr(r.consumed),
                                     [&](std::string_view d) { body.append(d); });
  if (s.status == http::BodyStatus::error) {
    c.out = std::string(http::canned_response(s.error_status, true));
    c.responded = true;
    on_writable(fd);
    return;
  }
  if (s.status != http::BodyStatus::done) {
    c.parser.reset();  // parse the head again once more bytes came
    return;
  }
  std::string_view target = c.head.path;
  size_t q = target.find('?');
  ApiRequest req{c.head.method, target.substr(0, q), q == std::string_view::npos ? "" : target.substr(q + 1), body};
  respond(c, m_handler(req));
}

void ApiServer::respond(Connection& c, const ApiResponse& r) {
  http::Header headers[] = {{"Content-Type", r.content_type}, {"Cache-Control", "no-store"}};
  http::ResponseOptions o;
  o.close = true;
  o.head_request = c.head.method_kind == http::Method::head;
  http::write_response(c.out, r.status, headers, r.body, o);
  c.responded = true;
  m_loop.cancel(c.timer);
  int fd = c.fd;
  c.timer = m_loop.after(kTimeoutNs, [this, fd] { close_connection(fd); });
  on_writable(c.fd);
}

void ApiServer::on_writable(int fd) {
  auto it = m_connections.find(fd);
  if (it == m_connections.end()) return;
  Connection& c = *it->second;
  while (c.out_sent < c.out.size()) {
    ssize_t n = send(fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent, MSG_NOSIGNAL);
    if (n > 0) {
      c.out_sent += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      (void)m_loop.modify(fd, EPOLLOUT);
      return;
    } else {
      break;
    }
  }
  close_connection(fd);
}

void ApiServer::close_connection(int fd) {
  auto it = m_connections.find(fd);
  if (it == m_connections.end()) return;
  m_loop.cancel(it->second->timer);
  m_loop.remove(fd);
  close(fd);
  m_connections.erase(it);
}

}  // namespace shoal::pool

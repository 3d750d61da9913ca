#include "control_client.hpp"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include <shoal/base/private_dir.hpp>

namespace shoal::cli {

namespace {

uint64_t now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

class Fd {
 public:
  explicit Fd(int fd) : m_fd(fd) {}
  ~Fd() {
    if (m_fd >= 0) close(m_fd);
  }
  int get() const { return m_fd; }

 private:
  int m_fd;
};

// Waits until fd is ready for `events` or the deadline passes.
Result<void> wait_fd(int fd, short events, uint64_t deadline_ms, const std::string& what) {
  for (;;) {
    uint64_t now = now_ms();
    if (now >= deadline_ms) return make_error(what + ": no answer from shoald (timed out)");
    pollfd p{fd, events, 0};
    int n = poll(&p, 1, static_cast<int>(deadline_ms - now));
    if (n > 0) return {};
    if (n < 0 && errno != EINTR) return errno_error(what + ": poll");
  }
}

bool is_socket(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

// A socket file whose shoald was killed refuses connections: not a pool.
bool answers(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return false;
  memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

// Splits "HTTP/1.1 200 OK\r\nheaders\r\n\r\nbody" (the server closes the
// connection after each answer, so the body is everything after the head).
Result<ControlResponse> parse_response(const std::string& raw, const std::string& what) {
  size_t head_end = raw.find("\r\n\r\n");
  if (raw.compare(0, 9, "HTTP/1.1 ") != 0 || head_end == std::string::npos || raw.size() < 12)
    return make_error(what + ": malformed answer from shoald");
  ControlResponse r;
  r.status = atoi(raw.substr(9, 3).c_str());
  std::string body = raw.substr(head_end + 4);
  if (!body.empty()) {
    r.body = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (r.body.is_discarded()) return make_error(what + ": shoald answered with invalid JSON");
  }
  return r;
}

}  // namespace

std::string default_control_dir() { return user_runtime_dir(); }

Result<std::string> find_control_socket(const std::string& explicit_path) {
  if (!explicit_path.empty()) return explicit_path;
  std::string dir = default_control_dir();
  // A directory another user planted there could hold their socket: the same
  // checks as where the sockets are made (docs/security.md, "Local files").
  auto private_dir = open_private_dir(dir, CreateDir::no);
  if (!private_dir) {
    if (private_dir.error().code == ENOENT)
      return make_error("no pool is running (no control socket in " + dir + "; start one with `shoal up SPEC`)");
    return private_dir.error();
  }
  int list_fd = dup(private_dir->fd());
  DIR* d = list_fd >= 0 ? fdopendir(list_fd) : nullptr;
  if (!d) {
    if (list_fd >= 0) close(list_fd);
    return errno_error(dir);
  }
  std::vector<std::string> found;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    std::string path = dir + "/" + name;
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".sock") == 0 && is_socket(path) && answers(path))
      found.push_back(path);
  }
  closedir(d);
  std::sort(found.begin(), found.end());
  if (found.empty()) return make_error("no pool is running (no control socket in " + dir + "; start one with `shoal up SPEC`)");
  if (found.size() > 1) {
    std::string list;
    for (const auto& f : found) list += "\n  " + f;
    return make_error("several pools are running; choose one with -c:" + list);
  }
  return found[0];
}

Result<ControlResponse> control_call(const std::string& socket_path, const std::string& method,
                                     const std::string& path, const nlohmann::json* body, int timeout_ms) {
  std::string what = socket_path;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) return make_error(what + ": socket path too long");
  memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd.get() < 0) return errno_error("socket");
  uint64_t deadline = now_ms() + static_cast<uint64_t>(timeout_ms);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno == ENOENT || errno == ECONNREFUSED)
      return make_error(what + ": no pool is listening there (" + strerror(errno) + ")", errno);
    if (errno != EINPROGRESS && errno != EAGAIN) return errno_error(what + ": connect");
    TRY(wait_fd(fd.get(), POLLOUT, deadline, what));
  }

  std::string payload = body ? body->dump() : std::string();
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: shoald\r\nConnection: close\r\n";
  if (body) req += "Content-Type: application/json\r\n";
  if (body || method == "POST") req += "Content-Length: " + std::to_string(payload.size()) + "\r\n";
  req += "\r\n" + payload;
  size_t sent = 0;
  while (sent < req.size()) {
    ssize_t n = send(fd.get(), req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      TRY(wait_fd(fd.get(), POLLOUT, deadline, what));
    } else {
      return errno_error(what + ": send");
    }
  }
  std::string raw;
  char buf[16384];
  for (;;) {
    ssize_t n = recv(fd.get(), buf, sizeof buf, 0);
    if (n > 0) {
      raw.append(buf, static_cast<size_t>(n));
      if (raw.size() > (64u << 20)) return make_error(what + ": answer too large");
    } else if (n == 0) {
      break;
    } else if (errno == EAGAIN || errno == EINTR) {
      TRY(wait_fd(fd.get(), POLLIN, deadline, what));
    } else {
      return errno_error(what + ": recv");
    }
  }
  return parse_response(raw, what);
}

Result<nlohmann::json> control_ok(const std::string& socket_path, const std::string& method,
                                  const std::string& path, const nlohmann::json* body, int timeout_ms) {
  auto r = TRY(control_call(socket_path, method, path, body, timeout_ms));
  if (r.status >= 400) {
    std::string message = "shoald answered " + std::to_string(r.status);
    if (r.body.is_object() && r.body.contains("error") && r.body["error"].is_string())
      message = r.body["error"].get<std::string>();
    return make_error(message, r.status);
  }
  return std::move(r.body);
}

}  // namespace shoal::cli

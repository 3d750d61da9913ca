#include "client.hpp"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "compose.hpp"
#include "gateway.hpp"
#include "route.hpp"
#include "shoal/pool/http/canned.hpp"
#include "shoal/pool/http/writer.hpp"

namespace shoal::pool {
namespace {

constexpr size_t kReadChunk = 16 * 1024;
// Stop reading further pipelined requests while this much output waits.
constexpr size_t kMaxPendingOutput = 1 << 20;

http::Limits request_limits(const spec::Gateway& c) {
  http::Limits l;
  l.max_head_bytes = c.max_header_bytes;
  l.max_body = c.max_body_bytes;
  return l;
}

}  // namespace

ClientConn::ClientConn(Gateway& gw, int fd, std::string address, uint32_t ipv4)
    : m_gw(gw), m_fd(fd), m_address(std::move(address)), m_ipv4(ipv4), m_parser(request_limits(gw.config())) {}

ClientConn::~ClientConn() {
  if (m_timer != 0) m_gw.loop().cancel(m_timer);
  if (m_fd >= 0) {
    m_gw.loop().remove(m_fd);
    ::close(m_fd);
  }
}

void ClientConn::start() {
  // The descriptor leaves the loop before this object goes (close_now, the
  // destructor), so the loop never calls a destroyed connection.
  auto r = m_gw.loop().add(m_fd, EPOLLIN | EPOLLRDHUP, [this](uint32_t ev) { on_events(ev); });
  if (!r.ok()) return close_now();
  arm_timer(m_gw.config().idle_timeout, false);
  m_fresh_until_ns = EventLoop::now_ns() + kFreshConnectionGraceNs;
  m_gw.client_idle(this);
}

bool ClientConn::has_pending_input() const {
  char c;
  return !m_in.empty() || ::recv(m_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

void ClientConn::close_now() {
  if (m_state == State::closing && m_fd < 0) return;
  m_state = State::closing;
  // The descriptor goes now, not when the object does (after the current
  // callback): at the connection limit or out of descriptors, the gateway
  // closes an idle connection to accept the next one at once.
  if (m_fd >= 0) {
    if (m_timer != 0) m_gw.loop().cancel(m_timer);
    m_timer = 0;
    m_gw.loop().remove(m_fd);
    ::close(m_fd);
    m_fd = -1;
  }
  m_gw.client_closed(this);  // retires this: destroyed after the current callback
}

void ClientConn::arm_timer(policy::Duration timeout, bool answer_408) {
  if (m_timer != 0) m_gw.loop().cancel(m_timer);
  // Cancelled by close_now and the destructor: never fires on a destroyed connection.
  ClientConn* self = this;
  m_timer = m_gw.loop().after(timeout, [self, answer_408] {
    self->m_timer = 0;
    if (answer_408) {
      ++self->m_gw.mutable_stats().client_errors;
      self->respond_error(408, true);
    } else {
      self->close_now();
    }
  });
}

void ClientConn::on_events(uint32_t events) {
  // Callbacks below may close this connection: it is retired, not destroyed,
  // until the loop iteration ends, so the rest of this call is safe.
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) read_input();
  if (m_state != State::closing && (events & EPOLLOUT)) write_output();
}

void ClientConn::read_input() {
  static char scratch[kReadChunk];  // see UpstreamConn::read_in: no zero-fill per read
  for (;;) {
    ssize_t n = ::recv(m_fd, scratch, kReadChunk, 0);
    if (n <= 0) {
      if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        m_peer_closed = true;
        // Nothing in flight: close now. Otherwise answer first (a client may
        // half-close after sending), then close.
        if (m_state != State::waiting) return close_now();
        m_close_after_write = true;
        (void)m_gw.loop().modify(m_fd, m_want_write ? uint32_t(EPOLLOUT) : 0u);
      }
      break;
    }
    m_in.append(scratch, size_t(n));
    if (size_t(n) < kReadChunk) break;
  }
  process();
}

void ClientConn::process() {
  while (m_state == State::idle || m_state == State::head || m_state == State::body) {
    if (m_in.empty()) return;
    if (m_out.size() - m_out_off > kMaxPendingOutput) return;  // let the client read first
    if (m_state == State::idle) {
      m_state = State::head;
      m_fresh_until_ns = 0;
      m_gw.client_busy(this);
      m_request_start_ns = EventLoop::now_ns();
      arm_timer(m_gw.config().header_timeout, true);
    }
    if (m_state == State::head) {
      http::ParseResult r = m_parser.parse(m_in, m_head);
      if (r.failed()) {
        ++m_gw.mutable_stats().client_errors;
        return respond_error(r.error_status, true);
      }
      if (!r.complete()) return;
      m_version = m_head.version;
      m_keep_alive = m_head.keeps_alive();
      m_head_request = m_head.method_kind == http::Method::head;
      m_request = Message{};
      m_request.method = std::string(m_head.method);
      m_request.target = std::string(m_head.path);
      for (const auto& h : m_head.headers) {
        if (http::is_hop_by_hop(h.name) || http::iequals(h.name, "Expect")) continue;
        m_request.headers.push_back({std::string(h.name), std::string(h.value)});
      }
      // The request id: the client's if it sent a sane one, else a new one.
      std::string_view rid = m_request.header("X-Request-Id");
      m_request_id = (!rid.empty() && rid.size() <= 128) ? std::string(rid) : m_gw.next_request_id();
      m_request.set_header("X-Request-Id", m_request_id);
      std::string xff(m_request.header("X-Forwarded-For"));
      m_request.set_header("X-Forwarded-For", xff.empty() ? m_address : xff + ", " + m_address);
      m_request.set_header("X-Forwarded-Proto", "http");
      m_body.reset(m_head.body, request_limits(m_gw.config()));
      m_in.erase(0, r.consumed);
      m_parser.reset();
      if (m_head.expect_continue && m_head.body.kind != http::BodyKind::none) {
        m_out.append(http::kContinueResponse);
        write_output();
        if (m_state == State::closing) return;
      }
      m_state = State::body;
      arm_timer(m_gw.config().body_timeout, true);
    }
    if (m_state == State::body) {
      http::BodyStep s = m_body.read_all(m_in, [&](std::string_view d) { m_request.body.append(d); });
      if (s.status == http::BodyStatus::error) {
        ++m_gw.mutable_stats().client_errors;
        return respond_error(s.error_status, true);
      }
      m_in.erase(0, s.consumed);
      if (s.status != http::BodyStatus::done) return;
      dispatch();
    }
  }
}

void ClientConn::dispatch() {
  m_state = State::waiting;
  if (m_timer != 0) {
    m_gw.loop().cancel(m_timer);
    m_timer = 0;
  }
  ++m_gw.mutable_stats().requests;
  if (!path_is_safe(m_request.target)) {
    ++m_gw.mutable_stats().client_errors;
    return respond_error(400, true);
  }
  std::string host(m_request.header("Host"));
  const spec::Route* route = match_route(m_gw.routes(), host, m_request.target);
  if (route == nullptr) {
    ++m_gw.mutable_stats().client_errors;
    return respond_error(404, !m_keep_alive);
  }
  m_request.target = upstream_target(*route, m_request.target);
  Call::Options opts;
  opts.retryable = route->retryable.value_or(false);
  opts.timeout = route->timeout.value_or(policy::Duration::zero());
  opts.client_ipv4 = m_ipv4;
  std::weak_ptr<ClientConn*> weak = weak_self();
  bool head_request = m_head_request;
  run_route(m_gw, *route, std::move(m_request), std::move(opts), [weak, head_request](Message&& response) {
    if (auto self = weak.lock()) (*self)->respond(std::move(response), head_request);
  });
}

void ClientConn::respond(Message&& response, bool head_request) {
  if (m_state == State::closing) return;
  bool close = !m_keep_alive || m_close_after_write;
  response.set_header("X-Request-Id", m_request_id);
  auto views = header_views(response);
  http::ResponseOptions o;
  o.client_version = m_version;
  o.close = close;
  o.head_request = head_request;
  http::write_response(m_out, response.status, views, response.body, o);
  if (close) m_close_after_write = true;
  m_state = close ? State::closing : State::idle;
  write_output();
  if (m_state == State::idle) {
    arm_timer(m_gw.config().idle_timeout, false);
    m_gw.client_idle(this);
    process();  // pipelined requests already received
  }
}

void ClientConn::respond_error(int status, bool close) {
  if (m_state == State::closing) return;
  m_out.append(http::canned_response(status, close, m_head_request && m_state == State::waiting));
  if (close) m_close_after_write = true;
  m_state = close ? State::closing : State::idle;
  if (m_timer != 0 && close) {
    m_gw.loop().cancel(m_timer);
    m_timer = 0;
  }
  write_output();
  if (m_state == State::idle) {
    arm_timer(m_gw.config().idle_timeout, false);
    m_gw.client_idle(this);
    process();
  }
}

void ClientConn::write_output() {
  while (m_out_off < m_out.size()) {
    ssize_t n = ::send(m_fd, m_out.data() + m_out_off, m_out.size() - m_out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) break;
      m_close_after_write = false;
      m_out.clear();
      m_out_off = 0;
      return close_now();  // the client is gone
    }
    m_out_off += size_t(n);
  }
  if (m_out_off == m_out.size()) {
    m_out.clear();
    m_out_off = 0;
    if (m_close_after_write) {
      // Let the client see our FIN after the answer (lingering close light).
      ::shutdown(m_fd, SHUT_WR);
      return close_now();
    }
  }
  update_interest();
}

void ClientConn::update_interest() {
  bool want = m_out_off < m_out.size();
  if (want == m_want_write) return;
  m_want_write = want;
  uint32_t ev = m_peer_closed ? 0 : (EPOLLIN | EPOLLRDHUP);
  if (want) ev |= EPOLLOUT;
  (void)m_gw.loop().modify(m_fd, ev);
}

}  // namespace shoal::pool

#include "gateway.hpp"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>

#include "pool/channel/channel.hpp"
#include "client.hpp"
#include "splice.hpp"
#include "upstream.hpp"

namespace shoal::pool {

Gateway::Gateway(EventLoop& loop, Pool& pool, const spec::Spec& spec) : m_loop(loop), m_pool(pool), m_spec(spec) {
  if (getrandom(&m_id_salt, sizeof m_id_salt, 0) != sizeof m_id_salt) m_id_salt = uint64_t(getpid()) << 32;
}

Gateway::~Gateway() {
  *m_alive = false;
  stop_accepting();
  m_idle_clients.clear();
  for (ClientConn* c : m_clients) c->m_in_idle_list = false;
  m_clients.clear();
  m_waiting.clear();
  // Idle upstream connections close politely; close() must not find them in
  // the map while it is being walked.
  auto idle = std::move(m_idle);
  m_idle.clear();
  for (auto& [inst, conns] : idle)
    for (auto* c : conns) c->close();
  // Everything still owned goes now, not in a deferred call the loop may
  // never run. Destructors only release what the object itself holds
  // (timers, descriptors, its slot-handler entries); they call no other
  // in-flight object.
  auto live = std::move(m_in_flight);
  m_in_flight.clear();
  live.clear();
  m_retired.clear();
}

void Gateway::retire(InFlight* object) {
  auto it = m_in_flight.find(object);
  if (it == m_in_flight.end()) return;
  m_retired.push_back(std::move(it->second));
  m_in_flight.erase(it);
  if (m_sweep_queued) return;
  m_sweep_queued = true;
  std::weak_ptr<bool> alive = m_alive;
  m_loop.defer([this, alive] {
    if (alive.expired() || !*alive.lock()) return;
    sweep_retired();
  });
}

void Gateway::sweep_retired() {
  m_sweep_queued = false;
  // A destructor may retire nothing, but keep the vector's capacity for the
  // next round and let retire() during the sweep queue a new one.
  std::vector<std::unique_ptr<InFlight>> batch;
  batch.swap(m_retired);
  batch.clear();
  if (m_retired.empty()) m_retired.swap(batch);
}

Result<void> Gateway::start() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno_error("gateway: socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  const spec::Endpoint& where = config().listen;
  std::string host = where.host == "localhost" ? "127.0.0.1" : where.host;
  a.sin_port = htons(where.port);
  if (inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1) {
    close(fd);
    return make_error("gateway: listen address '" + host + "' is not an IPv4 address");
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    auto e = errno_error("gateway: bind " + host + ":" + std::to_string(where.port));
    close(fd);
    return e;
  }
  if (listen(fd, 1024) != 0) {
    auto e = errno_error("gateway: listen");
    close(fd);
    return e;
  }
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  m_port = ntohs(a.sin_port);
  m_listen_fd = fd;
  m_max_connections = config().max_connections;
  if (m_max_connections == 0) {
    rlimit rl{};
    uint64_t nofile = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;
    if (nofile > 10'000'000) nofile = 10'000'000;  // RLIM_INFINITY
    m_max_connections = nofile > kFdReserve + kMinConnections ? uint32_t(nofile - kFdReserve) : kMinConnections;
  }
  arm_accept();
  return m_accept_armed ? Result<void>{} : make_error("gateway: cannot watch the listening socket");
}

void Gateway::stop_accepting() {
  if (m_listen_fd < 0) return;
  if (m_accept_timer != 0) m_loop.cancel(m_accept_timer);
  m_accept_timer = 0;
  if (m_accept_armed) m_loop.remove(m_listen_fd);
  m_accept_armed = false;
  close(m_listen_fd);
  m_listen_fd = -1;
}

// The listener is watched only while a connection can be taken: a
// level-triggered listener that cannot be accepted from (at the limit, out
// of descriptors) would wake the loop again at once, forever.
void Gateway::arm_accept() {
  if (m_listen_fd < 0 || m_accept_armed) return;
  if (m_accept_timer != 0) m_loop.cancel(m_accept_timer);
  m_accept_timer = 0;
  m_accept_armed = m_loop.add(m_listen_fd, EPOLLIN, [this](uint32_t) { on_accept(); }).ok();
}

// Stops watching the listener (pending connections wait in its backlog).
// It is watched again when a client connection closes, or after retry_ns
// (out of descriptors: something else may free one).
void Gateway::disarm_accept(uint64_t retry_ns) {
  if (m_accept_armed) {
    m_loop.remove(m_listen_fd);
    m_accept_armed = false;
    ++m_stats.accept_paused;
  }
  if (retry_ns != 0 && m_accept_timer == 0)
    m_accept_timer = m_loop.after(retry_ns, [this] {
      m_accept_timer = 0;
      arm_accept();
    });
}

bool Gateway::close_idle_client(uint64_t* retry_ns) {
  if (retry_ns != nullptr) *retry_ns = 0;
  uint64_t now = EventLoop::now_ns();
  uint64_t soonest = 0;
  // Bounded: a burst of new connections all within their grace would
  // otherwise be walked on every attempt.
  int looked = 0;
  for (auto it = m_idle_clients.begin(); it != m_idle_clients.end() && looked < 64; ++looked) {
    ClientConn* c = *it;
    // Bytes already in its socket: a request is on the way, so it is not
    // idle after all (its read event follows).
    if (c->has_pending_input()) {
      it = m_idle_clients.erase(it);
      c->m_in_idle_list = false;
      continue;
    }
    if (c->closable_from_ns() > now) {
      uint64_t wait = c->closable_from_ns() - now;
      if (soonest == 0 || wait < soonest) soonest = wait;
      ++it;
      continue;
    }
    m_idle_clients.erase(it);
    c->m_in_idle_list = false;
    ++m_stats.idle_closed;
    c->close_now();
    return true;
  }
  if (retry_ns != nullptr) *retry_ns = looked == 64 && soonest == 0 ? kFreshConnectionGraceNs : soonest;
  return false;
}

// The listener has a connection to accept (the first wake-up knows it).
bool Gateway::connection_waiting() const {
  pollfd p{m_listen_fd, POLLIN, 0};
  return poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
}

void Gateway::on_accept() {
  // Bounded per wake-up so one busy listener cannot starve the channels.
  for (int i = 0; i < 64; ++i) {
    uint64_t retry_ns = 0;
    // At the limit, a connection is closed only for one that waits.
    if (m_clients.size() >= m_max_connections && i > 0 && !connection_waiting()) return;
    if (m_clients.size() >= m_max_connections && !close_idle_client(&retry_ns)) {
      // Every connection is busy: serve them, take new ones as they end
      // (or when a new one that has sent nothing may go).
      disarm_accept(retry_ns);
      return;
    }
    sockaddr_in a{};
    socklen_t len = sizeof a;
    int fd = accept4(m_listen_fd, reinterpret_cast<sockaddr*>(&a), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors below max_connections (instances use them
        // too): make room from an idle connection, else pause a moment.
        if (close_idle_client(&retry_ns)) continue;
        disarm_accept(retry_ns != 0 && retry_ns < 100'000'000 ? retry_ns : 100'000'000);
      }
      return;  // EAGAIN: nothing more waits
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char text[INET_ADDRSTRLEN] = "0.0.0.0";
    inet_ntop(AF_INET, &a.sin_addr, text, sizeof text);
    ++m_stats.accepted;
    ClientConn* c = adopt(std::make_unique<ClientConn>(*this, fd, text, a.sin_addr.s_addr));
    m_clients.insert(c);
    c->start();
  }
}

void Gateway::client_closed(ClientConn* c) {
  client_busy(c);
  // Destroyed after the current callback: c may be on the stack.
  if (m_clients.erase(c) == 0) return;
  retire(c);
  // Room for one more: take the connections waiting in the backlog.
  if (!m_accept_armed && m_clients.size() < m_max_connections) arm_accept();
}

void Gateway::client_idle(ClientConn* c) {
  if (c->m_in_idle_list) m_idle_clients.erase(c->m_idle_pos);
  c->m_idle_pos = m_idle_clients.insert(m_idle_clients.end(), c);
  c->m_in_idle_list = true;
}

void Gateway::client_busy(ClientConn* c) {
  if (!c->m_in_idle_list) return;
  m_idle_clients.erase(c->m_idle_pos);
  c->m_in_idle_list = false;
}

std::string Gateway::next_request_id() {
  static const char kHex[] = "0123456789abcdef";
  uint64_t v = (++m_request_seq * 0x9e3779b97f4a7c15ull) ^ m_id_salt;
  std::string id(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) id[i] = kHex[v & 15];
  return id;
}

UpstreamConn* Gateway::take_idle(Instance& i) {
  auto it = m_idle.find(&i);
  if (it == m_idle.end() || it->second.empty()) return nullptr;
  UpstreamConn* c = it->second.back();
  it->second.pop_back();
  return c;
}

void Gateway::put_idle(UpstreamConn* c) { m_idle[&c->instance()].push_back(c); }

void Gateway::forget_idle(UpstreamConn* c) {
  auto it = m_idle.find(&c->instance());
  if (it == m_idle.end()) return;
  std::erase(it->second, c);
  if (it->second.empty()) m_idle.erase(it);
}

bool Gateway::hold(Service& s, Waiter* w, bool admitted) {
  auto& q = m_waiting[&s];
  // One admitted already (it only lacks a channel slot for a moment) is not
  // refused for the queue's bound.
  if (!admitted && q.size() >= config().max_held) return false;
  q.push_back(w);
  w->m_queued = true;
  m_pool.set_waiting(s, uint32_t(q.size()));
  return true;
}

void Gateway::unhold(Service& s, Waiter* w) {
  auto it = m_waiting.find(&s);
  if (it == m_waiting.end()) return;
  std::erase(it->second, w);
  w->m_queued = false;
  m_pool.set_waiting(s, uint32_t(it->second.size()));
}

void Gateway::on_capacity(Service& s) {
  auto it = m_waiting.find(&s);
  if (it == m_waiting.end()) return;
  auto& q = it->second;
  while (!q.empty()) {
    Waiter* w = q.front();
    q.pop_front();
    w->m_queued = false;
    if (!w->retry_pick()) {
      // Still no room: it keeps its place at the head of the line.
      q.push_front(w);
      w->m_queued = true;
      break;
    }
  }
  m_pool.set_waiting(s, uint32_t(q.size()));
}

void Gateway::on_guest_connect(Instance& from, uint32_t slot, uint32_t service_index, uint32_t port) {
  // An instance whose channel is gone (it exited meanwhile) has no slot to
  // answer: nothing to refuse either.
  if (!from.channel) return;
  // The index names an entry of the channel's services table, which the
  // supervisor filled from the spec in service order.
  Service* target = m_pool.service_by_index(service_index);
  if (target == nullptr) {
    (void)from.channel->refuse(slot);
    from.channel->flush();
    return;
  }
  Splice::start(*this, from, slot, *target, port);
}

}  // namespace shoal::pool

#include "net/channel/ports.hpp"

#include "core/errno.hpp"
#include "net/channel/channel.hpp"
#include "net/channel/channel_socket.hpp"

namespace libos::net {
namespace {

ChannelSocket* g_bound = nullptr;  // every socket holding a port
uint16_t g_next_ephemeral = kEphemeralFirst;

// Linux's rule, simplified to one address space: two sockets may share a
// port if both set SO_REUSEPORT, or both set SO_REUSEADDR and neither listens.
bool conflicts(const ChannelSocket* a, const ChannelSocket* b) {
  if (a->m_reuseport && b->m_reuseport) return false;
  if (a->m_reuseaddr && b->m_reuseaddr && a->m_state != SockState::listening &&
      b->m_state != SockState::listening) {
    return false;
  }
  return true;
}

bool port_free_for(const ChannelSocket* s, uint16_t port) {
  for (ChannelSocket* b = g_bound; b != nullptr; b = b->m_bound_next) {
    if (b != s && b->m_local_port == port && conflicts(s, b)) return false;
  }
  return true;
}

}  // namespace

long port_bind(ChannelSocket* s, uint32_t ip, uint16_t port) {
  if (port == 0) {
    int span = kEphemeralLast - kEphemeralFirst + 1;
    for (int i = 0; i < span; ++i) {
      uint16_t candidate = g_next_ephemeral;
      g_next_ephemeral = candidate == kEphemeralLast ? kEphemeralFirst : static_cast<uint16_t>(candidate + 1);
      bool used = false;
      for (ChannelSocket* b = g_bound; b != nullptr; b = b->m_bound_next) used |= b->m_local_port == candidate;
      if (!used) {
        port = candidate;
        break;
      }
    }
    if (port == 0) return -EADDRNOTAVAIL;
  } else if (!port_free_for(s, port)) {
    return -EADDRINUSE;
  }
  s->m_local_ip = ip;
  s->m_local_port = port;
  s->m_bound = true;
  s->m_bound_next = g_bound;
  g_bound = s;
  return 0;
}

void port_unbind(ChannelSocket* s) {
  if (!s->m_bound) return;
  for (ChannelSocket** p = &g_bound; *p != nullptr; p = &(*p)->m_bound_next) {
    if (*p == s) {
      *p = s->m_bound_next;
      break;
    }
  }
  s->m_bound = false;
  s->m_bound_next = nullptr;
}

ChannelSocket* port_listener(uint16_t port) {
  ChannelSocket* best = nullptr;
  for (ChannelSocket* b = g_bound; b != nullptr; b = b->m_bound_next) {
    if (b->m_local_port != port || b->m_state != SockState::listening) continue;
    if (best == nullptr || b->m_qcount < best->m_qcount) best = b;
  }
  return best;
}

bool port_has_listener(uint16_t port, const ChannelSocket* except) {
  for (ChannelSocket* b = g_bound; b != nullptr; b = b->m_bound_next) {
    if (b != except && b->m_local_port == port && b->m_state == SockState::listening) return true;
  }
  return false;
}

uint16_t port_listening(uint16_t want) {
  for (ChannelSocket* b = g_bound; b != nullptr; b = b->m_bound_next) {
    if (b->m_state == SockState::listening && (want == 0 || b->m_local_port == want)) return b->m_local_port;
  }
  return 0;
}

void ports_publish_listeners() {
  for (ChannelSocket* b = g_bound; b != nullptr; b = b->m_bound_next) {
    if (b->m_state == SockState::listening) channel_listen_add(channel_header(), b->m_local_port);
  }
  channel_changed();
}

}  // namespace libos::net

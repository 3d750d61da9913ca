// setsockopt and getsockopt for every transport: options are checked as
// Linux checks them and stored in the SocketFile; the transport applies
// those that change its behaviour (options_changed) and answers those it
// knows better (option_value: buffer sizes as resized, the MSS in use).
// SO_ERROR, SO_TYPE, SO_ACCEPTCONN and friends come from the socket's state.
#include "net/socket/sockopt.hpp"

#include "core/klib.hpp"
#include "core/uaccess.hpp"
#include "uapi/in.hpp"
#include "uapi/socket.hpp"
#include "uapi/tcp.hpp"
#include "uapi/time.hpp"

namespace libos::net {
namespace {


// Linux's bounds for SO_RCVBUF/SO_SNDBUF: the value is doubled (room for
// bookkeeping), capped by net.core.[rw]mem_max and floored.
constexpr int kMemMax = uapi::SK_RMEM_MAX;
static_assert(uapi::SK_RMEM_MAX == uapi::SK_WMEM_MAX, "one cap serves both buffers");
constexpr int kMinRcvbuf = uapi::SOCK_MIN_RCVBUF, kMinSndbuf = uapi::SOCK_MIN_SNDBUF;

using uapi::Linger;
using OptTimeval = uapi::Timeval;

int clamp_buf(int value, int min) {
  if (value < 0) value = 0;
  if (value > kMemMax) value = kMemMax;
  value *= 2;
  return value < min ? min : value;
}

// The TCP options that are only accepted, and their defaults (Linux's).
struct TcpKnob {
  int name;
  int value;
};
constexpr TcpKnob kTcpDefaults[] = {
    {uapi::TCP_SYNCNT, 6},     {uapi::TCP_LINGER2, 60},    {uapi::TCP_DEFER_ACCEPT, 0}, {uapi::TCP_WINDOW_CLAMP, 0},
    {uapi::TCP_QUICKACK, 1},   {uapi::TCP_USER_TIMEOUT, 0}, {uapi::TCP_FASTOPEN, 0},    {uapi::TCP_NOTSENT_LOWAT, 0},
};
// Linux's bounds: MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL, MAX_TCP_KEEPCNT,
// TCP_MIN_MSS and MAX_TCP_WINDOW.
constexpr int kMaxKeepidle = 32767, kMaxKeepintvl = 32767, kMaxKeepcnt = 127;
constexpr int kMinMss = 88, kMaxMss = 65535;
constexpr int kDefaultMss = 536;

long put_opt(void* optval, int* optlen, const void* value, int size) {
  if (!user_readable(optlen, sizeof(int))) return -EFAULT;
  int len = *optlen;
  if (len < 0) return -EINVAL;
  if (len > size) len = size;
  if (len > 0 && !user_writable(optval, static_cast<size_t>(len))) return -EFAULT;
  if (!user_writable(optlen, sizeof(int))) return -EFAULT;
  memcpy(optval, value, static_cast<size_t>(len));
  *optlen = len;
  return 0;
}

long put_int(void* optval, int* optlen, int value) { return put_opt(optval, optlen, &value, sizeof(value)); }

long set_timeout(const void* optval, unsigned optlen, uint64_t* out) {
  if (optlen < sizeof(OptTimeval)) return -EINVAL;
  if (!user_readable(optval, sizeof(OptTimeval))) return -EFAULT;
  OptTimeval tv;
  memcpy(&tv, optval, sizeof(tv));
  if (tv.usec < 0 || tv.usec >= 1000000) return -EDOM;
  if (tv.sec < 0) {
    *out = 1;  // Linux: a negative timeout makes waits return at once
    return 0;
  }
  uint64_t ns = tv.sec > 1000000000ll ? 0 : static_cast<uint64_t>(tv.sec) * 1000000000ull + tv.usec * 1000ull;
  *out = ns;
  return 0;
}

long get_timeout(void* optval, int* optlen, uint64_t ns) {
  OptTimeval tv{static_cast<int64_t>(ns / 1000000000ull), static_cast<int64_t>((ns % 1000000000ull) / 1000)};
  return put_opt(optval, optlen, &tv, sizeof(tv));
}

// Stores the value; -errno for a value Linux refuses.
long store_socket_int(SocketFile* s, int name, int v) {
  switch (name) {
    case uapi::SO_REUSEADDR: s->m_reuseaddr = v != 0; return 0;
    case uapi::SO_REUSEPORT: s->m_reuseport = v != 0; return 0;
    case uapi::SO_KEEPALIVE: s->m_keepalive = v != 0; return 0;
    case uapi::SO_BROADCAST: s->m_broadcast = v != 0; return 0;
    case uapi::SO_RCVBUF:
    case uapi::SO_RCVBUFFORCE: s->m_rcvbuf = clamp_buf(v, kMinRcvbuf); return 0;
    case uapi::SO_SNDBUF:
    case uapi::SO_SNDBUFFORCE: s->m_sndbuf = clamp_buf(v, kMinSndbuf); return 0;
    case uapi::SO_DEBUG:
    case uapi::SO_DONTROUTE:
    case uapi::SO_OOBINLINE:
    case uapi::SO_PRIORITY:
    case uapi::SO_RCVLOWAT:
    case uapi::SO_BUSY_POLL:
    case uapi::SO_INCOMING_CPU: return 0;
    default: return -ENOPROTOOPT;  // SO_SNDLOWAT (not changeable), SO_TYPE, SO_ERROR...
  }
}

long store_tcp_int(SocketFile* s, int name, int v) {
  switch (name) {
    case uapi::TCP_NODELAY: s->m_nodelay = v != 0; return 0;
    case uapi::TCP_CORK: s->m_cork = v != 0; return 0;
    case uapi::TCP_KEEPIDLE:
      if (v < 1 || v > kMaxKeepidle) return -EINVAL;
      s->m_keepidle = v;
      return 0;
    case uapi::TCP_KEEPINTVL:
      if (v < 1 || v > kMaxKeepintvl) return -EINVAL;
      s->m_keepintvl = v;
      return 0;
    case uapi::TCP_KEEPCNT:
      if (v < 1 || v > kMaxKeepcnt) return -EINVAL;
      s->m_keepcnt = v;
      return 0;
    case uapi::TCP_MAXSEG:
      if (v != 0 && (v < kMinMss || v > kMaxMss)) return -EINVAL;
      s->m_user_mss = v;
      return 0;
    default:
      for (const TcpKnob& k : kTcpDefaults) {
        if (k.name == name) return 0;  // accepted; nothing here depends on it
      }
      return -ENOPROTOOPT;
  }
}

// What getsockopt answers from the stored options (the transport may know
// better: option_value is asked first).
bool stored_value(const SocketFile* s, int level, int name, int* out) {
  if (level == uapi::SOL_SOCKET) {
    switch (name) {
      case uapi::SO_TYPE: *out = s->type(); return true;
      case uapi::SO_PROTOCOL: *out = s->protocol(); return true;
      case uapi::SO_DOMAIN: *out = s->m_inet6 ? uapi::AF_INET6 : uapi::AF_INET; return true;
      case uapi::SO_ACCEPTCONN: *out = s->listening(); return true;
      case uapi::SO_REUSEADDR: *out = s->m_reuseaddr; return true;
      case uapi::SO_REUSEPORT: *out = s->m_reuseport; return true;
      case uapi::SO_KEEPALIVE: *out = s->m_keepalive; return true;
      case uapi::SO_BROADCAST: *out = s->m_broadcast; return true;
      case uapi::SO_RCVBUF: *out = s->m_rcvbuf; return true;
      case uapi::SO_SNDBUF: *out = s->m_sndbuf; return true;
      case uapi::SO_RCVLOWAT:
      case uapi::SO_SNDLOWAT: *out = 1; return true;
      case uapi::SO_DEBUG:
      case uapi::SO_DONTROUTE:
      case uapi::SO_OOBINLINE:
      case uapi::SO_PRIORITY: *out = 0; return true;
      default: return false;
    }
  }
  switch (name) {
    case uapi::TCP_NODELAY: *out = s->m_nodelay; return true;
    case uapi::TCP_CORK: *out = s->m_cork; return true;
    case uapi::TCP_KEEPIDLE: *out = s->m_keepidle; return true;
    case uapi::TCP_KEEPINTVL: *out = s->m_keepintvl; return true;
    case uapi::TCP_KEEPCNT: *out = s->m_keepcnt; return true;
    case uapi::TCP_MAXSEG: *out = s->m_user_mss != 0 ? s->m_user_mss : kDefaultMss; return true;
    default:
      for (const TcpKnob& k : kTcpDefaults) {
        if (k.name == name) {
          *out = k.value;
          return true;
        }
      }
      return false;
  }
}

}  // namespace

long socket_setsockopt(SocketFile* s, int level, int name, const void* optval, unsigned optlen) {
  // A datagram socket has no TCP level (Linux: ip_setsockopt says ENOPROTOOPT).
  bool tcp_level = level == uapi::IPPROTO_TCP && s->type() == uapi::SOCK_STREAM;
  if (level == uapi::SOL_SOCKET && (name == uapi::SO_RCVTIMEO || name == uapi::SO_SNDTIMEO)) {
    return set_timeout(optval, optlen, name == uapi::SO_RCVTIMEO ? &s->m_rcvtimeo_ns : &s->m_sndtimeo_ns);
  }
  if (level == uapi::SOL_SOCKET && name == uapi::SO_LINGER) {
    if (optlen < sizeof(Linger)) return -EINVAL;
    if (!user_readable(optval, sizeof(Linger))) return -EFAULT;
    Linger l;
    memcpy(&l, optval, sizeof(l));
    s->m_linger_on = l.onoff != 0;
    s->m_linger_secs = l.secs < 0 ? 0 : l.secs;
    return s->options_changed(level, name);
  }
  bool ipv6_level = level == uapi::IPPROTO_IPV6 && s->m_inet6;
  if (level != uapi::SOL_SOCKET && !tcp_level && level != uapi::IPPROTO_IP && !ipv6_level) return -ENOPROTOOPT;
  if (ipv6_level && (name == uapi::IPV6_JOIN_GROUP || name == uapi::IPV6_LEAVE_GROUP)) {
    // Linux's do_ipv6_setsockopt: EPROTO on a stream socket, then a whole
    // struct ipv6_mreq.
    if (s->type() == uapi::SOCK_STREAM) return -EPROTO;
    if (optlen < sizeof(uapi::Ipv6Mreq)) return -EINVAL;
    if (!user_readable(optval, sizeof(uapi::Ipv6Mreq))) return -EFAULT;
    uapi::Ipv6Mreq m;
    memcpy(&m, optval, sizeof(m));
    return s->membership6(name == uapi::IPV6_JOIN_GROUP, m.addr, m.ifindex);
  }
  if (optlen < sizeof(int)) return -EINVAL;
  if (!user_readable(optval, sizeof(int))) return -EFAULT;
  int v;
  memcpy(&v, optval, sizeof(v));
  if (ipv6_level) {
    // IPV6_V6ONLY only; the socket's addresses are checked against it at
    // bind, connect and accept (net/inet6_addr.hpp).
    if (name != uapi::IPV6_V6ONLY) return -ENOPROTOOPT;
    bool old = s->m_v6only;
    s->m_v6only = v != 0;
    long err = s->options_changed(level, name);
    if (err < 0) s->m_v6only = old;  // EINVAL once bound, as Linux
    return err;
  }
  if (level == uapi::IPPROTO_IP) return name == uapi::IP_TOS || name == uapi::IP_TTL ? 0 : -ENOPROTOOPT;
  long err = level == uapi::SOL_SOCKET ? store_socket_int(s, name, v) : store_tcp_int(s, name, v);
  if (err < 0) return err;
  return s->options_changed(level, name);
}

long socket_getsockopt(SocketFile* s, int level, int name, void* optval, int* optlen) {
  bool tcp_level = level == uapi::IPPROTO_TCP && s->type() == uapi::SOCK_STREAM;
  if (level == uapi::SOL_SOCKET) {
    switch (name) {
      case uapi::SO_ERROR: {
        // Validate before taking: a bad optlen must not lose the error.
        if (!user_writable(optlen, sizeof(int))) return -EFAULT;
        if (*optlen < 0) return -EINVAL;
        size_t len = *optlen < 4 ? static_cast<size_t>(*optlen) : 4;
        if (len > 0 && !user_writable(optval, len)) return -EFAULT;
        return put_int(optval, optlen, s->take_error());
      }
      case uapi::SO_LINGER: {
        Linger l{s->m_linger_on, s->m_linger_secs};
        return put_opt(optval, optlen, &l, sizeof(l));
      }
      case uapi::SO_RCVTIMEO:
        return get_timeout(optval, optlen, s->m_rcvtimeo_ns);
      case uapi::SO_SNDTIMEO:
        return get_timeout(optval, optlen, s->m_sndtimeo_ns);
      default:
        break;
    }
  }
  if (level == uapi::SOL_SOCKET || tcp_level) {
    int v = 0;
    if (s->option_value(level, name, &v) || stored_value(s, level, name, &v)) return put_int(optval, optlen, v);
    return -ENOPROTOOPT;
  }
  if (level == uapi::IPPROTO_IPV6 && s->m_inet6) {
    if (name == uapi::IPV6_V6ONLY) return put_int(optval, optlen, s->m_v6only ? 1 : 0);
    return -ENOPROTOOPT;
  }
  if (level == uapi::IPPROTO_IP) {
    if (name == uapi::IP_TOS) return put_int(optval, optlen, 0);
    if (name == uapi::IP_TTL) return put_int(optval, optlen, 64);
    return -ENOPROTOOPT;
  }
  return -EOPNOTSUPP;
}

}  // namespace libos::net

// setsockopt and getsockopt for every transport: options are checked as
// Linux checks them and stored in the SocketFile; the transport applies
// those that change its behaviour (options_changed) and answers those it
// knows better (option_value: buffer sizes as resized, the MSS in use).
// SO_ERROR, SO_TYPE, SO_ACCEPTCONN and friends come from the socket's state.
#include "net/socket/sockopt.hpp"

#include "core/klib.hpp"
#include "core/uaccess.hpp"

namespace libos::net {
namespace {

constexpr int kSolSocket = 1;
enum SocketOption : int {
  kSoDebug = 1,
  kSoReuseaddr = 2,
  kSoType = 3,
  kSoError = 4,
  kSoDontroute = 5,
  kSoBroadcast = 6,
  kSoSndbuf = 7,
  kSoRcvbuf = 8,
  kSoKeepalive = 9,
  kSoOobinline = 10,
  kSoPriority = 12,
  kSoLinger = 13,
  kSoReuseport = 15,
  kSoRcvlowat = 18,
  kSoSndlowat = 19,
  kSoRcvtimeo = 20,
  kSoSndtimeo = 21,
  kSoAcceptconn = 30,
  kSoSndbufforce = 32,
  kSoRcvbufforce = 33,
  kSoProtocol = 38,
  kSoDomain = 39,
  kSoBusyPoll = 46,
  kSoIncomingCpu = 49,
};
enum TcpOption : int {
  kTcpNodelay = 1,
  kTcpMaxseg = 2,
  kTcpCork = 3,
  kTcpKeepidle = 4,
  kTcpKeepintvl = 5,
  kTcpKeepcnt = 6,
  kTcpSyncnt = 7,
  kTcpLinger2 = 8,
  kTcpDeferAccept = 9,
  kTcpWindowClamp = 10,
  kTcpQuickack = 12,
  kTcpUserTimeout = 18,
  kTcpFastopen = 23,
  kTcpNotsentLowat = 25,
};
enum IpOption : int { kIpTos = 1, kIpTtl = 2 };

// Linux's bounds for SO_RCVBUF/SO_SNDBUF: the value is doubled (room for
// bookkeeping), capped by net.core.[rw]mem_max and floored.
constexpr int kMemMax = 212992;
constexpr int kMinRcvbuf = 2304, kMinSndbuf = 4608;

struct Linger {
  int32_t onoff;
  int32_t secs;
};

struct OptTimeval {
  int64_t sec;
  int64_t usec;
};

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
    {kTcpSyncnt, 6},     {kTcpLinger2, 60},    {kTcpDeferAccept, 0}, {kTcpWindowClamp, 0},
    {kTcpQuickack, 1},   {kTcpUserTimeout, 0}, {kTcpFastopen, 0},    {kTcpNotsentLowat, 0},
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
    case kSoReuseaddr: s->m_reuseaddr = v != 0; return 0;
    case kSoReuseport: s->m_reuseport = v != 0; return 0;
    case kSoKeepalive: s->m_keepalive = v != 0; return 0;
    case kSoBroadcast: s->m_broadcast = v != 0; return 0;
    case kSoRcvbuf:
    case kSoRcvbufforce: s->m_rcvbuf = clamp_buf(v, kMinRcvbuf); return 0;
    case kSoSndbuf:
    case kSoSndbufforce: s->m_sndbuf = clamp_buf(v, kMinSndbuf); return 0;
    case kSoDebug:
    case kSoDontroute:
    case kSoOobinline:
    case kSoPriority:
    case kSoRcvlowat:
    case kSoBusyPoll:
    case kSoIncomingCpu: return 0;
    default: return -ENOPROTOOPT;  // SO_SNDLOWAT (not changeable), SO_TYPE, SO_ERROR...
  }
}

long store_tcp_int(SocketFile* s, int name, int v) {
  switch (name) {
    case kTcpNodelay: s->m_nodelay = v != 0; return 0;
    case kTcpCork: s->m_cork = v != 0; return 0;
    case kTcpKeepidle:
      if (v < 1 || v > kMaxKeepidle) return -EINVAL;
      s->m_keepidle = v;
      return 0;
    case kTcpKeepintvl:
      if (v < 1 || v > kMaxKeepintvl) return -EINVAL;
      s->m_keepintvl = v;
      return 0;
    case kTcpKeepcnt:
      if (v < 1 || v > kMaxKeepcnt) return -EINVAL;
      s->m_keepcnt = v;
      return 0;
    case kTcpMaxseg:
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
  if (level == kSolSocket) {
    switch (name) {
      case kSoType: *out = s->type(); return true;
      case kSoProtocol: *out = s->protocol(); return true;
      case kSoDomain: *out = kAfInet; return true;
      case kSoAcceptconn: *out = s->listening(); return true;
      case kSoReuseaddr: *out = s->m_reuseaddr; return true;
      case kSoReuseport: *out = s->m_reuseport; return true;
      case kSoKeepalive: *out = s->m_keepalive; return true;
      case kSoBroadcast: *out = s->m_broadcast; return true;
      case kSoRcvbuf: *out = s->m_rcvbuf; return true;
      case kSoSndbuf: *out = s->m_sndbuf; return true;
      case kSoRcvlowat:
      case kSoSndlowat: *out = 1; return true;
      case kSoDebug:
      case kSoDontroute:
      case kSoOobinline:
      case kSoPriority: *out = 0; return true;
      default: return false;
    }
  }
  switch (name) {
    case kTcpNodelay: *out = s->m_nodelay; return true;
    case kTcpCork: *out = s->m_cork; return true;
    case kTcpKeepidle: *out = s->m_keepidle; return true;
    case kTcpKeepintvl: *out = s->m_keepintvl; return true;
    case kTcpKeepcnt: *out = s->m_keepcnt; return true;
    case kTcpMaxseg: *out = s->m_user_mss != 0 ? s->m_user_mss : kDefaultMss; return true;
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
  bool tcp_level = level == kIpprotoTcp && s->type() == kSockStream;
  if (level == kSolSocket && (name == kSoRcvtimeo || name == kSoSndtimeo)) {
    return set_timeout(optval, optlen, name == kSoRcvtimeo ? &s->m_rcvtimeo_ns : &s->m_sndtimeo_ns);
  }
  if (level == kSolSocket && name == kSoLinger) {
    if (optlen < sizeof(Linger)) return -EINVAL;
    if (!user_readable(optval, sizeof(Linger))) return -EFAULT;
    Linger l;
    memcpy(&l, optval, sizeof(l));
    s->m_linger_on = l.onoff != 0;
    s->m_linger_secs = l.secs < 0 ? 0 : l.secs;
    return s->options_changed(level, name);
  }
  if (level != kSolSocket && !tcp_level && level != kIpprotoIp) return -ENOPROTOOPT;
  if (optlen < sizeof(int)) return -EINVAL;
  if (!user_readable(optval, sizeof(int))) return -EFAULT;
  int v;
  memcpy(&v, optval, sizeof(v));
  if (level == kIpprotoIp) return name == kIpTos || name == kIpTtl ? 0 : -ENOPROTOOPT;
  long err = level == kSolSocket ? store_socket_int(s, name, v) : store_tcp_int(s, name, v);
  if (err < 0) return err;
  return s->options_changed(level, name);
}

long socket_getsockopt(SocketFile* s, int level, int name, void* optval, int* optlen) {
  bool tcp_level = level == kIpprotoTcp && s->type() == kSockStream;
  if (level == kSolSocket) {
    switch (name) {
      case kSoError: {
        // Validate before taking: a bad optlen must not lose the error.
        if (!user_writable(optlen, sizeof(int))) return -EFAULT;
        if (*optlen < 0) return -EINVAL;
        size_t len = *optlen < 4 ? static_cast<size_t>(*optlen) : 4;
        if (len > 0 && !user_writable(optval, len)) return -EFAULT;
        return put_int(optval, optlen, s->take_error());
      }
      case kSoLinger: {
        Linger l{s->m_linger_on, s->m_linger_secs};
        return put_opt(optval, optlen, &l, sizeof(l));
      }
      case kSoRcvtimeo:
        return get_timeout(optval, optlen, s->m_rcvtimeo_ns);
      case kSoSndtimeo:
        return get_timeout(optval, optlen, s->m_sndtimeo_ns);
      default:
        break;
    }
  }
  if (level == kSolSocket || tcp_level) {
    int v = 0;
    if (s->option_value(level, name, &v) || stored_value(s, level, name, &v)) return put_int(optval, optlen, v);
    return -ENOPROTOOPT;
  }
  if (level == kIpprotoIp) {
    if (name == kIpTos) return put_int(optval, optlen, 0);
    if (name == kIpTtl) return put_int(optval, optlen, 64);
    return -ENOPROTOOPT;
  }
  return -EOPNOTSUPP;
}

}  // namespace libos::net

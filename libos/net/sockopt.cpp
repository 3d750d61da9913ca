// setsockopt and getsockopt: options are accepted and remembered so that
// programs that tune their sockets run unchanged; SO_ERROR, SO_TYPE,
// SO_ACCEPTCONN and friends are answered from the socket's state.
#include "net/sockopt.hpp"

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

// The TCP options that are only remembered, and their defaults (Linux's).
struct TcpKnob {
  int name;
  int value;
};
TcpKnob g_tcp_defaults[] = {
    {kTcpMaxseg, 536},    {kTcpCork, 0},     {kTcpKeepidle, 7200},  {kTcpKeepintvl, 75},  {kTcpKeepcnt, 9},
    {kTcpSyncnt, 6},      {kTcpLinger2, 60}, {kTcpDeferAccept, 0},  {kTcpWindowClamp, 0}, {kTcpQuickack, 1},
    {kTcpUserTimeout, 0}, {kTcpFastopen, 0}, {kTcpNotsentLowat, 0},
};

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

}  // namespace

long socket_setsockopt(Socket* s, int level, int name, const void* optval, unsigned optlen) {
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
    return 0;
  }
  if (level != kSolSocket && level != kIpprotoTcp && level != kIpprotoIp) return -ENOPROTOOPT;
  if (optlen < sizeof(int)) return -EINVAL;
  if (!user_readable(optval, sizeof(int))) return -EFAULT;
  int v;
  memcpy(&v, optval, sizeof(v));
  if (level == kSolSocket) {
    switch (name) {
      case kSoReuseaddr:
        s->m_reuseaddr = v != 0;
        return 0;
      case kSoReuseport:
        s->m_reuseport = v != 0;
        return 0;
      case kSoKeepalive:
        s->m_keepalive = v != 0;
        return 0;
      case kSoRcvbuf:
      case kSoRcvbufforce:
        s->m_rcvbuf = clamp_buf(v, kMinRcvbuf);
        return 0;
      case kSoSndbuf:
      case kSoSndbufforce:
        s->m_sndbuf = clamp_buf(v, kMinSndbuf);
        return 0;
      case kSoDebug:
      case kSoDontroute:
      case kSoBroadcast:
      case kSoOobinline:
      case kSoPriority:
      case kSoRcvlowat:
      case kSoBusyPoll:
      case kSoIncomingCpu:
        return 0;
      case kSoSndlowat:
        return -ENOPROTOOPT;  // Linux: not changeable
      case kSoType:
      case kSoError:
      case kSoAcceptconn:
      case kSoProtocol:
      case kSoDomain:
        return -ENOPROTOOPT;
      default:
        return -ENOPROTOOPT;
    }
  }
  if (level == kIpprotoIp) return name == kIpTos || name == kIpTtl ? 0 : -ENOPROTOOPT;
  if (name == kTcpNodelay) {
    s->m_nodelay = v != 0;
    return 0;
  }
  for (const TcpKnob& k : g_tcp_defaults) {
    if (k.name == name) return 0;  // accepted; the channel has no segments to tune
  }
  return -ENOPROTOOPT;
}

long socket_getsockopt(Socket* s, int level, int name, void* optval, int* optlen) {
  if (level == kSolSocket) {
    switch (name) {
      case kSoType:
        return put_int(optval, optlen, kSockStream);
      case kSoProtocol:
        return put_int(optval, optlen, kIpprotoTcp);
      case kSoDomain:
        return put_int(optval, optlen, kAfInet);
      case kSoAcceptconn:
        return put_int(optval, optlen, s->m_state == SockState::listening);
      case kSoError: {
        long r = put_int(optval, optlen, s->m_error);
        if (r == 0) s->m_error = 0;
        return r;
      }
      case kSoReuseaddr:
        return put_int(optval, optlen, s->m_reuseaddr);
      case kSoReuseport:
        return put_int(optval, optlen, s->m_reuseport);
      case kSoKeepalive:
        return put_int(optval, optlen, s->m_keepalive);
      case kSoRcvbuf:
        return put_int(optval, optlen, s->m_rcvbuf);
      case kSoSndbuf:
        return put_int(optval, optlen, s->m_sndbuf);
      case kSoRcvlowat:
      case kSoSndlowat:
        return put_int(optval, optlen, 1);
      case kSoDebug:
      case kSoDontroute:
      case kSoBroadcast:
      case kSoOobinline:
      case kSoPriority:
        return put_int(optval, optlen, 0);
      case kSoLinger: {
        Linger l{s->m_linger_on, s->m_linger_secs};
        return put_opt(optval, optlen, &l, sizeof(l));
      }
      case kSoRcvtimeo:
        return get_timeout(optval, optlen, s->m_rcvtimeo_ns);
      case kSoSndtimeo:
        return get_timeout(optval, optlen, s->m_sndtimeo_ns);
      default:
        return -ENOPROTOOPT;
    }
  }
  if (level == kIpprotoTcp) {
    if (name == kTcpNodelay) return put_int(optval, optlen, s->m_nodelay);
    for (const TcpKnob& k : g_tcp_defaults) {
      if (k.name == name) return put_int(optval, optlen, k.value);
    }
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

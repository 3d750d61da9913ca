// AF_INET6 addresses over the IPv4 stack (see inet6_addr.hpp).
#include "net/inet6_addr.hpp"

#include "core/klib.hpp"
#include "core/uaccess.hpp"
#include "inet/ipv6_peers.hpp"
#include "inet/stack.hpp"
#include "netdev/netdev.hpp"
#include "uapi/in.hpp"
#include "uapi/socket.hpp"

namespace libos::net {
namespace {

// Linux SIN6_LEN_RFC2133: a sockaddr_in6 without scope_id is accepted.
constexpr int kSin6LenRfc2133 = 24;
constexpr int kSockaddrStorage = 128;

bool all_zero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (p[i] != 0) return false;
  }
  return true;
}

bool is_v4_mapped(const uint8_t a[16]) { return all_zero(a, 10) && a[10] == 0xff && a[11] == 0xff; }
bool is_link_local(const uint8_t a[16]) { return a[0] == 0xfe && (a[1] & 0xc0) == 0x80; }

long read_sin6(const void* addr, int addrlen, uapi::SockaddrIn6* out) {
  if (addrlen < 0 || addrlen > kSockaddrStorage) return -EINVAL;
  memset(out, 0, sizeof(*out));
  size_t len = static_cast<size_t>(addrlen) < sizeof(*out) ? static_cast<size_t>(addrlen) : sizeof(*out);
  if (len > 0 && !user_readable(addr, len)) return -EFAULT;
  memcpy(out, addr, len);
  return 0;
}

}  // namespace

bool inet6_is_loopback(uint32_t ip) { return ip == inet::Stack::kLoopback6Addr; }
bool inet6_is_native(uint32_t ip) { return inet6_is_loopback(ip) || inet::Stack::is_v6_standin(ip); }

bool inet6_to_v4(const uint8_t a[16], uint32_t* ip, bool allocate) {
  if (all_zero(a, 16)) {
    *ip = 0;
    return true;
  }
  if (all_zero(a, 15) && a[15] == 1) {
    *ip = inet::Stack::kLoopback6Addr;
    return true;
  }
  if (is_v4_mapped(a)) {
    memcpy(ip, a + 12, 4);
    return true;
  }
  // A native IPv6 address: its stand-in in the stack (inet/ipv6_peers.hpp).
  inet::Stack* stack = netdev::stack();
  if (stack == nullptr || stack->ip6_peers() == nullptr) return false;
  *ip = stack->ip6_peers()->standin_of(a, allocate);
  return *ip != 0;
}

void inet6_from_v4(uint32_t ip, uint8_t out[16]) {
  memset(out, 0, 16);
  if (ip == 0) return;
  if (inet6_is_loopback(ip)) {
    out[15] = 1;
    return;
  }
  if (inet::Stack::is_v6_standin(ip)) {
    // An evicted stand-in shows as "::" (the address is no longer known).
    inet::Stack* stack = netdev::stack();
    const inet::Ip6Peers::Peer* p =
        stack != nullptr && stack->ip6_peers() != nullptr ? stack->ip6_peers()->find(ip) : nullptr;
    if (p != nullptr) memcpy(out, p->addr, 16);
    return;
  }
  out[10] = out[11] = 0xff;
  memcpy(out + 12, &ip, 4);
}

long inet6_get_addr(const SocketFile* s, const void* addr, int addrlen, bool bind, int* family, uint32_t* ip,
                    uint16_t* port, bool send) {
  uapi::SockaddrIn6 sa;
  if (long err = read_sin6(addr, addrlen, &sa); err < 0) return err;
  if (addrlen < static_cast<int>(sizeof(sa.family))) return -EINVAL;
  if (!bind && sa.family == uapi::AF_UNSPEC) {
    // Linux (inet_stream_connect / udp disconnect): AF_UNSPEC dissolves.
    *family = uapi::AF_UNSPEC;
    *ip = 0;
    *port = 0;
    return 0;
  }
  if (addrlen < kSin6LenRfc2133) return -EINVAL;
  if (sa.family != uapi::AF_INET6) return -EAFNOSUPPORT;
  *family = uapi::AF_INET6;
  *port = bswap16(sa.port);
  bool mapped = is_v4_mapped(sa.addr);
  if (mapped && s->m_v6only) return bind ? -EINVAL : -ENETUNREACH;
  if (is_link_local(sa.addr)) {
    // Linux: a link-local address names an interface by its scope id
    // (absent from an RFC 2133 sockaddr): bind and connect need one, a
    // datagram's destination may go without; an unknown one is ENODEV for
    // bind, no route otherwise.
    uint32_t scope = addrlen >= static_cast<int>(sizeof(sa)) ? sa.scope_id : 0;
    if (scope == 0 && !send) return -EINVAL;
    if (scope != 0 && scope != kInet6IfIndex) return bind ? -ENODEV : -ENETUNREACH;
  }
  // bind takes only our own addresses: no stand-in is made for others.
  if (!inet6_to_v4(sa.addr, ip, !bind)) return bind ? -EADDRNOTAVAIL : -ENETUNREACH;
  // Linux: connect to :: means the loopback (as 0.0.0.0 does for IPv4).
  if (!bind && *ip == 0 && !mapped) *ip = inet::Stack::kLoopback6Addr;
  return 0;
}

long inet6_get_dest(const SocketFile* s, const void* addr, int addrlen, SockMsg* m) {
  int family = 0;
  uint32_t ip = 0;
  uint16_t port = 0;
  if (addrlen < 0 || addrlen > kSockaddrStorage) return -EINVAL;
  if (addrlen >= 2) {
    uint16_t f = 0;
    if (!user_readable(addr, 2)) return -EFAULT;
    memcpy(&f, addr, 2);
    if (f == uapi::AF_UNSPEC) return 0;  // no address: the connected peer
  }
  if (long err = inet6_get_addr(s, addr, addrlen, false, &family, &ip, &port, true); err < 0) return err;
  m->has_addr = true;
  m->addr = Endpoint{ip, port};
  return 0;
}

void inet6_put_sockaddr(void* addr, int* addrlen, uint32_t ip, uint16_t port) {
  if (addr == nullptr) return;
  uapi::SockaddrIn6 sa{};
  sa.family = uapi::AF_INET6;
  sa.port = bswap16(port);
  inet6_from_v4(ip, sa.addr);
  if (is_link_local(sa.addr)) sa.scope_id = kInet6IfIndex;
  size_t len = *addrlen < static_cast<int>(sizeof(sa)) ? static_cast<size_t>(*addrlen) : sizeof(sa);
  memcpy(addr, &sa, len);
  *addrlen = sizeof(sa);
}

}  // namespace libos::net

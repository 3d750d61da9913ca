// AF_INET6 sockets over the IPv4 stack: dual-stack sockets as Linux makes
// them by default (IPV6_V6ONLY off). An AF_INET6 socket is the same transport
// as an AF_INET one; only the addresses it takes and shows differ:
//   ::                 <-> 0.0.0.0 (any: a "::" listener accepts IPv4 peers)
//   ::ffff:a.b.c.d     <-> a.b.c.d (IPv4 peers appear v4-mapped)
//   ::1                <-> inet::Stack::kLoopback6Addr (loopback inside the stack)
//   other addresses    <-> their stand-ins in 240.0.0.0/8 (inet/ipv6_peers.hpp):
//                          TCP and UDP over IPv6 on the device (--ip6)
// Without IPv6 on the device, native addresses have no route: bind says
// EADDRNOTAVAIL, connect ENETUNREACH. With IPV6_V6ONLY a socket refuses the v4-mapped forms and a
// listener takes only ::1: over the stack TCP refuses the others at the SYN
// (TcpSocket::set_family); sys_accept4 drops any that still arrive (the
// channel's).
#pragma once

#include <stdint.h>

#include "net/socket/socket_base.hpp"

namespace libos::net {

// The IPv4 form of a 16-byte IPv6 address (or its stand-in), when it has
// one; allocate: give a native peer address a stand-in if it has none.
bool inet6_to_v4(const uint8_t addr[16], uint32_t* ip, bool allocate = true);
// The IPv6 form an AF_INET6 socket shows for an IPv4 address.
void inet6_from_v4(uint32_t ip, uint8_t out[16]);
// Whether ip is the stand-in of ::1.
bool inet6_is_loopback(uint32_t ip);
// Whether ip is an IPv6 peer: ::1 or the stand-in of a native address.
bool inet6_is_native(uint32_t ip);
// The interface index a link-local (fe80::/10) address is scoped to: the
// device, the instance's one interface (sin6_scope_id).
inline constexpr uint32_t kInet6IfIndex = 1;
// Reads the sockaddr_in6 of bind (bind true), connect, or a datagram's
// destination (send true) on an AF_INET6 socket, as Linux's inet6_bind /
// tcp_v6_connect / udpv6 check it: -EINVAL (short, or v4-mapped with
// IPV6_V6ONLY on bind, or a link-local address without a scope id on bind
// and connect), -EFAULT, -EAFNOSUPPORT, -EADDRNOTAVAIL, -ENETUNREACH, -ENODEV
// (bind to a link-local address of another interface). *family is AF_INET6
// or AF_UNSPEC (connect's "dissolve"); *ip is the IPv4 form.
long inet6_get_addr(const SocketFile* s, const void* addr, int addrlen, bool bind, int* family, uint32_t* ip,
                    uint16_t* port, bool send = false);
// The destination of a datagram sendto/sendmsg on an AF_INET6 socket.
long inet6_get_dest(const SocketFile* s, const void* addr, int addrlen, SockMsg* m);
// Writes ip:port as a sockaddr_in6 (a link-local address with its scope
// id), truncated to *addrlen; stores the full length.
void inet6_put_sockaddr(void* addr, int* addrlen, uint32_t ip, uint16_t port);

}  // namespace libos::net

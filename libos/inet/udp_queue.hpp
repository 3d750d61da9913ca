// Internals shared by udp.cpp (the protocol) and udp_socket.cpp (the socket
// API): one queued datagram and the Linux constants the sockets follow.
#pragma once

#include "inet/udp.hpp"
#include "uapi/socket.hpp"

namespace libos::inet {

struct UdpSocket::Datagram {
  Datagram* next;
  uint32_t src;    // network order
  uint16_t sport;  // host order
  size_t len;
  size_t charge;   // bytes counted against SO_RCVBUF
  uint8_t* data() { return reinterpret_cast<uint8_t*>(this + 1); }
};

inline constexpr uint8_t kShutRd = 1, kShutWr = 2;
inline constexpr uint16_t kEphemeralLow = 32768, kEphemeralHigh = 60999;  // ip_local_port_range
inline constexpr size_t kUdpHeader = 8;
inline constexpr size_t kUdpMaxPayload = 65535 - kIpHeader - kUdpHeader;  // 65507
inline constexpr size_t kUdpMaxPayload6 = 65535 - kUdpHeader;            // 65527: to an IPv6 peer
// Linux: net.core.[rw]mem_default and _max; SO_RCVBUF/SO_SNDBUF store twice
// the request, at least SOCK_MIN_RCVBUF / SOCK_MIN_SNDBUF.
inline constexpr int kBufDefault = uapi::SK_RMEM_MAX, kBufMax = uapi::SK_RMEM_MAX;
inline constexpr int kMinRcvbuf = uapi::SOCK_MIN_RCVBUF, kMinSndbuf = uapi::SOCK_MIN_SNDBUF;
// What one queued datagram costs beyond its payload (Linux charges the
// skb's truesize): keeps a flood of tiny datagrams bounded too.
inline constexpr size_t kDatagramOverhead = 256;

}  // namespace libos::inet

// The IPv6 addresses the transports see as 32-bit stand-ins (issue 11 point
// 6). TCP and UDP key their tables and sockets by 32-bit addresses; rather
// than widen every table, each IPv6 address the stack talks to gets a
// stand-in in 240.0.0.0/8 (class E: never a real IPv4 peer, never routed or
// accepted as IPv4, see is_multicast_or_reserved), as ::1 already is carried
// as Stack::kLoopback6Addr. The stack turns stand-ins back into IPv6 headers
// on output (ip6_begin/ip6_commit) and received IPv6 addresses into
// stand-ins on input; the socket glue (libos/net/inet6_addr) does the same
// for sockaddr_in6. The IPv4 hot path only pays one byte compare.
//
// A stand-in is 240.x.y.z in network order, its low 24 bits a 14-bit
// generation above a 10-bit slot of the table; the generation is bumped
// each time the slot is reused, so a stand-in that was evicted is not reused
// for another address until its slot has been reused 16383 times (a socket
// still holding it then just has no route).
// Slots 0 and 1 are ours (link-local and static); the others are peers,
// evicted least recently used, but never while a TCP connection or a
// connected UDP socket holds the stand-in (pinned): the transports' tables
// key connections by stand-in, so a stand-in they hold must name the same
// 128-bit address for as long as they hold it, whatever the generation
// count does (a table full of pinned peers gives a new peer no stand-in:
// no route to it). Each peer slot is also the neighbour cache
// entry (RFC 4861): its MAC, learnt from the peer's packets or a Neighbor
// Advertisement, and one packet held while a Neighbor Solicitation is out.
#pragma once

#include "inet/stack.hpp"

namespace libos::inet {

class Ip6Peers {
 public:
  static constexpr size_t kSlotBits = 10, kSlots = size_t{1} << kSlotBits;
  static constexpr uint16_t kGenerations = 1u << (24 - kSlotBits);
  static constexpr uint8_t kSlotLinkLocal = 0, kSlotStatic = 1;

  struct Peer {
    uint8_t addr[16];
    uint32_t standin;   // network order; 0: free slot
    uint16_t gen;
    bool mac_known;
    uint8_t mac[6];
    uint64_t last_used;
    uint64_t ns_sent;   // when the last solicitation left (kNever: none)
    uint32_t pins;      // TCP connections and connected UDP sockets holding it
    PacketBuf* held;    // one packet waiting for the MAC
  };

  explicit Ip6Peers(Stack& stack);
  ~Ip6Peers();
  Ip6Peers(const Ip6Peers&) = delete;
  Ip6Peers& operator=(const Ip6Peers&) = delete;

  static bool is_standin(uint32_t ip_net) { return (ip_net & 0xffu) == 0xf0u; }
  // The stand-in of addr (ours or a peer's); allocate: give a peer one when
  // it has none (evicting the least recently used). 0: none.
  uint32_t standin_of(const uint8_t addr[16], bool allocate);
  // The entry of a stand-in, nullptr when unknown or evicted.
  Peer* find(uint32_t standin);
  const Peer* find(uint32_t standin) const;
  bool is_ours(uint32_t standin) const;
  // A transport keys a connection by this stand-in (pin) or stopped (unpin);
  // anything not a live peer stand-in is ignored.
  void pin(uint32_t standin);
  void unpin(uint32_t standin);
  uint32_t ours(uint8_t slot) const { return m_peers[slot].standin; }
  // Our global address from SLAAC (ipv6_router.cpp), when no static one was
  // configured: slot kSlotStatic.
  void set_static(const uint8_t addr[16]);
  // A resumed snapshot (Stack::rebind): our link-local address from the
  // stack's new MAC, the static one when configured, every neighbour's MAC
  // and the default router forgotten (stand-ins stay: sockets hold them).
  void rebind();

  // The default router (RFC 4861 6.3.4): the stand-in of its link-local
  // address (pinned while it is the router), 0 when none; until when its
  // advertisement holds; the Router Solicitations sent and the next one due.
  struct Router {
    uint32_t standin = 0;
    uint64_t expires = 0;
    uint8_t solicits = 0;
    uint64_t next_solicit = kNever;
  };
  Router& router() { return m_router; }
  const Router& router() const { return m_router; }

  // Multicast groups the sockets joined (IPV6_JOIN_GROUP), counted: their
  // datagrams are taken (MAC filter, destination), their stand-ins pinned.
  static constexpr size_t kGroups = 32;
  // false: the table is full.
  bool join(const uint8_t group[16]);
  void leave(const uint8_t group[16]);
  bool joined(const uint8_t group[16]) const;
  // Whether a 33:33:xx:xx:xx:xx MAC is a joined group's.
  bool joined_mac(const uint8_t mac[6]) const;

 private:
  void release(Peer& p);
  Stack& m_stack;
  Router m_router;
  struct Group {
    uint8_t addr[16];
    uint32_t refs;  // 0: free
  };
  Group m_groups[kGroups] = {};
  Peer m_peers[kSlots];
  size_t m_last = 0;  // the slot of the last standin_of hit
  // Slots at or past this were never given to a peer: rebind() stops there
  // (each page of m_peers it would touch costs a host fault on a resume).
  size_t m_used_end = kSlotStatic + 1;
  // The slot an address was last found in, by a hash of the address: the
  // usual lookup is one compare, the scan of every slot only on a miss.
  uint16_t m_hint[kSlots] = {};
};

}  // namespace libos::inet

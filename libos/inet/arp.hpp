// ARP (RFC 826) for IPv4 over Ethernet: answers requests for our address,
// keeps a bounded cache of neighbours and holds a small bounded queue of
// packets per next hop while it is being resolved.
//
// Entry life cycle: incomplete (request sent, retried every kRetry, up to
// kTries requests, then the entry and its queued packets are dropped) ->
// reachable (kLifetime after the last confirmation; if the entry was used in
// its last kRefreshLead, requests go out again before it expires, while the
// known MAC stays in use) -> gone. A full cache evicts its oldest entry.
#pragma once

#include "inet/ethernet.hpp"

namespace libos::inet {

class Stack;

class Arp {
 public:
  static constexpr size_t kEntries = 64;
  static constexpr uint64_t kRetry = 1'000'000'000;            // 1 s between requests
  static constexpr uint32_t kTries = 3;
  static constexpr uint64_t kLifetime = 60'000'000'000;        // 60 s reachable
  static constexpr uint64_t kRefreshLead = 5'000'000'000;      // re-request 5 s before expiry
  static constexpr size_t kQueuePackets = 64;                   // per unresolved next hop
  static constexpr size_t kQueueBytes = 128 * 1024;             // per unresolved next hop

  explicit Arp(Stack& stack);
  ~Arp();
  Arp(const Arp&) = delete;
  Arp& operator=(const Arp&) = delete;

  // The ARP packet of a received frame (after the Ethernet header).
  void input(const uint8_t* pkt, size_t len);
  // The MAC of ip (network order) when known; false: unresolved (the caller
  // queues the packet with enqueue()).
  bool lookup(uint32_t ip, uint8_t mac[6]);
  // Takes ownership of a frame for ip whose destination MAC is not filled
  // yet; starts resolution. Dropped (and counted) when the queue is full.
  void enqueue(uint32_t ip, PacketBuf* buf);
  // Gratuitous ARP: announces our address (at start).
  void announce();
  // Forgets every neighbour and drops what waits for one (a resumed
  // snapshot: Stack::rebind).
  void clear();

  uint64_t run_timers();
  uint64_t next_deadline() const;

  // For tests: the state of ip's entry.
  enum class State : uint8_t { free, incomplete, reachable };
  State state_of(uint32_t ip) const;

 private:
  struct Entry {
    uint32_t ip;            // network order
    State state;
    uint8_t mac[6];
    uint32_t tries;         // requests sent in the current round
    uint64_t confirmed;     // when the MAC was last confirmed
    uint64_t expires;       // reachable: end of life
    uint64_t next_request;  // kNever: no request scheduled
    uint64_t last_used;
    PacketBuf* queue;       // incomplete: packets waiting (FIFO)
    PacketBuf* queue_tail;
    size_t queue_packets, queue_bytes;
  };

  Entry* find(uint32_t ip);
  const Entry* find(uint32_t ip) const;
  Entry* allocate(uint32_t ip);
  void release(Entry& e);
  void learn(Entry& e, const uint8_t* mac);
  void flush(Entry& e);
  void send(uint16_t op, const uint8_t* dst_mac, const uint8_t* target_mac, uint32_t target_ip);

  Stack& m_stack;
  Entry m_entries[kEntries] = {};
};

}  // namespace libos::inet

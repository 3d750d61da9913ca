// Reassembly of received fragments, for IPv4 (RFC 791, RFC 815) and IPv6
// (RFC 8200 4.5): the same bookkeeping keyed by addresses and an
// identification, each family with its own instance, timeout and header
// fix-up. Bounded against floods: at most kDatagrams datagrams in progress,
// kBytes of fragment data (each fragment also charged kBufOverhead, so tiny
// fragments cannot pin more memory than big ones), kFragments per datagram,
// the timeout to finish (IPv4 30 s, IPv6 60 s, as Linux's ipfrag_time and
// RFC 8200). When a bound is hit the oldest datagram in progress is dropped.
//
// Overlapping fragments drop the whole datagram (as Linux since 4.19, and
// RFC 5722 for IPv6): overlaps are how fragment attacks hide data, and no
// honest sender produces them; an exact duplicate is ignored. A datagram
// that would exceed the family's maximum or whose fragments disagree about
// its end is dropped too.
#pragma once

#include "inet/ethernet.hpp"

namespace libos::inet {

class Stack;

class Reassembly {
 public:
  static constexpr size_t kDatagrams = 8;
  static constexpr size_t kBytes = 256 * 1024;
  static constexpr size_t kFragments = 128;
  static constexpr uint64_t kTimeout = 30'000'000'000;   // IPv4: 30 s
  static constexpr uint64_t kTimeout6 = 60'000'000'000;  // IPv6: 60 s
  static constexpr size_t kMaxHeader = 40;

  // What identifies a datagram's fragments: IPv4 uses the first 4 bytes of
  // the addresses, a 16-bit id and the protocol; IPv6 all 16 bytes and a
  // 32-bit id (protocol 0).
  struct Key {
    uint8_t src[16], dst[16];
    uint32_t id;
    uint8_t proto;
  };
  // One received fragment: its key, payload offset (a multiple of 8), the
  // "more fragments" flag, its payload, and the header the reassembled
  // datagram gets (kept from the fragment at offset 0).
  struct Fragment {
    Key key;
    size_t off;
    bool more;
    const uint8_t* data;
    size_t len;
    const uint8_t* header;
    size_t header_len;  // at most kMaxHeader
  };

  // max_payload: the longest datagram payload the family allows.
  Reassembly(Stack& stack, uint64_t timeout, size_t max_payload)
      : m_stack(stack), m_timeout(timeout), m_max_payload(max_payload) {}
  ~Reassembly();
  Reassembly(const Reassembly&) = delete;
  Reassembly& operator=(const Reassembly&) = delete;

  // Returns the complete datagram when this fragment finished it: an owned
  // buffer of the offset-0 fragment's header (header_len bytes, for the
  // caller to fix up) followed by the whole payload; the caller frees it.
  PacketBuf* add(const Fragment& f);

  uint64_t run_timers();
  uint64_t next_deadline() const;
  size_t in_progress() const;
  size_t bytes() const { return m_bytes; }

 private:
  struct Frag {
    Frag* next;
    uint32_t off, len;
    uint8_t* data() { return reinterpret_cast<uint8_t*>(this + 1); }
  };
  struct Datagram {
    bool used;
    bool have_first;
    Key key;
    uint32_t end;       // payload length once the last fragment came, else 0
    uint64_t expires;
    Frag* frags;        // sorted by offset, never overlapping
    size_t count, bytes;
    uint8_t header_len;
    uint8_t header[kMaxHeader];  // of the fragment at offset 0
  };

  Datagram* find_or_start(const Key& key);
  void drop(Datagram& d);
  PacketBuf* assemble(Datagram& d);

  Stack& m_stack;
  uint64_t m_timeout;
  size_t m_max_payload;
  Datagram m_dgrams[kDatagrams] = {};
  size_t m_bytes = 0;
};

}  // namespace libos::inet

// Reassembly of received IPv4 fragments (RFC 791, RFC 815), bounded against
// floods: at most kDatagrams datagrams in progress, kBytes of fragment data
// (each fragment also charged kBufOverhead, so tiny fragments cannot pin
// more memory than big ones), kFragments per datagram, kTimeout to finish.
// When a bound is hit the oldest datagram in progress is dropped.
//
// Overlapping fragments drop the whole datagram (as Linux since 4.19 and
// RFC 5722 for IPv6): overlaps are how fragment attacks hide data, and no
// honest sender produces them; an exact duplicate is ignored. A datagram
// that would exceed 65535 bytes or whose fragments disagree about its end is
// dropped too.
#pragma once

#include "inet/ethernet.hpp"

namespace libos::inet {

class Stack;

class Reassembly {
 public:
  static constexpr size_t kDatagrams = 8;
  static constexpr size_t kBytes = 256 * 1024;
  static constexpr size_t kFragments = 128;
  static constexpr uint64_t kTimeout = 30'000'000'000;  // 30 s

  explicit Reassembly(Stack& stack) : m_stack(stack) {}
  ~Reassembly();
  Reassembly(const Reassembly&) = delete;
  Reassembly& operator=(const Reassembly&) = delete;

  // One fragment: pkt is a validated IPv4 packet (header hl bytes, total in
  // all). Returns the complete datagram when this fragment finished it: an
  // owned buffer holding a 20-byte header (options dropped, total length
  // and checksum rewritten) and the payload; the caller frees it.
  PacketBuf* add(const uint8_t* pkt, size_t hl, size_t total);

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
    uint8_t proto;
    uint16_t id;
    uint32_t src, dst;  // network order
    uint32_t end;       // payload length once the last fragment came, else 0
    uint64_t expires;
    Frag* frags;        // sorted by offset, never overlapping
    size_t count, bytes;
    uint8_t header[20];  // of the fragment at offset 0
  };

  Datagram* find_or_start(uint32_t src, uint32_t dst, uint16_t id, uint8_t proto);
  void drop(Datagram& d);
  PacketBuf* assemble(Datagram& d);

  Stack& m_stack;
  Datagram m_dgrams[kDatagrams] = {};
  size_t m_bytes = 0;
};

}  // namespace libos::inet

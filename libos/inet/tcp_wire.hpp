// TCP on the wire: sequence-number arithmetic, the header layout and the
// parsed form of a received segment (tcp_input.cpp fills it, after checking
// every length; nothing else reads raw header bytes).
#pragma once

#include "inet/bytes.hpp"
#include "inet/stack.hpp"

namespace libos::inet {

// Sequence numbers compare modulo 2^32 (RFC 9293 3.4).
inline bool seq_lt(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) < 0; }
inline bool seq_le(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) <= 0; }
inline bool seq_gt(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) > 0; }
inline bool seq_ge(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) >= 0; }
inline uint32_t seq_max(uint32_t a, uint32_t b) { return seq_gt(a, b) ? a : b; }

inline constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10,
                         kUrg = 0x20;
inline constexpr size_t kTcpHeader = 20;
inline constexpr size_t kMaxTcpOptions = 40;
inline constexpr uint8_t kOptEnd = 0, kOptNop = 1, kOptMss = 2, kOptWscale = 3, kOptSackOk = 4,
                         kOptSack = 5, kOptTimestamp = 8;
inline constexpr uint8_t kMaxWscale = 14;       // RFC 7323 2.3
inline constexpr uint16_t kDefaultPeerMss = 536;  // RFC 9293 3.7.1: no MSS option
inline constexpr int kMaxSackBlocks = 4;          // what fits without timestamps


// A received segment after validation. Addresses in network order, the rest
// in host order. data/len is the payload (inside the caller's frame).
struct Segment {
  uint32_t src = 0, dst = 0;
  uint16_t sport = 0, dport = 0;
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;
  uint16_t wnd = 0;  // unscaled, as on the wire
  const uint8_t* data = nullptr;
  uint32_t len = 0;
  // Options (only those we use; the rest were skipped).
  uint16_t mss = 0;       // 0: absent
  int8_t wscale = -1;     // -1: absent
  bool sack_ok = false;
  uint8_t sack_count = 0;
  uint32_t sack[kMaxSackBlocks][2] = {};

  bool has(uint8_t f) const { return (flags & f) != 0; }
  // Sequence space the segment occupies (SYN and FIN count one each).
  uint32_t seq_len() const { return len + (has(kSyn) ? 1 : 0) + (has(kFin) ? 1 : 0); }
};

// Parses and checks a TCP segment (checksum unless the device vouched for
// it, data offset, options). False: malformed, drop it silently.
bool parse_segment(uint32_t src, uint32_t dst, const uint8_t* seg, size_t len, Segment* out,
                   bool verify_checksum = true);

// SipHash-2-4 over four 64-bit words: ISNs (RFC 6528) and SYN cookies.
uint64_t siphash4(const uint64_t key[2], uint64_t a, uint64_t b, uint64_t c, uint64_t d);

}  // namespace libos::inet

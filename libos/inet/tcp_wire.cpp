// Parsing a received TCP segment: every length is checked before a byte is
// read, and a segment whose checksum, data offset or options are wrong is
// dropped (RFC 9293 3.1; RFC 7323 and RFC 2018 for option lengths).
#include "inet/tcp_wire.hpp"

#include "inet/checksum.hpp"

namespace libos::inet {

namespace {

// Options between the fixed header and the data. Unknown kinds are skipped
// by their length; a known kind with the wrong length, or a length running
// past the header, makes the segment malformed.
bool parse_options(const uint8_t* p, size_t n, Segment* s) {
  size_t i = 0;
  while (i < n) {
    uint8_t kind = p[i];
    if (kind == kOptEnd) break;
    if (kind == kOptNop) {
      ++i;
      continue;
    }
    if (i + 1 >= n) return false;
    uint8_t olen = p[i + 1];
    if (olen < 2 || i + olen > n) return false;
    const uint8_t* v = p + i + 2;
    switch (kind) {
      case kOptMss:
        if (olen != 4) return false;
        if (s->has(kSyn)) s->mss = load16(v);  // only meaningful on SYNs
        break;
      case kOptWscale:
        if (olen != 3) return false;
        if (s->has(kSyn)) s->wscale = static_cast<int8_t>(v[0] > kMaxWscale ? kMaxWscale : v[0]);
        break;
      case kOptSackOk:
        if (olen != 2) return false;
        if (s->has(kSyn)) s->sack_ok = true;
        break;
      case kOptSack: {
        if (olen < 10 || (olen - 2) % 8 != 0) return false;
        int blocks = (olen - 2) / 8;
        for (int b = 0; b < blocks && s->sack_count < kMaxSackBlocks; ++b) {
          s->sack[s->sack_count][0] = load32(v + 8 * b);
          s->sack[s->sack_count][1] = load32(v + 8 * b + 4);
          ++s->sack_count;
        }
        break;
      }
      case kOptTimestamp:
        if (olen != 10) return false;
        break;  // we never offer timestamps; a peer's are ignored
      default:
        break;
    }
    i += olen;
  }
  return true;
}

}  // namespace

bool parse_segment(uint32_t src, uint32_t dst, const uint8_t* seg, size_t len, Segment* out,
                   bool verify_checksum) {
  if (len < kTcpHeader || len > 65535) return false;
  if (verify_checksum &&
      csum_fold(csum_add(csum_pseudo(src, dst, kProtoTcp, static_cast<uint16_t>(len)), seg, len)) != 0) {
    return false;
  }
  size_t hlen = static_cast<size_t>(seg[12] >> 4) * 4;
  if (hlen < kTcpHeader || hlen > len) return false;
  Segment& s = *out;
  s.src = src;
  s.dst = dst;
  s.sport = load16(seg);
  s.dport = load16(seg + 2);
  s.seq = load32(seg + 4);
  s.ack = load32(seg + 8);
  s.flags = seg[13] & 0x3f;  // ECE/CWR ignored: we never negotiate ECN
  s.wnd = load16(seg + 14);
  s.data = seg + hlen;
  s.len = static_cast<uint32_t>(len - hlen);
  if (s.sport == 0 || s.dport == 0) return false;
  // Combinations no real stack sends: SYN with FIN or RST (scanner probes).
  if (s.has(kSyn) && (s.flags & (kFin | kRst)) != 0) return false;
  return parse_options(seg + kTcpHeader, hlen - kTcpHeader, &s);
}

// SipHash-2-4 (Aumasson and Bernstein), four 64-bit message words.
uint64_t siphash4(const uint64_t key[2], uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
  uint64_t v0 = key[0] ^ 0x736f6d6570736575ull, v1 = key[1] ^ 0x646f72616e646f6dull;
  uint64_t v2 = key[0] ^ 0x6c7967656e657261ull, v3 = key[1] ^ 0x7465646279746573ull;
  auto rotl = [](uint64_t x, int r) { return (x << r) | (x >> (64 - r)); };
  auto round = [&] {
    v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
    v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
    v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
    v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
  };
  const uint64_t words[5] = {a, b, c, d, uint64_t{32} << 56};  // last: the length block
  for (uint64_t m : words) {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
  v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) round();
  return v0 ^ v1 ^ v2 ^ v3;
}

}  // namespace libos::inet

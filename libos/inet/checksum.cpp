#include "inet/checksum.hpp"

namespace libos::inet {

uint32_t csum_add(uint32_t sum, const void* data, size_t len) {
  // 64-bit accumulation of 32-bit loads; the carries fold at the end. The
  // sum is byte-order independent as long as words are read as stored
  // (RFC 1071 section 2(B)), so the result is already in network order.
  const auto* p = static_cast<const uint8_t*>(data);
  uint64_t acc = sum;
  while (len >= 4) {
    uint32_t w;
    memcpy(&w, p, 4);
    acc += w;
    p += 4;
    len -= 4;
  }
  if (len >= 2) {
    uint16_t w;
    memcpy(&w, p, 2);
    acc += w;
    p += 2;
    len -= 2;
  }
  if (len == 1) acc += *p;  // the odd byte is the high-order byte of a word in network order
  while (acc >> 32) acc = (acc & 0xffffffffu) + (acc >> 32);
  return static_cast<uint32_t>(acc);
}

uint16_t csum_fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffffu) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xffffu);
}

uint32_t csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len) {
  uint64_t acc = uint64_t{src & 0xffffu} + (src >> 16) + (dst & 0xffffu) + (dst >> 16);
  acc += hton16(proto);
  acc += hton16(len);
  while (acc >> 32) acc = (acc & 0xffffffffu) + (acc >> 32);
  return static_cast<uint32_t>(acc);
}

}  // namespace libos::inet

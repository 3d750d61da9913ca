// The Internet checksum (RFC 1071): a one's-complement sum of 16-bit words.
#pragma once

#include "inet/env.hpp"

namespace libos::inet {

// Adds len bytes at data to a partial sum. Pieces may be chained; every piece
// but the last must have an even length.
uint32_t csum_add(uint32_t sum, const void* data, size_t len);
// The checksum field value for a partial sum (folded, complemented).
uint16_t csum_fold(uint32_t sum);
// The TCP/UDP pseudo-header sum; src and dst in network byte order, proto
// and len (the L4 length) in host order.
uint32_t csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);
// Checksum of one buffer (an IPv4 header, an ICMP message): 0 when valid.
inline uint16_t checksum(const void* data, size_t len) { return csum_fold(csum_add(0, data, len)); }

}  // namespace libos::inet

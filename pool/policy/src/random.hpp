// A small seedable generator (xoshiro256**, seeded through splitmix64), so the
// random policies give the same sequence for the same seed on every platform
// (std::uniform_int_distribution is implementation-defined).
#pragma once

#include <stdint.h>

#include "hash.hpp"

namespace shoal::pool::policy {

class Random {
 public:
  explicit Random(uint64_t seed) {
    for (uint64_t& s : m_s) {
      seed += 0x9e3779b97f4a7c15ull;
      s = mix64(seed);
    }
  }

  uint64_t next() {
    uint64_t result = rotl(m_s[1] * 5, 7) * 9;
    uint64_t t = m_s[1] << 17;
    m_s[2] ^= m_s[0];
    m_s[3] ^= m_s[1];
    m_s[1] ^= m_s[2];
    m_s[0] ^= m_s[3];
    m_s[2] ^= t;
    m_s[3] = rotl(m_s[3], 45);
    return result;
  }

  // Uniform in [0, n), n > 0 (Lemire's multiply-shift; the bias is below 2^-32
  // for the small n used here).
  uint64_t below(uint64_t n) { return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64); }

  // Uniform in [0, 1).
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t m_s[4];
};

}  // namespace shoal::pool::policy

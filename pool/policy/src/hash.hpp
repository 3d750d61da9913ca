// Non-cryptographic 64-bit hashing for the key-based balancers.
#pragma once

#include <stdint.h>
#include <string.h>

#include <string_view>

namespace shoal::pool::policy {

// The splitmix64 finalizer: a bijection whose output bits each depend on every
// input bit, so consecutive ids and replica numbers spread over the ring.
inline uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

// Hashes bytes 8 at a time, mixing after each word. Keys come from clients, so
// the seed is part of the state; equal (seed, bytes) always give equal hashes.
inline uint64_t hash_bytes(std::string_view bytes, uint64_t seed) {
  uint64_t h = mix64(seed ^ (bytes.size() * 0x9e3779b97f4a7c15ull));
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t word;
    memcpy(&word, bytes.data() + i, 8);
    h = mix64(h ^ word) + 0x9e3779b97f4a7c15ull;
  }
  uint64_t tail = 0;
  if (i < bytes.size()) memcpy(&tail, bytes.data() + i, bytes.size() - i);
  return mix64(h ^ tail ^ (static_cast<uint64_t>(bytes.size() - i) << 56));
}

}  // namespace shoal::pool::policy

// Pieces shared by the network test programs (httpd, bulk): the deterministic
// byte stream both sides agree on, SHA-256, time and size parsing. Ordinary
// user code: nothing here knows about shoal, so the same static binaries run
// natively (Linux is the oracle) and as unikernels.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace netex {

// The pseudo-random stream /bytes/N and `bulk` send: xorshift64* words,
// little-endian, from a fixed seed. Byte i of the stream does not depend on
// how the stream is cut into chunks, so a receiver can check any split.
class Stream {
 public:
  explicit Stream(uint64_t seed = 1) : m_state(seed ? seed : 1) {}
  void fill(uint8_t* out, size_t n);

 private:
  uint64_t next_word();
  uint64_t m_state;
  uint8_t m_word[8] = {};
  unsigned m_left = 0;  // unread bytes at the end of m_word
};

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t n);
  // Finishes and writes 64 lowercase hex digits and a NUL into hex.
  void hex(char out[65]);

 private:
  void block(const uint8_t* p);
  uint32_t m_h[8];
  uint8_t m_buf[64];
  size_t m_fill = 0;
  uint64_t m_total = 0;
};

double now_seconds();  // CLOCK_MONOTONIC
// "1000", "64K", "50M", "1G" (binary multiples); false if malformed.
bool parse_size(const char* text, uint64_t& out);

}  // namespace netex

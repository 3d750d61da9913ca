#include "core/random.hpp"

#include "arch/x86_64/cpu.hpp"
#include "core/errno.hpp"
#include "core/klib.hpp"
#include "core/uaccess.hpp"
#include "core/syscalls.hpp"
#include "uapi/random.hpp"

namespace libos {

namespace {

// ChaCha20 (RFC 8439) block function state: constants, 256-bit key, counter, nonce.
uint32_t g_state[16];
uint8_t g_block[64];
size_t g_block_used = 64;

inline uint32_t rotl(uint32_t v, int n) { return (v << n) | (v >> (32 - n)); }

inline void quarter(uint32_t* x, int a, int b, int c, int d) {
  x[a] += x[b]; x[d] = rotl(x[d] ^ x[a], 16);
  x[c] += x[d]; x[b] = rotl(x[b] ^ x[c], 12);
  x[a] += x[b]; x[d] = rotl(x[d] ^ x[a], 8);
  x[c] += x[d]; x[b] = rotl(x[b] ^ x[c], 7);
}

void next_block() {
  uint32_t x[16];
  memcpy(x, g_state, sizeof(x));
  for (int round = 0; round < 10; ++round) {
    quarter(x, 0, 4, 8, 12);
    quarter(x, 1, 5, 9, 13);
    quarter(x, 2, 6, 10, 14);
    quarter(x, 3, 7, 11, 15);
    quarter(x, 0, 5, 10, 15);
    quarter(x, 1, 6, 11, 12);
    quarter(x, 2, 7, 8, 13);
    quarter(x, 3, 4, 9, 14);
  }
  for (int i = 0; i < 16; ++i) {
    uint32_t v = x[i] + g_state[i];
    memcpy(&g_block[i * 4], &v, 4);
  }
  if (++g_state[12] == 0) ++g_state[13];
  g_block_used = 0;
}

}  // namespace

void random_init(const uint8_t seed[16], uint64_t tsc) {
  g_state[0] = 0x61707865;
  g_state[1] = 0x3320646e;
  g_state[2] = 0x79622d32;
  g_state[3] = 0x6b206574;
  memcpy(&g_state[4], seed, 16);
  uint64_t now = cpu::rdtsc();
  memcpy(&g_state[8], &tsc, 8);
  memcpy(&g_state[10], &now, 8);
  g_state[12] = g_state[13] = 0;
  g_state[14] = 0x73686f61;  // "shoa"
  g_state[15] = 0x6c726e67;  // "lrng"
  g_block_used = 64;
}

void random_rekey(const uint8_t seed[32], uint64_t tsc) {
  // The new key: the stream's next 32 bytes XOR the host's fresh ones, so
  // two instances of one snapshot differ as long as the host's bytes do,
  // and a zero seed (a broken monitor) still leaves the old key's secrecy.
  uint8_t key[32];
  random_bytes(key, sizeof key);
  for (size_t i = 0; i < sizeof key; ++i) key[i] ^= seed[i];
  memcpy(&g_state[4], key, sizeof key);
  memset(key, 0, sizeof key);
  g_state[12] = g_state[13] = 0;
  // The nonce: the TSC of this VM, as random_init mixes the boot's.
  memcpy(&g_state[14], &tsc, 8);
  g_block_used = 64;
  memset(g_block, 0, sizeof g_block);
}

void random_bytes(void* buf, size_t len) {
  auto* out = static_cast<uint8_t*>(buf);
  while (len > 0) {
    if (g_block_used == 64) next_block();
    size_t n = 64 - g_block_used;
    if (n > len) n = len;
    memcpy(out, &g_block[g_block_used], n);
    // Forward secrecy is not a goal here; do not hand the same bytes twice.
    memset(&g_block[g_block_used], 0, n);
    g_block_used += n;
    out += n;
    len -= n;
  }
}

}  // namespace libos

long sys_getrandom(void* buf, size_t len, unsigned flags) {
  using namespace libos::uapi;
  if ((flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)) != 0) return -libos::EINVAL;
  if ((flags & (GRND_RANDOM | GRND_INSECURE)) == (GRND_RANDOM | GRND_INSECURE)) return -libos::EINVAL;
  if (len > 0x1ffffff) len = 0x1ffffff;             // Linux caps one call at 32 MiB - 1
  if (len == 0) return 0;
  if (!libos::user_writable(buf, len)) return -libos::EFAULT;
  // The pool is seeded at boot, so this never blocks (GRND_NONBLOCK is moot).
  libos::random_bytes(buf, len);
  return static_cast<long>(len);
}

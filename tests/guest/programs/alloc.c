// 256 MiB of allocations, freed and reused: large blocks (mmap'd by glibc),
// small ones (brk), calloc zeroing and realloc growth, contents checked.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t fill(unsigned char* p, size_t n, unsigned seed) {
  uint64_t sum = 0;
  for (size_t i = 0; i < n; i += 4096) { p[i] = (unsigned char)(seed + i / 4096); sum += p[i]; }
  return sum;
}

int main(void) {
  const size_t block = 4u << 20;  // 4 MiB: served by mmap
  uint64_t total = 0, checksum = 0;
  for (int round = 0; round < 4; ++round) {
    unsigned char* blocks[16];
    for (int i = 0; i < 16; ++i) {
      blocks[i] = malloc(block);
      if (!blocks[i]) { printf("malloc failed in round %d\n", round); return 1; }
      checksum += fill(blocks[i], block, round * 16 + i);
      total += block;
    }
    for (int i = 0; i < 16; ++i) {
      if (blocks[i][0] != (unsigned char)(round * 16 + i)) { puts("corrupted"); return 1; }
      free(blocks[i]);
    }
  }
  // Freed memory handed out again by calloc must be zero.
  for (int i = 0; i < 8; ++i) {
    unsigned char* z = calloc(1, block);
    for (size_t j = 0; j < block; j += 512)
      if (z[j]) { printf("calloc memory not zero at %zu\n", j); return 1; }
    memset(z, 0xab, block);
    free(z);
  }
  // Many small allocations (brk heap) and realloc growth.
  char** small = malloc(100000 * sizeof(char*));
  for (int i = 0; i < 100000; ++i) { small[i] = malloc(16 + i % 200); small[i][0] = (char)i; }
  for (int i = 0; i < 100000; ++i) { if (small[i][0] != (char)i) { puts("small corrupted"); return 1; } free(small[i]); }
  free(small);
  char* r = NULL;
  for (size_t n = 1; n <= (64u << 20); n *= 2) { r = realloc(r, n); r[n - 1] = 'x'; }
  free(r);
  printf("allocated %llu MiB in large blocks, checksum %llu\n",
         (unsigned long long)(total >> 20), (unsigned long long)checksum);
  return 0;
}

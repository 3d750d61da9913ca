// Reads stdin into fresh anonymous mappings and unmaps them, checking that
// every new mapping reads as zero: the monitor writes console input into the
// buffer's frame itself, so the LibOS must count those pages as written when
// it keeps the frame for later mappings (libos/mm/window.cpp, note_written).
// Some buffers are made read-only before the munmap.
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void) {
  int dirty = 0;
  long total = 0;
  for (int r = 0; r < 24; ++r) {
    size_t len = (size_t)(r % 3 + 2) * 4096;
    unsigned char* p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 1;
    for (size_t i = 0; i < len; ++i) {
      if (p[i] != 0) {
        ++dirty;
        break;
      }
    }
    long n = 0, got;
    while (n < 4096 && (got = read(0, p + 4096 + n, 4096 - n)) > 0) n += got;
    total += n;
    if (r % 2) mprotect(p, len, PROT_READ);
    munmap(p, len);
  }
  printf("read %ld bytes, mappings not zero: %d\n", total, dirty);
  return dirty != 0;
}

// Programs that end badly, one per argv[1]; the test checks shoal's report and status.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

[[gnu::noinline]] void crash_null_write(volatile int* p) { *p = 42; }

[[gnu::noinline]] int crash_recurse(int depth) {
  volatile char frame[512];
  frame[0] = (char)depth;
  return crash_recurse(depth + 1) + frame[0];
}

[[gnu::noinline]] void crash_spin(void) {
  for (volatile unsigned long i = 0;; ++i) {}
}

[[gnu::noinline]] int crash_divide(volatile int d) { return 100 / d; }

// Hands the monitor a console_write hypercall whose buffer lies outside guest memory.
[[gnu::noinline]] void crash_bad_hypercall(void) {
  static struct { uint32_t fd, pad; uint64_t buf, len; int64_t result; } args;
  args.fd = 1;
  args.buf = 0x7fff00000000ull;
  args.len = 4096;
  uint32_t addr = (uint32_t)(uintptr_t)&args;
  __asm__ volatile("outl %0, %1" : : "a"(addr), "Nd"((uint16_t)0x501) : "memory");
  puts("the monitor accepted a bad pointer");
}

int main(int argc, char** argv) {
  const char* what = argc > 1 ? argv[1] : "null";
  printf("about to crash: %s\n", what);
  fflush(stdout);
  if (!strcmp(what, "null")) crash_null_write(NULL);
  else if (!strcmp(what, "stack")) return crash_recurse(0);
  else if (!strcmp(what, "abort")) abort();
  else if (!strcmp(what, "loop")) crash_spin();
  else if (!strcmp(what, "ud")) __builtin_trap();
  else if (!strcmp(what, "divide")) return crash_divide(0);
  else if (!strcmp(what, "hypercall")) crash_bad_hypercall();
  puts("still alive");
  return 0;
}

// Page protections in the heap area (issue 11 point 7): the program break
// and mappings placed with MAP_FIXED inside it hold their rights as every
// other mapping does. A write to a PROT_READ brk page, a touch of a
// PROT_NONE guard mapped over malloc'd memory and a call into a page whose
// execute right was taken away are caught by the program's SIGSEGV handler
// (SEGV_ACCERR, si_addr where it happened); a system call writing there gets
// EFAULT; freed and grown again, the break is plain read-write memory.
// libc: glibc musl
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

#include "compat.h"

static sigjmp_buf g_back;
static volatile char* g_base;
static volatile int g_code;
static volatile long g_offset;

static void on_segv(int sig, siginfo_t* info, void* ctx) {
  (void)sig, (void)ctx;
  g_code = info->si_code;
  g_offset = (char*)info->si_addr - (char*)g_base;
  siglongjmp(g_back, 1);
}

static void catch_segv(void) {
  struct sigaction sa = {0};
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGSEGV, &sa, NULL);
}

static const char* code_name(int code) {
  return code == SEGV_ACCERR ? "SEGV_ACCERR" : code == SEGV_MAPERR ? "SEGV_MAPERR" : "other";
}

// Writes p[offset] under the handler and prints what happened (offsets are
// from base, so that nothing printed depends on an address).
static void try_write(const char* what, volatile char* base, volatile char* p, long offset) {
  g_base = base;
  if (sigsetjmp(g_back, 1) == 0) {
    p[offset] = 9;
    printf("%s: not caught\n", what);
  } else {
    printf("%s: caught, %s, offset %ld\n", what, code_name(g_code), g_offset);
  }
}

static void try_read(const char* what, volatile char* base, volatile char* p, long offset) {
  g_base = base;
  if (sigsetjmp(g_back, 1) == 0) {
    int v = p[offset];
    printf("%s: read %d, not caught\n", what, v);
  } else {
    printf("%s: caught, %s, offset %ld\n", what, code_name(g_code), g_offset);
  }
}

// n fresh pages at the program break, page-aligned.
static char* brk_pages(long n) {
  uintptr_t cur = (uintptr_t)sbrk(0);
  uintptr_t pad = ((cur + 4095) & ~(uintptr_t)4095) - cur;
  char* p = sbrk((intptr_t)(pad + n * 4096));
  if (p == (char*)-1) return NULL;
  return p + pad;
}

CASE(heap_brk_read_caught)
// covers: brk mprotect rt_sigaction read
{
  catch_segv();
  char* p = brk_pages(4);
  if (p == NULL) {
    printf("sbrk failed\n");
    return;
  }
  p[4096 + 10] = 1;
  SHOW(mprotect(p + 4096, 4096, PROT_READ));
  try_write("write to the PROT_READ brk page", p, p, 4096 + 10);
  printf("value still %d\n", p[4096 + 10]);
  // The pages around it kept their rights.
  p[0] = 2, p[2 * 4096] = 3;
  printf("neighbours %d %d\n", p[0], p[2 * 4096]);
  // The kernel does not write there either.
  int fds[2];
  pipe(fds);
  write(fds[1], "abc", 3);
  SHOW(read(fds[0], p + 4096, 3));
  close(fds[0]), close(fds[1]);
  SHOW(mprotect(p + 4096, 4096, PROT_READ | PROT_WRITE));
  p[4096 + 10] = 4;
  printf("writable again %d\n", p[4096 + 10]);
  // Protected, then given back and taken again: plain zeroed memory.
  SHOW(mprotect(p + 3 * 4096, 4096, PROT_NONE));
  try_read("read of the PROT_NONE brk page", p, p, 3 * 4096);
  char* end = sbrk(0);
  sbrk(-(end - (p + 2 * 4096)));
  char* again = sbrk(2 * 4096);
  printf("break moved back: %s\n", again == p + 2 * 4096 ? "yes" : "no");
  p[3 * 4096 + 5] = 7;
  printf("grown again: %d %d\n", p[3 * 4096 + 5], p[3 * 4096 + 6]);
  // As Linux, mprotect of unmapped heap space fails.
  SHOW(mprotect(p + 16 * 4096, 4096, PROT_READ));
}

CASE(heap_fixed_guard_in_malloc)
// covers: mmap mprotect rt_sigaction read
{
  // A guard page placed with MAP_FIXED over memory malloc handed out (the
  // program break with glibc's malloc, a mapping with musl's).
  catch_segv();
  char* m = malloc(96 << 10);
  char* p = (char*)(((uintptr_t)m + 4095) & ~(uintptr_t)4095);
  memset(p, 1, 8 * 4096);
  char* guard = mmap(p + 4 * 4096, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  printf("guard placed: %s\n", guard == p + 4 * 4096 ? "yes" : "no");
  try_write("write to the guard", p, p, 4 * 4096 + 100);
  try_read("read of the guard", p, p, 4 * 4096 + 4095);
  printf("below and above %d %d\n", p[4 * 4096 - 1], p[5 * 4096]);
  int fds[2];
  pipe(fds);
  write(fds[1], "abc", 3);
  SHOW(read(fds[0], p + 4 * 4096, 3));
  SHOW(write(fds[1], p + 4 * 4096, 3));
  close(fds[0]), close(fds[1]);
  // Mapped again read-write over the guard: fresh zero page.
  char* back = mmap(p + 4 * 4096, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  printf("remapped: %s, reads %d\n", back == p + 4 * 4096 ? "yes" : "no", p[4 * 4096 + 100]);
  p[4 * 4096 + 100] = 5;
  printf("writable %d\n", p[4 * 4096 + 100]);
}

typedef int (*IntFn)(void);

static void try_call(const char* what, char* base, char* code) {
  g_base = base;
  if (sigsetjmp(g_back, 1) == 0) {
    int v = ((IntFn)code)();
    printf("%s: returned %d\n", what, v);
  } else {
    printf("%s: caught, %s, offset %ld\n", what, code_name(g_code), g_offset);
  }
}

CASE(heap_jit_wx_flip)
// covers: brk mprotect rt_sigaction
{
  // A JIT's W^X discipline on a heap page: write code while read-write,
  // flip to read-execute to run it, back to read-write to patch it.
  catch_segv();
  char* p = brk_pages(2);
  if (p == NULL) {
    printf("sbrk failed\n");
    return;
  }
  static const unsigned char ret42[] = {0xb8, 42, 0, 0, 0, 0xc3};  // mov $42, %eax; ret
  static const unsigned char ret7[] = {0xb8, 7, 0, 0, 0, 0xc3};    // mov $7, %eax; ret
  SHOW(mprotect(p, 4096, PROT_READ | PROT_WRITE));
  memcpy(p, ret42, sizeof ret42);
  try_call("call while read-write", p, p);
  SHOW(mprotect(p, 4096, PROT_READ | PROT_EXEC));
  try_call("call while read-execute", p, p);
  try_write("patch while read-execute", p, p, 1);
  SHOW(mprotect(p, 4096, PROT_READ | PROT_WRITE));
  memcpy(p, ret7, sizeof ret7);
  SHOW(mprotect(p, 4096, PROT_READ | PROT_EXEC));
  try_call("call after the patch", p, p);
  // The next page kept the heap's rights.
  p[4096] = 1;
  printf("next page %d\n", p[4096]);
}

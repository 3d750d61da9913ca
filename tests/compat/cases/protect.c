// Page protections with a handler (issue 11 points 2 and 7): a write to a
// PROT_READ page is caught by the program's SIGSEGV handler (si_code
// SEGV_ACCERR, si_addr the address written), which siglongjmps out; the page
// kept its contents, and made writable again it takes the write.
// libc: glibc musl
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

#include "compat.h"

static sigjmp_buf g_back;
static volatile char* g_page;
static volatile int g_code;
static volatile long g_offset;

static void on_segv(int sig, siginfo_t* info, void* ctx) {
  (void)sig, (void)ctx;
  g_code = info->si_code;
  g_offset = (char*)info->si_addr - (char*)g_page;
  siglongjmp(g_back, 1);
}

CASE(protect_read_caught)
// covers: mprotect rt_sigaction
{
  struct sigaction sa = {0};
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, NULL);
  char* p = mmap(NULL, 1 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  g_page = p;
  SHOW(mprotect(p, 8192, PROT_READ | PROT_WRITE));
  p[100] = 1;
  SHOW(mprotect(p, 4096, PROT_READ));
  if (sigsetjmp(g_back, 1) == 0) {
    g_page[100] = 2;
    printf("not caught\n");
  } else {
    printf("caught: si_code %s, offset %ld, value still %d\n", g_code == SEGV_ACCERR ? "SEGV_ACCERR" : "other",
           g_offset, p[100]);
  }
  // The handler ran; after making the page writable again the write works.
  SHOW(mprotect(p, 4096, PROT_READ | PROT_WRITE));
  p[100] = 3;
  printf("value %d\n", p[100]);
}

// Protections of ordinary mappings (issue 11 point 2): mappings that did not
// begin as PROT_NONE reservations hold their rights too.

// Runs touch(p) under the handler and prints what happened.
static void try_write(const char* what, volatile char* p, long offset) {
  g_page = p;
  if (sigsetjmp(g_back, 1) == 0) {
    p[offset] = 9;
    printf("%s: not caught\n", what);
  } else {
    printf("%s: caught, si_code %s, offset %ld\n", what,
           g_code == SEGV_ACCERR ? "SEGV_ACCERR" : g_code == SEGV_MAPERR ? "SEGV_MAPERR" : "other", g_offset);
  }
}

static void catch_segv(void) {
  struct sigaction sa = {0};
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGSEGV, &sa, NULL);
}

CASE(protect_rw_then_read)
// covers: mmap mprotect rt_sigaction
{
  catch_segv();
  char* p = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  p[4096 + 10] = 1;
  SHOW(mprotect(p + 4096, 4096, PROT_READ));
  try_write("write to the PROT_READ page", p + 4096, 10);
  printf("value still %d\n", p[4096 + 10]);
  // The pages around it kept their rights.
  p[0] = 2, p[2 * 4096] = 3;
  printf("neighbours %d %d\n", p[0], p[2 * 4096]);
  SHOW(mprotect(p + 4096, 4096, PROT_READ | PROT_WRITE));
  p[4096 + 10] = 4;
  printf("writable again %d\n", p[4096 + 10]);
}

CASE(protect_guard_in_rw_mapping)
// covers: mmap mprotect rt_sigaction
{
  // A thread stack made the other way round: mapped read-write, then its
  // lowest page made PROT_NONE as a guard.
  catch_segv();
  char* p = mmap(NULL, 64 << 10, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  SHOW(mprotect(p, 4096, PROT_NONE));
  p[4096] = 1;
  printf("above the guard %d\n", p[4096]);
  try_write("write to the guard page", p, 4095);
  try_write("write above it", p, 4096);
}

CASE(protect_mmap_read_only)
// covers: mmap rt_sigaction
{
  catch_segv();
  char* p = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("reads %d\n", p[100]);
  try_write("write to a PROT_READ mapping", p, 100);
  try_write("write to its second page", p, 4096 + 1);
}

CASE(protect_unmapped_page)
// covers: mmap munmap rt_sigaction
{
  // A page unmapped from the middle of a mapping is gone, not zeroed memory.
  catch_segv();
  char* p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  p[4096] = 1;
  SHOW(munmap(p + 4096, 4096));
  try_write("write to the unmapped page", p + 4096, 0);
  p[0] = 5, p[2 * 4096] = 6;
  printf("neighbours %d %d\n", p[0], p[2 * 4096]);
}

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

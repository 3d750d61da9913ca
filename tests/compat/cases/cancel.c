// A signal that interrupts a blocking system call (issue 11, point 8): the
// handler sees the program counter where Linux puts it — at the `syscall`
// instruction when the call will restart (SA_RESTART), just after it with
// rax = -EINTR otherwise — so musl's thread cancellation, which checks that
// address against its cancellable range, cancels a thread blocked in read().
// Built with glibc and musl (compat_cancel_musl), and run both with rewritten
// system-call sites and with --no-rewrite (compat.cancel_norewrite*).
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <ucontext.h>

#include "compat.h"

static int g_pipe[2];
static volatile int g_cleanup;

static void cleanup(void* arg) {
  (void)arg;
  g_cleanup = 1;
}

static void* reader(void* arg) {
  (void)arg;
  char c;
  pthread_cleanup_push(cleanup, NULL);
  ssize_t n = read(g_pipe[0], &c, 1);  // blocks: nothing is ever written
  printf("read returned %zd (not cancelled)\n", n);
  pthread_cleanup_pop(0);
  return NULL;
}

static void sleep_ms(int ms) {
  struct timespec ts = {0, ms * 1000000L};
  nanosleep(&ts, NULL);
}

CASE(cancel_thread_blocked_in_read)
// covers: read tgkill clone
{
  SHOW(pipe(g_pipe));
  pthread_t t;
  SHOW(pthread_create(&t, NULL, reader, NULL));
  sleep_ms(20);  // let it block in read
  SHOW(pthread_cancel(t));
  void* res = NULL;
  SHOW(pthread_join(t, &res));
  printf("cancelled %d cleanup ran %d\n", res == PTHREAD_CANCELED, g_cleanup);
}

// A read(2) of our own, with labels at its `syscall` instruction and after
// it (under shoal the site is rewritten: the labels are where the program
// counter must point all the same). Returns rax: the count or -errno.
// No symbol marks the `syscall` itself, so the rewriter may displace it with
// the `mov` (5 bytes) before it.
__asm__(".text\n.globl raw_read\nraw_read:\n movl $0, %eax\n syscall\n ret\n");
long raw_read(int fd, void* buf, size_t n);
#define raw_read_sc ((char*)raw_read + 5)
#define raw_read_after ((char*)raw_read + 7)

// The interrupted call's program counter and rax, as the handler sees them.
static volatile long g_rax;
static volatile int g_at_syscall, g_after_syscall;

static void look(int sig, siginfo_t* si, void* ucv) {
  (void)sig;
  (void)si;
  ucontext_t* uc = ucv;
  char* pc = (char*)uc->uc_mcontext.gregs[REG_RIP];
  g_rax = uc->uc_mcontext.gregs[REG_RAX];
  g_at_syscall = pc == raw_read_sc;
  g_after_syscall = pc == raw_read_after;
}

static void* poker(void* arg) {
  sleep_ms(20);
  pthread_kill(*(pthread_t*)arg, SIGUSR1);
  sleep_ms(20);
  char c = 'x';
  write(g_pipe[1], &c, 1);
  return NULL;
}

static void interrupted_read(int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = look;
  sa.sa_flags = SA_SIGINFO | flags;
  sigaction(SIGUSR1, &sa, NULL);
  pipe(g_pipe);
  pthread_t self = pthread_self(), t;
  pthread_create(&t, NULL, poker, &self);
  char c;
  long n = raw_read(g_pipe[0], &c, 1);
  pthread_join(t, NULL);
  printf("read = %ld%s%s\n", n, n < 0 ? " " : "", n < 0 ? errname((int)-n) : "");
  printf("handler: pc at syscall %d, pc after syscall %d, rax %s\n", g_at_syscall, g_after_syscall,
         g_rax == -EINTR ? "-EINTR" : g_rax == SYS_read ? "SYS_read" : "other");
}

CASE(interrupted_read_pc_restart)
// covers: read rt_sigaction tgkill
{
  interrupted_read(SA_RESTART);
}

CASE(interrupted_read_pc_eintr)
// covers: read rt_sigaction tgkill
{
  interrupted_read(0);
}

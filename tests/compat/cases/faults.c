// Synchronous faults reach the program's handlers (issue 11, point 2): a
// SIGSEGV, SIGFPE, SIGILL, SIGBUS or SIGTRAP raised by the CPU is delivered
// with Linux's siginfo and a ucontext whose registers the handler may change,
// on the alternate stack when asked, with SA_NODEFER/SA_RESETHAND honoured;
// and kills (status 128 + signal) when the action is the default or the
// signal is blocked. Also built with musl (compat_faults_musl).
#include <setjmp.h>
#include <signal.h>
#include <sys/resource.h>
#include <ucontext.h>

#include "compat.h"

// Each faulting instruction has a label before it (*_at) and after it
// (*_next), so a handler can name the address and resume past it. The
// functions return eax, which a handler may set through the ucontext.
__asm__(
    ".text\n"
    ".globl f_read\n f_read:\n movl $7, %eax\n"
    ".globl f_read_at\n f_read_at:\n movl (%rdi), %eax\n"
    ".globl f_read_next\n f_read_next:\n ret\n"
    ".globl f_write\n f_write:\n movl $7, %eax\n"
    ".globl f_write_at\n f_write_at:\n movl $1, (%rdi)\n"
    ".globl f_write_next\n f_write_next:\n ret\n"
    ".globl f_div\n f_div:\n movl $100, %eax\n xorl %edx, %edx\n"
    ".globl f_div_at\n f_div_at:\n divl %edi\n"
    ".globl f_div_next\n f_div_next:\n ret\n"
    ".globl f_ud2\n f_ud2:\n movl $5, %eax\n"
    ".globl f_ud2_at\n f_ud2_at:\n ud2\n"
    ".globl f_ud2_next\n f_ud2_next:\n ret\n"
    ".globl f_int3\n f_int3:\n movl $3, %eax\n"
    ".globl f_int3_at\n f_int3_at:\n int3\n"
    ".globl f_int3_next\n f_int3_next:\n ret\n"
    // #SS: a push through a non-canonical stack pointer (SIGBUS on Linux).
    ".globl f_badstack\n f_badstack:\n mov %rsp, %rax\n movabs $0x8000000000000000, %rsp\n"
    ".globl f_badstack_at\n f_badstack_at:\n pushq $0\n mov %rax, %rsp\n ret\n");
int f_read(const volatile int* p);
int f_write(volatile int* p);
int f_div(unsigned d);
int f_ud2(void);
int f_int3(void);
void f_badstack(void);
extern char f_read_at[], f_read_next[], f_write_at[], f_write_next[], f_div_at[], f_div_next[], f_ud2_at[],
    f_ud2_next[], f_int3_at[], f_int3_next[], f_badstack_at[];

static volatile int g_hits, g_code, g_signo, g_addr_ok, g_rip_ok, g_blocked_in, g_on_alt, g_depth, g_max_depth;
static volatile uintptr_t g_expect_addr;
static char* volatile g_expect_rip;
static char* volatile g_resume;
static volatile int g_set_rax = -1;
static char g_alt[1 << 16];
static sigjmp_buf g_jump;

static void note(int sig, siginfo_t* si, void* ucv) {
  ucontext_t* uc = ucv;
  g_hits++;
  g_signo = si->si_signo == sig ? sig : -1;
  g_code = si->si_code;
  g_addr_ok = (uintptr_t)si->si_addr == g_expect_addr;
  g_rip_ok = (char*)uc->uc_mcontext.gregs[REG_RIP] == g_expect_rip;
  sigset_t cur;
  sigprocmask(SIG_BLOCK, NULL, &cur);
  g_blocked_in = sigismember(&cur, sig);
  char here;
  g_on_alt = &here >= g_alt && &here < g_alt + sizeof g_alt;
}

// Records, then resumes where g_resume says (with eax = g_set_rax if set).
static void skip_handler(int sig, siginfo_t* si, void* ucv) {
  ucontext_t* uc = ucv;
  note(sig, si, ucv);
  if (g_resume) uc->uc_mcontext.gregs[REG_RIP] = (greg_t)g_resume;
  if (g_set_rax >= 0) uc->uc_mcontext.gregs[REG_RAX] = g_set_rax;
}

static void jump_handler(int sig, siginfo_t* si, void* ucv) {
  note(sig, si, ucv);
  siglongjmp(g_jump, 1);
}

static void install(int sig, void (*fn)(int, siginfo_t*, void*), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = fn;
  sa.sa_flags = SA_SIGINFO | flags;
  sigemptyset(&sa.sa_mask);
  if (sigaction(sig, &sa, NULL) != 0) printf("sigaction %d failed\n", sig);
}

static void report(const char* what) {
  printf("%s: hits %d signo %d code %d addr_ok %d rip_ok %d blocked_in_handler %d on_alt %d\n", what, g_hits,
         g_signo, g_code, g_addr_ok, g_rip_ok, g_blocked_in, g_on_alt);
  fflush(stdout);
  g_hits = 0;
}

CASE(segv_null_siglongjmp)
// covers: rt_sigaction rt_sigreturn
{
  install(SIGSEGV, jump_handler, 0);
  g_expect_addr = 0x10;
  g_expect_rip = f_read_at;
  if (sigsetjmp(g_jump, 1) == 0) {
    printf("read = %d\n", f_read((const int*)0x10));
    printf("not reached\n");
  }
  report("null read");
  sigset_t cur;
  sigprocmask(SIG_BLOCK, NULL, &cur);
  printf("SIGSEGV blocked after siglongjmp %d\n", sigismember(&cur, SIGSEGV));
  // Again: the handler's mask was restored, so a second fault is delivered too.
  g_expect_addr = 0x20;
  g_expect_rip = f_write_at;
  if (sigsetjmp(g_jump, 1) == 0) f_write((int*)0x20);
  report("null write");
}

CASE(segv_skip_instruction)
// covers: rt_sigaction rt_sigreturn
{
  install(SIGSEGV, skip_handler, 0);
  g_expect_addr = 0x30;
  g_expect_rip = f_read_at;
  g_resume = f_read_next;
  g_set_rax = 42;
  int v = f_read((const int*)0x30);
  report("skipped read");
  printf("read returned %d (the handler's rax)\n", v);
  g_set_rax = -1;
  v = f_read((const int*)0x30);
  printf("read returned %d (rax as at the fault)\n", v);
  // Registers the handler does not touch survive: a loop around the fault.
  int sum = 0;
  for (int i = 0; i < 5; i++) sum += i * 3 + f_read((const int*)0x40) - 7;
  printf("loop sum %d hits %d\n", sum, g_hits);
  g_hits = 0;
}

CASE(fpe_divide_by_zero)
// covers: rt_sigaction rt_sigreturn
{
  install(SIGFPE, skip_handler, 0);
  g_expect_addr = (uintptr_t)f_div_at;
  g_expect_rip = f_div_at;
  g_resume = f_div_next;
  g_set_rax = 9;
  printf("100 / 4 = %d\n", f_div(4));
  printf("100 / 0 = %d (from the handler)\n", f_div(0));
  report("divide");
  printf("FPE_INTDIV %d\n", g_code == FPE_INTDIV);
}

CASE(ill_ud2)
// covers: rt_sigaction rt_sigreturn
{
  install(SIGILL, skip_handler, 0);
  g_expect_addr = (uintptr_t)f_ud2_at;
  g_expect_rip = f_ud2_at;
  g_resume = f_ud2_next;
  g_set_rax = -1;
  printf("ud2 skipped, returned %d\n", f_ud2());
  report("ud2");
  printf("ILL_ILLOPN %d\n", g_code == ILL_ILLOPN);
}

CASE(trap_int3)
// covers: rt_sigaction rt_sigreturn
{
  install(SIGTRAP, skip_handler, 0);
  g_expect_addr = 0;
  g_expect_rip = f_int3_next;  // a trap: rip is past the int3 already
  g_resume = NULL;
  g_set_rax = 33;
  printf("int3 returned %d\n", f_int3());
  report("int3");
  printf("SI_KERNEL %d\n", g_code == SI_KERNEL);
}

CASE(bus_stack_segment)
// covers: rt_sigaction sigaltstack rt_sigreturn
{
  stack_t ss = {.ss_sp = g_alt, .ss_size = sizeof g_alt, .ss_flags = 0};
  SHOW(sigaltstack(&ss, NULL));
  install(SIGBUS, jump_handler, SA_ONSTACK);
  g_expect_addr = 0;
  g_expect_rip = f_badstack_at;
  if (sigsetjmp(g_jump, 1) == 0) f_badstack();
  report("non-canonical push");
}

#pragma GCC diagnostic ignored "-Winfinite-recursion"
static int recurse(int n) {
  volatile char pad[256];
  pad[0] = (char)n;
  return recurse(n + 1) + pad[0];
}

CASE(segv_stack_overflow_altstack)
// covers: rt_sigaction sigaltstack rt_sigreturn setrlimit
{
  // Natively the main stack would grow to RLIMIT_STACK; bound it.
  struct rlimit rl = {4 << 20, 4 << 20};
  setrlimit(RLIMIT_STACK, &rl);
  stack_t ss = {.ss_sp = g_alt, .ss_size = sizeof g_alt, .ss_flags = 0};
  SHOW(sigaltstack(&ss, NULL));
  install(SIGSEGV, jump_handler, SA_ONSTACK);
  g_expect_addr = 1;  // not checked: the address is somewhere below the stack
  g_expect_rip = NULL;
  if (sigsetjmp(g_jump, 1) == 0) printf("%d\n", recurse(0));
  printf("overflow caught: hits %d signo %d on_alt %d code %d\n", g_hits, g_signo, g_on_alt, g_code);
  g_hits = 0;
}

static void nested_handler(int sig, siginfo_t* si, void* ucv) {
  ucontext_t* uc = ucv;
  int depth = ++g_depth;
  if (depth > g_max_depth) g_max_depth = depth;
  // Fault once more from inside the handler: delivered only with SA_NODEFER.
  if (depth == 1) f_read((const int*)0x50);
  g_depth--;
  (void)si;
  (void)sig;
  uc->uc_mcontext.gregs[REG_RIP] = (greg_t)f_read_next;
}

CASE(segv_nodefer_nested)
// covers: rt_sigaction rt_sigreturn
{
  install(SIGSEGV, nested_handler, SA_NODEFER);
  f_read((const int*)0x60);
  printf("nested faults handled, max depth %d\n", g_max_depth);
}

CASE(segv_in_handler_kills)
// covers: rt_sigaction
{
  // Without SA_NODEFER the second fault finds SIGSEGV blocked: Linux kills.
  install(SIGSEGV, nested_handler, 0);
  printf("faulting in the handler\n");
  fflush(stdout);
  f_read((const int*)0x60);
  printf("not reached\n");
}

CASE(ill_resethand)
// covers: rt_sigaction rt_sigreturn
{
  install(SIGILL, skip_handler, SA_RESETHAND);
  g_expect_addr = (uintptr_t)f_ud2_at;
  g_expect_rip = f_ud2_at;
  g_resume = f_ud2_next;
  g_set_rax = -1;
  f_ud2();
  report("first ud2");
  struct sigaction now;
  sigaction(SIGILL, NULL, &now);
  printf("action reset to default %d\n", now.sa_handler == SIG_DFL);
  fflush(stdout);
  f_ud2();  // the default action now: killed by SIGILL (status 132)
  printf("not reached\n");
}

CASE(segv_blocked_kills)
// covers: rt_sigaction rt_sigprocmask
{
  install(SIGSEGV, skip_handler, 0);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGSEGV);
  sigprocmask(SIG_BLOCK, &set, NULL);
  printf("faulting with SIGSEGV blocked\n");
  fflush(stdout);
  f_read((const int*)0x70);
  printf("not reached\n");
}

CASE(segv_ignored_kills)
// covers: rt_sigaction
{
  // An ignored fault signal is not ignorable: Linux restores the default.
  install(SIGFPE, skip_handler, 0);  // registers the upcall under shoal
  signal(SIGSEGV, SIG_IGN);
  printf("faulting with SIGSEGV ignored\n");
  fflush(stdout);
  f_read((const int*)0x70);
  printf("not reached\n");
}

// Issue 9: every vector register the CPU variant enables (xmm0-15; ymm0-15
// with AVX; zmm0-31 and k0-7 with AVX-512) survives thousands of context
// switches between two threads and signal handlers that clobber them all.
//
// Each of two threads loads a pattern unique to the thread, the register and
// the round into every register, makes a system call with them live
// (sched_yield, nanosleep, or tgkill of itself or of the other thread), and
// checks every register afterwards (vector_regs_asm.S). The handlers clobber
// every register and yield before returning. A self-sent signal's handler
// also checks the signal frame: its fpstate holds the interrupted registers
// and Linux's _fpx_sw_bytes / FP_XSTATE_MAGIC2 describing an xsave image that
// covers XCR0. And CPUID must agree with XCR0 (what glibc relies on): a
// feature bit for a disabled component, or a leaf 0xD size too small for
// XCR0, is a failure. Runs natively too: Linux is the oracle.
#define _GNU_SOURCE
#include <cpuid.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

enum { kRounds = 3000, kImage = 2048 + 16 };

long vec_syscall_sse(const void* in, void* out, long nr, long a0, long a1, long a2);
long vec_syscall_avx(const void* in, void* out, long nr, long a0, long a1, long a2);
long vec_syscall_avx512(const void* in, void* out, long nr, long a0, long a1, long a2);
void vec_clobber_sse(uint64_t seed);
void vec_clobber_avx(uint64_t seed);
void vec_clobber_avx512(uint64_t seed);

static int g_level;  // 0 sse, 1 avx, 2 avx512
static const char* const kLevelName[] = {"baseline (xmm0-15)", "avx (ymm0-15)", "avx512 (zmm0-31, k0-7)"};
static int g_regs, g_width;  // registers and bytes per register checked
static uint64_t g_xcr0;
static pid_t g_pid;
static pid_t g_tid[2];
static pthread_barrier_t g_start;
static volatile int g_failed;
static long g_frames[2], g_others[2];

static __thread const uint8_t* t_expect;  // the image live in the registers now
static __thread int t_index;
static __thread long t_self_signals, t_other_signals, t_frames_checked;

static uint64_t xgetbv0(void) {
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return ((uint64_t)hi << 32) | lo;
}

static void fail(const char* what) {
  // write(2) only: this may run in a signal handler.
  g_failed = 1;
  write(1, "FAIL: ", 6);
  write(1, what, strlen(what));
  write(1, "\n", 1);
  _exit(1);
}

// Which level XCR0 and CPUID enable, and whether they agree.
static int detect(void) {
  unsigned a, b, c, d;
  __cpuid(1, a, b, c, d);
  if (!(c & (1u << 27))) return 0;  // no OSXSAVE: SSE only
  g_xcr0 = xgetbv0();
  int cpuid_avx = (c & (1u << 28)) != 0;
  int xcr0_avx = (g_xcr0 & 0x6) == 0x6;
  if (cpuid_avx != xcr0_avx) fail("CPUID.1:ECX.AVX disagrees with XCR0's YMM state");
  __cpuid_count(7, 0, a, b, c, d);
  int cpuid_avx2 = (b & (1u << 5)) != 0, cpuid_avx512 = (b & (1u << 16)) != 0;
  int xcr0_avx512 = (g_xcr0 & 0xe6) == 0xe6;
  if (cpuid_avx2 && !xcr0_avx) fail("CPUID.7:EBX.AVX2 set without XCR0's YMM state");
  if (cpuid_avx512 != xcr0_avx512) fail("CPUID.7:EBX.AVX512F disagrees with XCR0's AVX-512 state");
  // Leaf 0xD must describe XCR0: its mask includes it, and EBX (the size for
  // the current XCR0, what glibc sizes its own xsave with) covers every
  // enabled component.
  __cpuid_count(0xd, 0, a, b, c, d);
  uint64_t mask = ((uint64_t)d << 32) | a;
  if ((g_xcr0 & ~mask) != 0) fail("XCR0 has components CPUID leaf 0xD does not list");
  uint32_t need = 576;
  for (unsigned i = 2; i < 63; ++i) {
    if (!((g_xcr0 >> i) & 1)) continue;
    unsigned sa, sb, sc, sd;
    __cpuid_count(0xd, i, sa, sb, sc, sd);
    if (sa == 0) fail("an XCR0 component has no CPUID leaf 0xD sub-leaf");
    if (sa + sb > need) need = sa + sb;
  }
  if (b < need) fail("CPUID.(0xD,0).EBX is smaller than XCR0's components need");
  return xcr0_avx512 ? 2 : xcr0_avx ? 1 : 0;
}

static long vec_syscall(const void* in, void* out, long nr, long a0, long a1, long a2) {
  switch (g_level) {
    case 2: return vec_syscall_avx512(in, out, nr, a0, a1, a2);
    case 1: return vec_syscall_avx(in, out, nr, a0, a1, a2);
    default: return vec_syscall_sse(in, out, nr, a0, a1, a2);
  }
}

static void clobber(uint64_t seed) {
  switch (g_level) {
    case 2: vec_clobber_avx512(seed); break;
    case 1: vec_clobber_avx(seed); break;
    default: vec_clobber_sse(seed); break;
  }
}

// Distinct per thread, register, byte and round.
static void fill(uint8_t* img, int thread, int round) {
  for (int r = 0; r < 32; ++r) {
    for (int i = 0; i < 64; i += 8) {
      uint64_t v = 0x5a00000000000000ull ^ ((uint64_t)(thread + 1) << 48) ^ ((uint64_t)r << 40) ^
                   ((uint64_t)i << 32) ^ ((uint64_t)round * 0x9e3779b1u);
      memcpy(img + 64 * r + i, &v, 8);
    }
  }
  for (int k = 0; k < 8; ++k) {
    uint16_t v = (uint16_t)((thread + 1) << 12 | k << 8 | (round & 0xff));
    memcpy(img + 2048 + 2 * k, &v, 2);
  }
}

static int compare(const uint8_t* want, const uint8_t* got, char* why, size_t n) {
  for (int r = 0; r < g_regs; ++r) {
    if (memcmp(want + 64 * r, got + 64 * r, g_width) != 0) {
      snprintf(why, n, "%s%d differs", g_level == 2 ? "zmm" : g_level == 1 ? "ymm" : "xmm", r);
      return 0;
    }
  }
  if (g_level == 2 && memcmp(want + 2048, got + 2048, 16) != 0) {
    snprintf(why, n, "an opmask register differs");
    return 0;
  }
  return 1;
}

// Linux's fpstate: the FXSAVE image (xmm at 160) with _fpx_sw_bytes at 464.
static void check_frame(const ucontext_t* uc) {
  const uint8_t* fp = (const uint8_t*)uc->uc_mcontext.fpregs;
  if (fp == NULL) fail("signal frame without fpstate");
  uint32_t magic1, extended, xstate_size, magic2;
  uint64_t xfeatures;
  memcpy(&magic1, fp + 464, 4);
  memcpy(&extended, fp + 468, 4);
  memcpy(&xfeatures, fp + 472, 8);
  memcpy(&xstate_size, fp + 480, 4);
  if (magic1 != 0x46505853u) fail("fpstate: no FP_XSTATE_MAGIC1");
  if ((xfeatures & g_xcr0) != g_xcr0) fail("fpstate: xfeatures lacks XCR0 components");
  if (extended != xstate_size + 4) fail("fpstate: extended_size is not xstate_size + 4");
  memcpy(&magic2, fp + xstate_size, 4);
  if (magic2 != 0x46505845u) fail("fpstate: no FP_XSTATE_MAGIC2 after the xsave image");
  unsigned a, b, c, d;
  if (g_level > 0) {
    // The highest enabled component must lie inside the image.
    unsigned top = 63 - __builtin_clzll(g_xcr0);
    __cpuid_count(0xd, top, a, b, c, d);
    if (a + b > xstate_size) fail("fpstate: xstate_size does not cover XCR0");
  }
  for (int r = 0; r < 16; ++r) {
    if (memcmp(fp + 160 + 16 * r, t_expect + 64 * r, 16) != 0) fail("fpstate: an xmm register is not the interrupted one");
  }
  if (g_level > 0) {
    // YMM_Hi128 (component 2): the upper halves of ymm0-15.
    __cpuid_count(0xd, 2, a, b, c, d);
    for (int r = 0; r < 16; ++r) {
      if (memcmp(fp + b + 16 * r, t_expect + 64 * r + 16, 16) != 0)
        fail("fpstate: a ymm upper half is not the interrupted one");
    }
  }
  ++t_frames_checked;
}

static void on_signal(int sig, siginfo_t* info, void* ctx) {
  (void)info;
  if (sig == SIGUSR2) {
    // Sent by this thread to itself inside vec_syscall: delivered as that
    // system call returns, with the pattern live.
    ++t_self_signals;
    check_frame((const ucontext_t*)ctx);
  } else {
    ++t_other_signals;
  }
  clobber(0xdeadbeefcafef00dull ^ (uint64_t)sig);
  sched_yield();  // a switch while the handler's garbage is live
  clobber(0x0badc0de0badc0deull);
}

static void* run(void* arg) {
  int me = (int)(intptr_t)arg;
  t_index = me;
  g_tid[me] = (pid_t)syscall(SYS_gettid);
  pthread_barrier_wait(&g_start);
  static __thread uint8_t in[kImage] __attribute__((aligned(64)));
  static __thread uint8_t out[kImage] __attribute__((aligned(64)));
  struct timespec nap = {0, 20000};
  for (int round = 0; round < kRounds && !g_failed; ++round) {
    fill(in, me, round);
    memset(out, 0, sizeof out);
    t_expect = in;
    long nr = SYS_sched_yield, a0 = 0, a1 = 0, a2 = 0;
    if (round % 100 == 50) {
      nr = SYS_nanosleep, a0 = (long)&nap;
    } else if (round % 16 == 5) {
      nr = SYS_tgkill, a0 = g_pid, a1 = g_tid[me], a2 = SIGUSR2;
    } else if (round % 16 == 13) {
      nr = SYS_tgkill, a0 = g_pid, a1 = g_tid[1 - me], a2 = SIGUSR1;
    }
    long ret = vec_syscall(in, out, nr, a0, a1, a2);
    // EINTR: a nanosleep cut short by SIGUSR1; ESRCH: the other thread has
    // finished its rounds already.
    if (ret < 0 && ret != -4 && !(ret == -3 && nr == SYS_tgkill)) fail("a system call failed");
    char why[64];
    if (!compare(in, out, why, sizeof why)) {
      char msg[160];
      snprintf(msg, sizeof msg, "thread %d round %d (system call %ld): %s", me, round, nr, why);
      fail(msg);
    }
  }
  t_expect = NULL;
  if (t_self_signals != kRounds / 16 + (kRounds % 16 > 5)) fail("a self-sent signal was not handled");
  g_frames[me] = t_frames_checked;
  g_others[me] = t_other_signals;
  return NULL;
}

int main(void) {
  g_level = detect();
  g_regs = g_level == 2 ? 32 : 16;
  g_width = g_level == 2 ? 64 : g_level == 1 ? 32 : 16;
  printf("vector registers: %s\n", kLevelName[g_level]);
  g_pid = getpid();
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  // Each handler blocks the other signal: when both are pending, Linux would
  // otherwise nest the second handler at the first one's entry, where the
  // registers are the handler's (init state), not the interrupted pattern.
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGUSR1);
  sigaddset(&sa.sa_mask, SIGUSR2);
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGUSR2, &sa, NULL);
  pthread_barrier_init(&g_start, NULL, 2);
  pthread_t other;
  if (pthread_create(&other, NULL, run, (void*)(intptr_t)1) != 0) fail("pthread_create");
  run((void*)(intptr_t)0);
  pthread_join(other, NULL);
  // In thread order, so the output is the same natively and under shoal.
  for (int i = 0; i < 2; ++i) {
    printf("thread %d: %d rounds, registers intact, %ld signal frames checked\n", i, kRounds, g_frames[i]);
    fprintf(stderr, "thread %d: %ld signals from the other thread\n", i, g_others[i]);
  }
  printf("done\n");
  return g_failed;
}

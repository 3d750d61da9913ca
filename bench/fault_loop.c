// The guest side of bench/fault: N null-pointer reads, each caught by a
// SIGSEGV handler that resumes past the faulting instruction (the round trip
// a Go nil-check panic or a JVM implicit null check pays). Prints ns per fault.
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>

__asm__(".text\n.globl bench_read\nbench_read:\n movl (%rdi), %eax\n"
        ".globl bench_read_next\nbench_read_next:\n ret\n");
int bench_read(const volatile int* p);
extern char bench_read_next[];

static void skip(int sig, siginfo_t* si, void* ucv) {
  (void)sig;
  (void)si;
  ucontext_t* uc = ucv;
  uc->uc_mcontext.gregs[REG_RIP] = (greg_t)bench_read_next;
}

int main(int argc, char** argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = skip;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, NULL);
  bench_read((const int*)0);  // warm up (and, under shoal, the upcall is registered)
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < n; i++) bench_read((const int*)0);
  clock_gettime(CLOCK_MONOTONIC, &b);
  double ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
  printf("%.1f\n", ns / n);
  return 0;
}

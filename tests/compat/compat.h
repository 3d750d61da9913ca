// The conformance suite's little harness. Each .c file in cases/ holds several
// cases; each case is one ctest test (tests/compat/CMakeLists.txt finds the
// CASE/SHOAL_CASE lines). A case prints what it observes deterministically
// (results and errno names; never addresses, pids or times), so the same
// static binary run natively (Linux is the oracle) and under shoal must print
// the same bytes.
//
//   prog CASE ROOT TMP
// ROOT is the prefix of tests/compat/root ("-" for none: under shoal it is the
// image's root filesystem); natively it is bind-mounted read-only so that
// writes fail with EROFS as they do under shoal. TMP is a fresh writable
// directory (/tmp under shoal).
//
// Markers read by scripts/gen-compat-doc: a `// covers: call call...` comment
// on the line right after CASE(...) names the system calls the case exercises.
// SHOAL_CASE(name) cases test behaviour where shoal differs from Linux by
// design; they run only under shoal and are compared with expected/NAME.out.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

typedef void (*CaseFn)(void);
struct CompatCase {
  const char* name;
  CaseFn fn;
};
static struct CompatCase g_cases[64];
static int g_ncases;
static const char* g_root = "";
static const char* g_tmp = "/tmp";

#define CASE(n)                                                                          \
  static void case_##n(void);                                                            \
  __attribute__((constructor)) static void register_##n(void) {                          \
    g_cases[g_ncases].name = #n;                                                         \
    g_cases[g_ncases++].fn = case_##n;                                                   \
  }                                                                                      \
  static void case_##n(void)
#define SHOAL_CASE(n) CASE(n)

// An address no program has mapped (page 1 of the address space).
#define BAD_PTR ((void*)0x1000)

#ifndef __GLIBC__
// musl has no strerrorname_np: the names the cases built with musl print.
static const char* strerrorname_np(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EINTR: return "EINTR";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case EFAULT: return "EFAULT";
    case EINVAL: return "EINVAL";
    case ENOMEM: return "ENOMEM";
    case ENOSYS: return "ENOSYS";
    default: return NULL;
  }
}
#endif

static const char* errname(int e) {
  const char* s = strerrorname_np(e);
  return s ? s : "E?";
}

// Prints "label = value" or "label = -1 ENAME" for a libc-style result.
static long show(const char* label, long r) {
  if (r == -1)
    printf("%s = -1 %s\n", label, errname(errno));
  else
    printf("%s = %ld\n", label, r);
  fflush(stdout);
  return r;
}
// Same for a result that is only checked for success (fds, sizes that vary).
static long show_ok(const char* label, long r) {
  if (r == -1)
    printf("%s = -1 %s\n", label, errname(errno));
  else
    printf("%s = ok\n", label);
  fflush(stdout);
  return r;
}
#define SHOW(expr) show(#expr, (long)(expr))
#define OK(expr) show_ok(#expr, (long)(expr))

static char g_path_bufs[8][4096];
static int g_path_next;
static const char* join(const char* prefix, const char* rel) {
  char* b = g_path_bufs[g_path_next++ & 7];
  snprintf(b, 4096, "%s%s", prefix, rel);
  return b;
}
// A path in the read-only root tree, and one in the writable directory.
#define R(rel) join(g_root, rel)
#define T(rel) join(g_tmp, rel)

static void write_file(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
    printf("setup: cannot write %s\n", path);
    exit(3);
  }
  close(fd);
}

static void print_buf(const char* label, const char* buf, long n) {
  printf("%s: \"", label);
  for (long i = 0; i < n; i++) {
    unsigned char c = (unsigned char)buf[i];
    if (c == '\n')
      printf("\\n");
    else if (c < 32 || c > 126)
      printf("\\x%02x", c);
    else
      putchar(c);
  }
  printf("\"\n");
  fflush(stdout);
}

int main(int argc, char** argv) {
  if (argc < 2) {
    for (int i = 0; i < g_ncases; i++) printf("%s\n", g_cases[i].name);
    return 0;
  }
  if (argc > 2 && strcmp(argv[2], "-") != 0) g_root = argv[2];
  if (argc > 3) g_tmp = argv[3];
  // Descriptors a test runner may leak must not shift the numbers we print.
  if (syscall(SYS_close_range, 3, ~0U, 0) != 0)
    for (int fd = 3; fd < 1024; fd++) close(fd);
  umask(022);
  for (int i = 0; i < g_ncases; i++) {
    if (strcmp(g_cases[i].name, argv[1]) == 0) {
      g_cases[i].fn();
      fflush(stdout);
      return 0;
    }
  }
  printf("no such case: %s\n", argv[1]);
  return 2;
}

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
// Every case file is built with glibc; a file whose first line holds
// "libc: glibc musl" is built with musl too (musl-gcc), each case then a
// second test compat.musl.FILE.CASE compared with the same program run
// natively. Cases print what both C libraries agree on.
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

#ifdef __GLIBC__
static const char* errname(int e) {
  const char* s = strerrorname_np(e);
  return s ? s : "E?";
}
#else
// musl has no strerrorname_np: glibc's names, by number (Linux x86-64).
static const char* errname(int e) {
  static const char* const names[] = {
      "E?", "EPERM", "ENOENT", "ESRCH", "EINTR", "EIO", "ENXIO", "E2BIG", "ENOEXEC", "EBADF",
      "ECHILD", "EAGAIN", "ENOMEM", "EACCES", "EFAULT", "ENOTBLK", "EBUSY", "EEXIST", "EXDEV",
      "ENODEV", "ENOTDIR", "EISDIR", "EINVAL", "ENFILE", "EMFILE", "ENOTTY", "ETXTBSY", "EFBIG",
      "ENOSPC", "ESPIPE", "EROFS", "EMLINK", "EPIPE", "EDOM", "ERANGE", "EDEADLK", "ENAMETOOLONG",
      "ENOLCK", "ENOSYS", "ENOTEMPTY", "ELOOP", "E?", "ENOMSG", "EIDRM", "ECHRNG", "EL2NSYNC",
      "EL3HLT", "EL3RST", "ELNRNG", "EUNATCH", "ENOCSI", "EL2HLT", "EBADE", "EBADR", "EXFULL",
      "ENOANO", "EBADRQC", "EBADSLT", "E?", "EBFONT", "ENOSTR", "ENODATA", "ETIME", "ENOSR",
      "ENONET", "ENOPKG", "EREMOTE", "ENOLINK", "EADV", "ESRMNT", "ECOMM", "EPROTO", "EMULTIHOP",
      "EDOTDOT", "EBADMSG", "EOVERFLOW", "ENOTUNIQ", "EBADFD", "EREMCHG", "ELIBACC", "ELIBBAD",
      "ELIBSCN", "ELIBMAX", "ELIBEXEC", "EILSEQ", "ERESTART", "ESTRPIPE", "EUSERS", "ENOTSOCK",
      "EDESTADDRREQ", "EMSGSIZE", "EPROTOTYPE", "ENOPROTOOPT", "EPROTONOSUPPORT", "ESOCKTNOSUPPORT",
      "EOPNOTSUPP", "EPFNOSUPPORT", "EAFNOSUPPORT", "EADDRINUSE", "EADDRNOTAVAIL", "ENETDOWN",
      "ENETUNREACH", "ENETRESET", "ECONNABORTED", "ECONNRESET", "ENOBUFS", "EISCONN", "ENOTCONN",
      "ESHUTDOWN", "ETOOMANYREFS", "ETIMEDOUT", "ECONNREFUSED", "EHOSTDOWN", "EHOSTUNREACH",
      "EALREADY", "EINPROGRESS", "ESTALE", "EUCLEAN", "ENOTNAM", "ENAVAIL", "EISNAM", "EREMOTEIO",
      "EDQUOT", "ENOMEDIUM", "EMEDIUMTYPE", "ECANCELED", "ENOKEY", "EKEYEXPIRED", "EKEYREVOKED",
      "EKEYREJECTED", "EOWNERDEAD", "ENOTRECOVERABLE", "ERFKILL", "EHWPOISON",
  };
  return e > 0 && e < (int)(sizeof(names) / sizeof(names[0])) ? names[e] : "E?";
}
#endif

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
  // An exec's target ("child_*", cases/exec.c) checks what it inherited.
  if (strncmp(argv[1], "child_", 6) != 0 && syscall(SYS_close_range, 3, ~0U, 0) != 0)
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

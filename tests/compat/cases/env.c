// libc: glibc musl
// The environment a program starts with under shoal when nothing is passed
// (issue 11, point 9): HOME, PATH and LANG as documented in README.md.
// Natively the test runs under `env -i`, so this is shoal-only.
#include "compat.h"

extern char** environ;

static int by_string(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }

SHOAL_CASE(default_env)
{
  char* vars[64];
  int n = 0;
  for (char** e = environ; *e != NULL && n < 64; e++) vars[n++] = *e;
  qsort(vars, n, sizeof(vars[0]), by_string);
  for (int i = 0; i < n; i++) printf("%s\n", vars[i]);
  printf("getenv HOME %s\n", getenv("HOME"));
}

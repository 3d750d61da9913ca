// argv and the environment; argv[0] differs between native and shoal, so it is not printed.
#include <stdio.h>
#include <stdlib.h>

extern char** environ;

int main(int argc, char** argv) {
  printf("argc=%d\n", argc);
  for (int i = 1; i < argc; ++i) printf("argv[%d]=%s\n", i, argv[i]);
  const char* v = getenv("SHOAL_TEST_VAR");
  printf("SHOAL_TEST_VAR=%s\n", v ? v : "(unset)");
  const char* w = getenv("SHOAL_TEST_OTHER");
  printf("SHOAL_TEST_OTHER=%s\n", w ? w : "(unset)");
  return 0;
}

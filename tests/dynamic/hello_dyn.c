// A dynamically linked C program: libc from the image, argv/environment,
// and the auxiliary vector as ld.so and libc see it.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>
#include <math.h>

int main(int argc, char** argv) {
  printf("hello from a dynamic program, argc %d\n", argc);
  for (int i = 1; i < argc; ++i) printf("arg %d: %s\n", i, argv[i]);
  printf("AT_PAGESZ %lu, AT_SECURE %lu, AT_BASE set %d, AT_PHDR set %d\n", getauxval(AT_PAGESZ),
         getauxval(AT_SECURE), getauxval(AT_BASE) != 0, getauxval(AT_PHDR) != 0);
  printf("AT_EXECFN names this program: %d\n", strstr((const char*)getauxval(AT_EXECFN), "hello_dyn") != NULL);
  printf("sqrt(2) = %.6f\n", sqrt(2.0));
  char* p = malloc(1 << 20);
  memset(p, 'x', 1 << 20);
  printf("malloc ok %c\n", p[12345]);
  free(p);
  return argc + 10;
}

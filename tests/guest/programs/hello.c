// printf and puts through glibc's stdio.
#include <stdio.h>

int main(void) {
  printf("hello, %s %d\n", "world", 42);
  puts("second line");
  fprintf(stderr, "to stderr\n");
  return 0;
}

// The program's exit status becomes the instance's exit status.
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  int status = argc > 1 ? atoi(argv[1]) : 42;
  printf("exiting with %d\n", status);
  exit(status);
}

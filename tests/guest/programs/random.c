// getrandom and /dev/urandom give bytes, and not the same bytes twice.
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

int main(void) {
  unsigned char a[64], b[64], c[64];
  memset(a, 0, sizeof a);
  if (getrandom(a, sizeof a, 0) != sizeof a) { puts("getrandom failed"); return 1; }
  if (getrandom(b, sizeof b, GRND_NONBLOCK) != sizeof b) { puts("getrandom nonblock failed"); return 1; }
  int fd = open("/dev/urandom", O_RDONLY);
  if (fd < 0 || read(fd, c, sizeof c) != sizeof c) { puts("/dev/urandom failed"); return 1; }
  close(fd);
  int zeros = 0;
  for (size_t i = 0; i < sizeof a; ++i) zeros += a[i] == 0;
  printf("random bytes: %s\n",
         zeros < 8 && memcmp(a, b, sizeof a) && memcmp(b, c, sizeof b) ? "look random" : "NOT RANDOM");
  return 0;
}

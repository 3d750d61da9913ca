// ready_server [MIB]: a server's start-up for bench/snapshot. It initialises
// MIB MiB of state (default 8: what an application builds before it serves,
// e.g. a runtime's heap after its imports), listens on 127.0.0.1:8080, waits
// 1 ms for a connection (the LibOS's ready point: a snapshot is taken here),
// then prints "up" and exits 0. Booted, its first output follows the whole
// start-up; resumed from a snapshot, only what comes after the ready point.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int main(int argc, char** argv) {
  size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 8;
  char* state = malloc(mib << 20);
  if (!state) return 1;
  for (size_t i = 0; i < (mib << 20); i += 64) state[i] = (char)i;
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {0};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(8080);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (ls < 0 || bind(ls, (struct sockaddr*)&sa, sizeof sa) != 0 || listen(ls, 16) != 0) return 2;
  struct pollfd p = {ls, POLLIN, 0};
  poll(&p, 1, 1);
  printf("up %d\n", state[mib << 19]);
  return 0;
}

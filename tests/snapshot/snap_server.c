// snap_server [PORT]: a server that reaches a ready point, for the snapshot
// tests (tests/snapshot/snapshot.sh). Before the ready point it fills an
// 8 MiB mapping with 0xab (saved in the snapshot) and listens on
// 127.0.0.1:PORT; it then polls the listener with a 200 ms timeout (the
// LibOS's ready point: every thread blocked with a listening socket). After
// it: it connects to itself and echoes a line, unmaps and re-maps the 8 MiB
// (which must read zeros: `discard` over snapshot pages), prints 8 bytes of
// getrandom and exits 0.
// With SNAP_DIRECT_READY=1 in its environment (under shoal only) it makes
// the `ready` hypercall itself just before the poll, and prints its result
// (1 saved, 2 resumed, 3 failed): the monitor's side tested without the
// LibOS's ready point.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

// HcReady of include/shoal/abi/hypercall.h (a C++ header).
static struct HcReadyArgs {
  uint64_t realtime_ns, port;
  uint32_t result, pad;
} ready_args;

static void direct_ready(int port) {
  ready_args.port = (uint64_t)port;
  uint32_t addr = (uint32_t)(uintptr_t)&ready_args;
  uint16_t io = 0x500 + 10;  // kHypercallPortBase + ready
  __asm__ volatile("outl %0, %1" : : "a"(addr), "d"(io) : "memory");
}

int main(int argc, char** argv) {
  int port = argc > 1 ? atoi(argv[1]) : 8080;
  size_t big_len = 8u << 20;
  unsigned char* big = mmap(NULL, big_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (big == MAP_FAILED) return 10;
  memset(big, 0xab, big_len);
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in sa = {0};
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (ls < 0 || bind(ls, (struct sockaddr*)&sa, sizeof sa) != 0 || listen(ls, 4) != 0) {
    perror("listen");
    return 11;
  }
  printf("listening on %d\n", port);
  fflush(stdout);
  const char* direct = getenv("SNAP_DIRECT_READY");
  if (direct && strcmp(direct, "1") == 0) direct_ready(port);
  struct pollfd p = {ls, POLLIN, 0};
  int n = poll(&p, 1, 200);
  if (direct && strcmp(direct, "1") == 0) printf("ready result %u\n", ready_args.result);
  printf("poll %d\n", n);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(c, (struct sockaddr*)&sa, sizeof sa) != 0) {
    perror("connect");
    return 12;
  }
  int a = accept(ls, NULL, NULL);
  char buf[16] = {0};
  if (a < 0 || write(c, "ping", 4) != 4 || read(a, buf, sizeof buf - 1) != 4) return 13;
  printf("echo %s\n", buf);
  unsigned char* old = big;
  munmap(big, big_len);
  big = mmap(NULL, big_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (big == MAP_FAILED) return 14;
  size_t bad = big_len;
  for (size_t i = 0; i < big_len; ++i)
    if (big[i] != 0) { bad = i; break; }
  if (bad != big_len) printf("remapped memory not zero at %zu: %#x\n", bad, big[bad]);
  else printf("remapped memory zero%s\n", big == old ? " (same address)" : " (another address)");
  unsigned char r[8];
  if (getrandom(r, sizeof r, 0) != sizeof r) return 15;
  printf("random ");
  for (int i = 0; i < 8; ++i) printf("%02x", r[i]);
  printf("\nend\n");
  return 0;
}

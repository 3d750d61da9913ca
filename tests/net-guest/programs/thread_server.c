// A blocking server, one thread per connection (the classic style). Each
// connection is an echo, except two commands on its first line:
//   "PEER\n"  answers getpeername() as "peer A.B.C.D:PORT" and the local name
//   "BIG N\n" sends N bytes (byte i is i % 251) then closes: a large body over a
//             small ring, blocking writes and back-pressure
//   thread_server PORT [CONNECTIONS]
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static atomic_long g_ended, g_reset;
static long g_limit = -1;

static void* serve(void* arg) {
  int fd = (int)(long)arg;
  char buf[16384];
  ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
  if (n > 0) {
    buf[n] = 0;
    if (strncmp(buf, "PEER\n", 5) == 0) {
      struct sockaddr_in a, l;
      socklen_t len = sizeof a, llen = sizeof l;
      getpeername(fd, (struct sockaddr*)&a, &len);
      getsockname(fd, (struct sockaddr*)&l, &llen);
      char text[128];
      int t = snprintf(text, sizeof text, "peer %s:%d local port %d len %u\n", inet_ntoa(a.sin_addr),
                       ntohs(a.sin_port), ntohs(l.sin_port), len);
      send(fd, text, t, 0);
      n = 0;
    } else if (strncmp(buf, "BIG ", 4) == 0) {
      long total = atol(buf + 4);
      // Byte i of the body is i % 251, so the reader can check every byte.
      static char pattern[65536 + 251];
      for (size_t i = 0; i < sizeof pattern; i++) pattern[i] = (char)(i % 251);
      long sent = 0;
      while (sent < total) {
        long chunk = total - sent < 65536 ? total - sent : 65536;
        ssize_t w = write(fd, pattern + sent % 251, chunk);  // blocking: waits for room
        if (w <= 0) break;
        sent += w;
      }
      n = 0;
    }
  }
  while (n > 0) {
    if (send(fd, buf, n, MSG_NOSIGNAL) != n) break;
    n = recv(fd, buf, sizeof buf, 0);
  }
  if (n < 0 && errno == ECONNRESET) g_reset++;
  shutdown(fd, SHUT_WR);
  close(fd);
  if (++g_ended == g_limit) {
    printf("ended %ld reset %ld\n", (long)g_ended, (long)g_reset);
    fflush(stdout);
    exit(0);
  }
  return NULL;
}

int main(int argc, char** argv) {
  int port = argc > 1 ? atoi(argv[1]) : 8080;
  if (argc > 2) g_limit = atol(argv[2]);
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
  if (bind(ls, (struct sockaddr*)&addr, sizeof addr) < 0 || listen(ls, 16) < 0) {
    perror("bind/listen");
    return 1;
  }
  printf("listening on %d\n", port);
  fflush(stdout);
  for (;;) {
    int fd = accept(ls, NULL, NULL);
    if (fd < 0) {
      perror("accept");
      return 1;
    }
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 128 * 1024);
    if (pthread_create(&t, &attr, serve, (void*)(long)fd) != 0) {
      perror("pthread_create");
      return 1;
    }
  }
}

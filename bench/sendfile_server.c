// bench/sendfile: a small static HTTP/1.1 server that answers every request
// with one file, nginx-style, either with sendfile(2) ("sendfile on") or
// with read+write through a 64 KiB buffer ("sendfile off"): GET /rw takes
// read+write, any other path sendfile, so one server measures both. The
// file is made at start-up in /tmp (tmpfs under shoal), SIZE bytes. One
// thread per connection, keep-alive.
//
//   sendfile_server PORT SIZE
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

static long g_size;
static const char* g_path = "/tmp/sendfile-bench.dat";

static int write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int send_body(int c, int use_sendfile) {
  int f = open(g_path, O_RDONLY);
  if (f < 0) return -1;
  int rc = 0;
  if (use_sendfile) {
    off_t off = 0;
    while (off < g_size) {
      ssize_t n = sendfile(c, f, &off, (size_t)(g_size - off));
      if (n <= 0) { rc = -1; break; }
    }
  } else {
    static __thread char buf[65536];
    for (;;) {
      ssize_t n = read(f, buf, sizeof buf);
      if (n < 0) { rc = -1; break; }
      if (n == 0) break;
      if (write_all(c, buf, (size_t)n) < 0) { rc = -1; break; }
    }
  }
  close(f);
  return rc;
}

static void* serve(void* arg) {
  int c = (int)(long)arg;
  char req[8192];
  size_t have = 0;
  // nginx sets TCP_NODELAY on keep-alive connections.
  int one = 1;
  setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  for (;;) {
    char* end;
    while ((end = memmem(req, have, "\r\n\r\n", 4)) == NULL) {
      if (have == sizeof req) goto out;
      ssize_t n = read(c, req + have, sizeof req - have);
      if (n <= 0) goto out;
      have += (size_t)n;
    }
    char hdr[256];
    int hl = snprintf(hdr, sizeof hdr,
                      "HTTP/1.1 200 OK\r\nServer: sendfile-bench\r\nContent-Type: application/octet-stream\r\n"
                      "Content-Length: %ld\r\nConnection: keep-alive\r\n\r\n",
                      g_size);
    int use_sendfile = !(have >= 7 && memcmp(req, "GET /rw", 7) == 0);
    if (write_all(c, hdr, (size_t)hl) < 0 || send_body(c, use_sendfile) < 0) goto out;
    size_t used = (size_t)(end + 4 - req);
    memmove(req, req + used, have - used);
    have -= used;
  }
out:
  close(c);
  return NULL;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: sendfile_server PORT SIZE\n");
    return 2;
  }
  // As nginx: a client that goes away mid-file is an error on that
  // connection, not the end of the server.
  signal(SIGPIPE, SIG_IGN);
  int port = atoi(argv[1]);
  g_size = atol(argv[2]);
  int f = open(g_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (f < 0) { perror("open"); return 1; }
  char block[4096];
  for (long i = 0; i < g_size; i += (long)sizeof block) {
    for (size_t j = 0; j < sizeof block; ++j) block[j] = (char)('a' + (i / 4096 + j) % 26);
    size_t n = g_size - i < (long)sizeof block ? (size_t)(g_size - i) : sizeof block;
    if (write_all(f, block, n) < 0) { perror("write"); return 1; }
  }
  close(f);
  int s = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  if (bind(s, (struct sockaddr*)&a, sizeof a) < 0 || listen(s, 128) < 0) { perror("bind/listen"); return 1; }
  printf("sendfile_server: listening on %d (%ld bytes: /rw by read+write, else sendfile)\n", port, g_size);
  fflush(stdout);
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c < 0) continue;
    pthread_t t;
    if (pthread_create(&t, NULL, serve, (void*)(long)c) != 0) { close(c); continue; }
    pthread_detach(t);
  }
}

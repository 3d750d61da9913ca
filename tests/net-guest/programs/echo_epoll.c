// An echo server in the style of event-driven HTTP servers: one thread,
// epoll edge-triggered, non-blocking accept4, output kept while the peer's
// ring is full (back-pressure) and reading paused meanwhile.
//
//   echo_epoll PORT [CONNECTIONS]
// Prints "listening on PORT" once ready. With CONNECTIONS, exits after that
// many connections ended, printing its counters (accepted, eof, reset).
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

struct conn {
  int fd;
  char* out;  // bytes read but not yet written back
  size_t out_len;
  int eof;    // the peer sent its last byte
};

static long g_accepted, g_eof, g_reset, g_ended;

static void die(const char* what) {
  perror(what);
  exit(1);
}

static void end_conn(int ep, struct conn* c) {
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  free(c->out);
  free(c);
  g_ended++;
}

// Writes what is pending; 1 when all is out, 0 when the ring is full, -1 on error.
static int flush_out(struct conn* c) {
  size_t done = 0;
  while (done < c->out_len) {
    ssize_t n = send(c->fd, c->out + done, c->out_len - done, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN) break;
      return -1;
    }
    done += (size_t)n;
  }
  memmove(c->out, c->out + done, c->out_len - done);
  c->out_len -= done;
  return c->out_len == 0;
}

// Handles readiness of one connection: returns 0 to keep it, -1 to end it.
static int serve(struct conn* c) {
  static char buf[65536];
  for (;;) {
    int f = flush_out(c);
    if (f < 0) return -1;
    if (f == 0) return 0;  // wait for EPOLLOUT before reading more
    if (c->eof) {
      shutdown(c->fd, SHUT_WR);
      return -1;
    }
    ssize_t n = recv(c->fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EAGAIN) return 0;
      if (errno == ECONNRESET) g_reset++;
      return -1;
    }
    if (n == 0) {
      g_eof++;
      c->eof = 1;
      continue;
    }
    c->out = realloc(c->out, c->out_len + (size_t)n);
    if (c->out == NULL) die("realloc");
    memcpy(c->out + c->out_len, buf, (size_t)n);
    c->out_len += (size_t)n;
  }
}

int main(int argc, char** argv) {
  int port = argc > 1 ? atoi(argv[1]) : 8080;
  long limit = argc > 2 ? atol(argv[2]) : -1;
  int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (ls < 0) die("socket");
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY)};
  if (bind(ls, (struct sockaddr*)&addr, sizeof addr) < 0) die("bind");
  if (listen(ls, 128) < 0) die("listen");
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.ptr = NULL};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev) < 0) die("epoll_ctl");
  printf("listening on %d\n", port);
  fflush(stdout);
  struct epoll_event events[64];
  while (limit < 0 || g_ended < limit) {
    int n = epoll_wait(ep, events, 64, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; i++) {
      if (events[i].data.ptr == NULL) {
        for (;;) {
          int fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (fd < 0) {
            if (errno != EAGAIN) die("accept4");
            break;
          }
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          struct conn* c = calloc(1, sizeof *c);
          c->fd = fd;
          g_accepted++;
          struct epoll_event cev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = c};
          if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev) < 0) die("epoll_ctl conn");
        }
        continue;
      }
      struct conn* c = events[i].data.ptr;
      if (serve(c) < 0) end_conn(ep, c);
    }
  }
  printf("accepted %ld eof %ld reset %ld\n", g_accepted, g_eof, g_reset);
  return 0;
}

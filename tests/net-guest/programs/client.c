// A client that reaches other services of the pool by name: name resolution
// through /etc/hosts (getaddrinfo, gethostbyname), blocking and non-blocking
// connect, refusals, and an exchange with "catalog". The host driver plays
// the pool: it accepts connections to catalog:8080 and refuses port 9.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static const char* err(int e) { return e ? strerrorname_np(e) : "0"; }

static volatile int g_sigpipes;
static void on_sigpipe(int sig) {
  (void)sig;
  g_sigpipes++;
}

static int connect_to(struct sockaddr_in addr, int port) {
  addr.sin_port = htons(port);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(fd, (void*)&addr, sizeof addr) != 0) printf("connect :%d = %s\n", port, err(errno));
  return fd;
}

static struct sockaddr_in resolve(const char* name, const char* port) {
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
  struct addrinfo* res = NULL;
  struct sockaddr_in out = {0};
  int r = getaddrinfo(name, port, &hints, &res);
  if (r != 0) {
    printf("getaddrinfo(%s) = %s\n", name, r == EAI_NONAME ? "EAI_NONAME" : gai_strerror(r));
    return out;
  }
  for (struct addrinfo* a = res; a; a = a->ai_next) {
    if (a->ai_family != AF_INET) continue;
    memcpy(&out, a->ai_addr, sizeof out);
    printf("getaddrinfo(%s, %s) = %s:%d\n", name, port, inet_ntoa(out.sin_addr), ntohs(out.sin_port));
    break;
  }
  freeaddrinfo(res);
  return out;
}

static void exchange(int fd, const char* what) {
  char buf[256];
  size_t len = strlen(what);
  printf("send = %zd\n", send(fd, what, len, 0));
  shutdown(fd, SHUT_WR);
  size_t got = 0;
  for (;;) {
    ssize_t n = recv(fd, buf + got, sizeof buf - 1 - got, 0);
    if (n <= 0) {
      if (n < 0) printf("recv = -1 %s\n", err(errno));
      break;
    }
    got += (size_t)n;
  }
  buf[got] = 0;
  printf("reply: %s", buf);
}

int main(void) {
  FILE* hosts = fopen("/etc/hosts", "r");
  char line[256];
  while (hosts && fgets(line, sizeof line, hosts)) printf("hosts: %s", line);
  if (hosts) fclose(hosts);

  // /etc as the program sees it: the image's entries and the synthetic ones.
  DIR* etc = opendir("/etc");
  char names[32][64];
  int count = 0;
  for (struct dirent* e; etc && (e = readdir(etc)) && count < 32;) {
    if (e->d_name[0] != '.') snprintf(names[count++], 64, "%s", e->d_name);
  }
  if (etc) closedir(etc);
  qsort(names, count, 64, (int (*)(const void*, const void*))strcmp);
  printf("etc:");
  for (int i = 0; i < count; i++) printf(" %s", names[i]);
  printf("\n");

  struct sockaddr_in catalog = resolve("catalog", "8080");
  resolve("cart", "80");
  resolve("nonexistent", "80");
  struct hostent* h = gethostbyname("catalog");
  printf("gethostbyname(catalog) = %s\n", h ? inet_ntoa(*(struct in_addr*)h->h_addr_list[0]) : "NULL");
  struct sockaddr_in local = resolve("localhost", "1");

  // Blocking connect, exchange, EOF.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  printf("connect catalog:8080 = %s\n", connect(fd, (void*)&catalog, sizeof catalog) ? err(errno) : "0");
  struct sockaddr_in peer;
  socklen_t plen = sizeof peer;
  getpeername(fd, (void*)&peer, &plen);
  printf("peer %s:%d\n", inet_ntoa(peer.sin_addr), ntohs(peer.sin_port));
  exchange(fd, "hello catalog\n");
  close(fd);

  // Refused by the pool (nothing serves port 9).
  struct sockaddr_in nine = catalog;
  nine.sin_port = htons(9);
  fd = socket(AF_INET, SOCK_STREAM, 0);
  printf("connect catalog:9 = %s\n", connect(fd, (void*)&nine, sizeof nine) ? err(errno) : "0");
  printf("connect catalog:9 again = %s\n", connect(fd, (void*)&nine, sizeof nine) ? err(errno) : "0");
  close(fd);

  // Non-blocking: EINPROGRESS, then POLLOUT and SO_ERROR.
  fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  printf("nb connect catalog:8080 = %s\n", connect(fd, (void*)&catalog, sizeof catalog) ? err(errno) : "0");
  struct pollfd p = {fd, POLLOUT, 0};
  int ready = poll(&p, 1, 5000);
  printf("poll = %d revents %x\n", ready, p.revents);
  int soerr = -1;
  socklen_t slen = sizeof soerr;
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen);
  printf("SO_ERROR = %s\n", err(soerr));
  printf("connect again = %s\n", connect(fd, (void*)&catalog, sizeof catalog) ? err(errno) : "0");
  fcntl(fd, F_SETFL, 0);
  // Gathered send, then a peek, FIONREAD and a scattered receive of the reply.
  struct iovec out[2] = {{"sec", 3}, {"ond\n", 4}};
  struct msghdr m = {.msg_iov = out, .msg_iovlen = 2};
  printf("sendmsg = %zd\n", sendmsg(fd, &m, 0));
  shutdown(fd, SHUT_WR);
  char peek[8];
  printf("peek = %zd\n", recv(fd, peek, sizeof peek, MSG_PEEK | MSG_WAITALL));
  int avail = 0;
  ioctl(fd, FIONREAD, &avail);
  printf("FIONREAD = %d\n", avail);
  char part1[13], part2[64] = {0};
  struct iovec in[2] = {{part1, sizeof part1}, {part2, sizeof part2 - 1}};
  struct msghdr rm = {.msg_iov = in, .msg_iovlen = 2};
  ssize_t got = recvmsg(fd, &rm, MSG_WAITALL);
  printf("recvmsg = %zd: %.13s|%s", got, part1, part2);
  printf("recv at EOF = %zd\n", recv(fd, peek, 1, 0));
  close(fd);

  fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  printf("nb connect catalog:9 = %s\n", connect(fd, (void*)&nine, sizeof nine) ? err(errno) : "0");
  p.fd = fd;
  p.events = POLLIN | POLLOUT;
  ready = poll(&p, 1, 5000);
  printf("poll = %d revents %x\n", ready, p.revents);
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen);
  printf("SO_ERROR = %s\n", err(soerr));
  close(fd);

  // The pool closes at once (port 8081): EOF, then EPIPE with SIGPIPE, or
  // without it under MSG_NOSIGNAL.
  signal(SIGPIPE, on_sigpipe);
  fd = connect_to(catalog, 8081);
  char c;
  printf("recv after close = %zd\n", recv(fd, &c, 1, 0));
  p.fd = fd;
  p.events = POLLIN | POLLOUT | POLLRDHUP;
  ready = poll(&p, 1, 0);
  printf("poll = %d revents %x\n", ready, p.revents);
  ssize_t w = send(fd, "x", 1, 0);
  printf("send = %zd %s sigpipes %d\n", w, w < 0 ? err(errno) : "", g_sigpipes);
  w = send(fd, "x", 1, MSG_NOSIGNAL);
  printf("send nosignal = %zd %s sigpipes %d\n", w, w < 0 ? err(errno) : "", g_sigpipes);
  close(fd);

  // The pool resets (port 8082): ECONNRESET once, then EOF, then EPIPE.
  fd = connect_to(catalog, 8082);
  ssize_t r = recv(fd, &c, 1, 0);
  printf("recv after reset = %zd %s\n", r, r < 0 ? err(errno) : "");
  r = recv(fd, &c, 1, 0);
  printf("recv again = %zd %s\n", r, r < 0 ? err(errno) : "");
  w = send(fd, "x", 1, MSG_NOSIGNAL);
  printf("send after reset = %zd %s\n", w, w < 0 ? err(errno) : "");
  close(fd);

  // Addresses that are no service: unreachable; the loopback: refused.
  struct sockaddr_in far = {.sin_family = AF_INET, .sin_port = htons(80)};
  inet_aton("10.99.99.99", &far.sin_addr);
  fd = socket(AF_INET, SOCK_STREAM, 0);
  printf("connect 10.99.99.99 = %s\n", connect(fd, (void*)&far, sizeof far) ? err(errno) : "0");
  printf("connect localhost:1 = %s\n", connect(fd, (void*)&local, sizeof local) ? err(errno) : "0");
  close(fd);
  printf("socket(AF_INET6) = %s\n", socket(AF_INET6, SOCK_STREAM, 0) < 0 ? err(errno) : "ok");
  printf("socket(AF_UNIX) = %s\n", socket(AF_UNIX, SOCK_STREAM, 0) < 0 ? err(errno) : "ok");
  printf("socket(SOCK_DGRAM) = %s\n", socket(AF_INET, SOCK_DGRAM, 0) < 0 ? err(errno) : "ok");
  printf("done\n");
  return 0;
}

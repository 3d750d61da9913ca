// The socket system calls against a real peer (tests/inet-guest/peer.py on
// the host side of a network namespace): every call of the AF_INET stream
// and datagram API, with the flags and errors programs rely on. It prints
// only what is deterministic, so the same binary run natively in a
// namespace (Linux is the oracle) and under shoal must print the same.
//
//   sockapi HOST_IP GUEST_IP
// The peer serves on HOST_IP: 7001 TCP echo, 7002 TCP "100000 bytes then
// close", 7003 TCP reset at once, 7004 UDP echo; nothing on 7009. It also
// connects to GUEST_IP:8001 twice (see listener()).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <linux/sockios.h>

static const char* en(int e) { return e ? strerrorname_np(e) : "0"; }
#define SHOW(call)                                                        \
  do {                                                                    \
    errno = 0;                                                            \
    long r_ = (long)(call);                                               \
    if (r_ < 0) printf("%s = -1 %s\n", #call, en(errno));                 \
    else printf("%s = %ld\n", #call, r_);                                 \
  } while (0)

static struct sockaddr_in g_host, g_guest;
static volatile int g_sigpipes, g_alarms;
static void on_sigpipe(int s) { (void)s; g_sigpipes++; }
static void on_alarm(int s) { (void)s; g_alarms++; }

static struct sockaddr_in at(struct sockaddr_in a, int port) {
  a.sin_port = htons(port);
  return a;
}

static int tcp_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = at(g_host, port);
  if (connect(fd, (void*)&a, sizeof a) != 0) printf("connect :%d = %s\n", port, en(errno));
  return fd;
}

static int get_int(int fd, int level, int name) {
  int v = -1;
  socklen_t l = sizeof v;
  if (getsockopt(fd, level, name, &v, &l) != 0) return -errno;
  return v;
}

// Waits (bounded) until at least n bytes are queued to read.
static int wait_queued(int fd, int n) {
  for (int i = 0; i < 500; i++) {
    int q = 0;
    ioctl(fd, FIONREAD, &q);
    if (q >= n) return q;
    struct pollfd p = {fd, POLLIN, 0};
    poll(&p, 1, 10);
  }
  return -1;
}

static void fill(char* b, size_t n, int seed) {
  for (size_t i = 0; i < n; i++) b[i] = (char)('a' + (i * 7 + seed) % 26);
}

static void creation(void) {
  printf("== creation\n");
  SHOW(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP));
  SHOW(socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP));
  SHOW(socket(AF_INET, SOCK_STREAM | 0x100000, 0));
  int t = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  struct stat st;
  fstat(t, &st);
  printf("stream S_ISSOCK %d nonblock %d cloexec %d\n", S_ISSOCK(st.st_mode), !!(fcntl(t, F_GETFL) & O_NONBLOCK),
         !!(fcntl(t, F_GETFD) & FD_CLOEXEC));
  fstat(u, &st);
  printf("dgram S_ISSOCK %d\n", S_ISSOCK(st.st_mode));
  printf("SO_TYPE %d %d SO_PROTOCOL %d %d\n", get_int(t, SOL_SOCKET, SO_TYPE), get_int(u, SOL_SOCKET, SO_TYPE),
         get_int(t, SOL_SOCKET, SO_PROTOCOL), get_int(u, SOL_SOCKET, SO_PROTOCOL));
  printf("udp TCP_NODELAY %d\n", get_int(u, IPPROTO_TCP, TCP_NODELAY));
  int v = 1;
  SHOW(setsockopt(u, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v));
  SHOW(listen(u, 5));
  SHOW(accept(u, NULL, NULL));
  struct sockaddr_in a;
  socklen_t l = sizeof a;
  SHOW(getpeername(t, (void*)&a, &l));
  SHOW(getpeername(u, (void*)&a, &l));
  char b[4];
  SHOW(recv(t, b, 4, 0));
  SHOW(read(t, b, 0));
  SHOW(send(t, b, 4, MSG_NOSIGNAL));
  int before = g_sigpipes;
  SHOW(send(t, b, 4, 0));
  printf("sigpipes %d\n", g_sigpipes - before);
  SHOW(send(u, b, 4, 0));
  SHOW(shutdown(t, SHUT_RDWR));
  SHOW(shutdown(t, 7));
  close(t);
  close(u);
}

static void options(void) {
  printf("== options\n");
  int t = socket(AF_INET, SOCK_STREAM, 0);
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  // TCP's default buffer sizes are the stack's choice (Linux: 131072 and
  // 16384 from tcp_rmem/tcp_wmem); what a program sets is Linux-exact.
  printf("udp rcvbuf %d sndbuf %d\n", get_int(u, SOL_SOCKET, SO_RCVBUF), get_int(u, SOL_SOCKET, SO_SNDBUF));
  int v = 100000;
  SHOW(setsockopt(t, SOL_SOCKET, SO_RCVBUF, &v, sizeof v));
  v = 4000;
  SHOW(setsockopt(t, SOL_SOCKET, SO_SNDBUF, &v, sizeof v));
  v = 50000;
  SHOW(setsockopt(u, SOL_SOCKET, SO_RCVBUF, &v, sizeof v));
  printf("tcp rcvbuf %d sndbuf %d udp rcvbuf %d\n", get_int(t, SOL_SOCKET, SO_RCVBUF),
         get_int(t, SOL_SOCKET, SO_SNDBUF), get_int(u, SOL_SOCKET, SO_RCVBUF));
  v = 1;
  SHOW(setsockopt(t, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v));
  SHOW(setsockopt(t, IPPROTO_TCP, TCP_CORK, &v, sizeof v));
  SHOW(setsockopt(t, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof v));
  SHOW(setsockopt(t, SOL_SOCKET, SO_REUSEPORT, &v, sizeof v));
  SHOW(setsockopt(u, SOL_SOCKET, SO_BROADCAST, &v, sizeof v));
  printf("nodelay %d cork %d keepalive %d reuseport %d broadcast %d\n", get_int(t, IPPROTO_TCP, TCP_NODELAY),
         get_int(t, IPPROTO_TCP, TCP_CORK), get_int(t, SOL_SOCKET, SO_KEEPALIVE), get_int(t, SOL_SOCKET, SO_REUSEPORT),
         get_int(u, SOL_SOCKET, SO_BROADCAST));
  v = 0;
  SHOW(setsockopt(t, IPPROTO_TCP, TCP_CORK, &v, sizeof v));
  printf("keepidle %d keepintvl %d keepcnt %d\n", get_int(t, IPPROTO_TCP, TCP_KEEPIDLE),
         get_int(t, IPPROTO_TCP, TCP_KEEPINTVL), get_int(t, IPPROTO_TCP, TCP_KEEPCNT));
  v = 30;
  SHOW(setsockopt(t, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof v));
  v = 5;
  SHOW(setsockopt(t, IPPROTO_TCP, TCP_KEEPINTVL, &v, sizeof v));
  v = 3;
  SHOW(setsockopt(t, IPPROTO_TCP, TCP_KEEPCNT, &v, sizeof v));
  v = 0;
  SHOW(setsockopt(t, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof v));
  v = 200;
  SHOW(setsockopt(t, IPPROTO_TCP, TCP_KEEPCNT, &v, sizeof v));
  printf("keepidle %d keepintvl %d keepcnt %d\n", get_int(t, IPPROTO_TCP, TCP_KEEPIDLE),
         get_int(t, IPPROTO_TCP, TCP_KEEPINTVL), get_int(t, IPPROTO_TCP, TCP_KEEPCNT));
  printf("maxseg %d\n", get_int(t, IPPROTO_TCP, TCP_MAXSEG));
  v = 50;
  SHOW(setsockopt(t, IPPROTO_TCP, TCP_MAXSEG, &v, sizeof v));
  v = 1200;
  SHOW(setsockopt(t, IPPROTO_TCP, TCP_MAXSEG, &v, sizeof v));
  printf("maxseg %d\n", get_int(t, IPPROTO_TCP, TCP_MAXSEG));
  struct linger lg = {1, 0};
  SHOW(setsockopt(t, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
  socklen_t l = sizeof lg;
  getsockopt(t, SOL_SOCKET, SO_LINGER, &lg, &l);
  printf("linger %d %d\n", lg.l_onoff, lg.l_linger);
  printf("SO_ERROR %d SO_ACCEPTCONN %d\n", get_int(t, SOL_SOCKET, SO_ERROR), get_int(t, SOL_SOCKET, SO_ACCEPTCONN));
  close(t);
  close(u);
}

static void stream(void) {
  printf("== stream\n");
  int fd = tcp_to(7001);
  struct sockaddr_in a;
  socklen_t l = sizeof a;
  getpeername(fd, (void*)&a, &l);
  printf("peer %s:%d len %d\n", inet_ntoa(a.sin_addr), ntohs(a.sin_port), (int)l);
  l = sizeof a;
  getsockname(fd, (void*)&a, &l);
  int port = ntohs(a.sin_port);
  printf("local %s ephemeral %d\n", inet_ntoa(a.sin_addr), port >= 32768 && port <= 60999);
  l = 4;
  getsockname(fd, (void*)&a, &l);
  printf("truncated name len %d\n", (int)l);
  printf("maxseg sane %d\n", get_int(fd, IPPROTO_TCP, TCP_MAXSEG) >= 536 && get_int(fd, IPPROTO_TCP, TCP_MAXSEG) <= 1460);
  SHOW(send(fd, "hello", 5, 0));
  char buf[256] = {0};
  wait_queued(fd, 5);
  int q = -1;
  SHOW(ioctl(fd, FIONREAD, &q));
  printf("FIONREAD %d\n", q);
  SHOW(recv(fd, buf, 3, MSG_PEEK));
  SHOW(recv(fd, buf, sizeof buf, MSG_DONTWAIT));
  printf("got %.5s\n", buf);
  SHOW(recv(fd, buf, sizeof buf, MSG_DONTWAIT));
  // Gathered and scattered: writev of three, readv/recvmsg across three.
  struct iovec out[3] = {{"abc", 3}, {"", 0}, {"defghij", 7}};
  SHOW(writev(fd, out, 3));
  wait_queued(fd, 10);
  char x[4] = {0}, y[4] = {0}, z[8] = {0};
  struct iovec in[3] = {{x, 3}, {y, 3}, {z, 8}};
  SHOW(readv(fd, in, 3));
  printf("readv %s|%s|%s\n", x, y, z);
  struct iovec out2[2] = {{"0123", 4}, {"456789", 6}};
  struct msghdr m = {.msg_iov = out2, .msg_iovlen = 2};
  SHOW(sendmsg(fd, &m, 0));
  wait_queued(fd, 10);
  memset(x, 0, sizeof x), memset(y, 0, sizeof y), memset(z, 0, sizeof z);
  struct iovec in2[3] = {{x, 2}, {y, 3}, {z, 8}};
  struct sockaddr_in from = {0};
  m = (struct msghdr){.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = in2, .msg_iovlen = 3};
  SHOW(recvmsg(fd, &m, MSG_PEEK));
  printf("peek %s|%s|%s namelen %d flags %d\n", x, y, z, (int)m.msg_namelen, m.msg_flags);
  m.msg_namelen = sizeof from;
  SHOW(recvmsg(fd, &m, 0));
  printf("recvmsg %s|%s|%s namelen %d\n", x, y, z, (int)m.msg_namelen);
  // MSG_WAITALL across several segments.
  static char big[60000], back[60000];
  fill(big, sizeof big, 3);
  SHOW(send(fd, big, sizeof big, 0));
  SHOW(recv(fd, back, sizeof back, MSG_WAITALL));
  printf("echo intact %d\n", memcmp(big, back, sizeof big) == 0);
  struct sockaddr_in src;
  socklen_t sl = sizeof src;
  SHOW(send(fd, "z", 1, 0));
  wait_queued(fd, 1);
  SHOW(recvfrom(fd, buf, 1, 0, (void*)&src, &sl));
  printf("recvfrom addrlen %d\n", (int)sl);
  // Timeouts: nothing comes back.
  struct timeval tv = {0, 200000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  SHOW(recv(fd, buf, sizeof buf, 0));
  tv.tv_usec = 0;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  // A signal interrupts a blocked recv (no SA_RESTART).
  struct itimerval it = {{0, 0}, {0, 150000}};
  setitimer(ITIMER_REAL, &it, NULL);
  SHOW(recv(fd, buf, sizeof buf, 0));
  printf("alarms %d\n", g_alarms);
  // Half close: the echo peer sees EOF and closes; then EOF here, and EPIPE.
  SHOW(shutdown(fd, SHUT_WR));
  SHOW(recv(fd, buf, sizeof buf, 0));
  struct pollfd p = {fd, POLLIN | POLLOUT | POLLRDHUP, 0};
  SHOW(poll(&p, 1, 1000));
  printf("revents IN %d OUT %d RDHUP %d HUP %d\n", !!(p.revents & POLLIN), !!(p.revents & POLLOUT),
         !!(p.revents & POLLRDHUP), !!(p.revents & POLLHUP));
  int before = g_sigpipes;
  SHOW(send(fd, "x", 1, 0));
  SHOW(send(fd, "x", 1, MSG_NOSIGNAL));
  printf("sigpipes %d\n", g_sigpipes - before);
  close(fd);
}

static void bulk_in(void) {
  printf("== bulk in\n");
  int fd = tcp_to(7002);
  static char buf[100000];
  SHOW(recv(fd, buf, sizeof buf, MSG_WAITALL));
  char want[100000];
  fill(want, sizeof want, 1);
  printf("intact %d\n", memcmp(buf, want, sizeof want) == 0);
  SHOW(recv(fd, buf, sizeof buf, 0));
  SHOW(read(fd, buf, 10));
  close(fd);
}

static void resets(void) {
  printf("== resets\n");
  int fd = tcp_to(7003);
  char b[8];
  struct pollfd p = {fd, POLLIN, 0};
  SHOW(poll(&p, 1, 5000));
  printf("revents ERR %d HUP %d\n", !!(p.revents & POLLERR), !!(p.revents & POLLHUP));
  SHOW(recv(fd, b, sizeof b, 0));
  SHOW(recv(fd, b, sizeof b, 0));
  SHOW(send(fd, b, 1, MSG_NOSIGNAL));
  close(fd);
  // Refused: blocking, then non-blocking with SO_ERROR.
  fd = tcp_to(7009);
  close(fd);
  fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in a = at(g_host, 7009);
  SHOW(connect(fd, (void*)&a, sizeof a));
  p = (struct pollfd){fd, POLLOUT, 0};
  SHOW(poll(&p, 1, 5000));
  printf("revents OUT %d ERR %d HUP %d\n", !!(p.revents & POLLOUT), !!(p.revents & POLLERR), !!(p.revents & POLLHUP));
  printf("SO_ERROR %s\n", en(get_int(fd, SOL_SOCKET, SO_ERROR)));
  SHOW(connect(fd, (void*)&a, sizeof a));
  close(fd);
  fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  SHOW(connect(fd, (void*)&a, sizeof a));
  poll(&p, 1, 5000);
  SHOW(connect(fd, (void*)&a, sizeof a));
  SHOW(connect(fd, (void*)&a, sizeof a));
  close(fd);
}

static void nonblocking_connect(void) {
  printf("== non-blocking connect\n");
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in a = at(g_host, 7001);
  SHOW(connect(fd, (void*)&a, sizeof a));
  struct pollfd p = {fd, POLLOUT, 0};
  SHOW(poll(&p, 1, 5000));
  printf("revents OUT %d\n", !!(p.revents & POLLOUT));
  printf("SO_ERROR %d\n", get_int(fd, SOL_SOCKET, SO_ERROR));
  SHOW(connect(fd, (void*)&a, sizeof a));
  SHOW(connect(fd, (void*)&a, sizeof a));
  char b[8];
  SHOW(recv(fd, b, sizeof b, 0));
  SHOW(send(fd, "nb", 2, 0));
  fd_set rs;
  FD_ZERO(&rs);
  FD_SET(fd, &rs);
  struct timeval tv = {5, 0};
  SHOW(select(fd + 1, &rs, NULL, NULL, &tv));
  printf("select readable %d\n", FD_ISSET(fd, &rs));
  SHOW(recv(fd, b, sizeof b, 0));
  int on = 0;
  SHOW(ioctl(fd, FIONBIO, &on));
  printf("nonblock %d\n", !!(fcntl(fd, F_GETFL) & O_NONBLOCK));
  close(fd);
}

static void listener(void) {
  printf("== listener\n");
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  int v = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &v, sizeof v);
  struct sockaddr_in a = at(g_guest, 8001);
  a.sin_addr.s_addr = INADDR_ANY;
  SHOW(bind(ls, (void*)&a, sizeof a));
  SHOW(bind(ls, (void*)&a, sizeof a));
  SHOW(listen(ls, 8));
  printf("SO_ACCEPTCONN %d\n", get_int(ls, SOL_SOCKET, SO_ACCEPTCONN));
  int other = socket(AF_INET, SOCK_STREAM, 0);
  SHOW(bind(other, (void*)&a, sizeof a));
  close(other);
  char b[64];
  SHOW(recv(ls, b, 1, 0));
  SHOW(connect(ls, (void*)&a, sizeof a));
  fflush(stdout);
  // Session 1: a blocking accept4 with flags.
  struct sockaddr_in peer;
  socklen_t l = sizeof peer;
  int c = accept4(ls, (void*)&peer, &l, SOCK_NONBLOCK | SOCK_CLOEXEC);
  printf("accept4 ok %d from %s len %d nonblock %d cloexec %d\n", c >= 0, inet_ntoa(peer.sin_addr), (int)l,
         !!(fcntl(c, F_GETFL) & O_NONBLOCK), !!(fcntl(c, F_GETFD) & FD_CLOEXEC));
  struct sockaddr_in me;
  l = sizeof me;
  getsockname(c, (void*)&me, &l);
  printf("accepted local %s:%d\n", inet_ntoa(me.sin_addr), ntohs(me.sin_port));
  int fl = fcntl(c, F_GETFL);
  fcntl(c, F_SETFL, fl & ~O_NONBLOCK);
  SHOW(recv(c, b, 4, MSG_WAITALL));
  printf("got %.4s\n", b);
  SHOW(send(c, "pong", 4, 0));
  close(c);
  // Session 2: everything non-blocking under edge-triggered epoll; the peer
  // connects a moment after this thread sleeps in epoll_wait.
  fcntl(ls, F_SETFL, O_NONBLOCK);
  SHOW(accept(ls, NULL, NULL));
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.fd = ls};
  SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev));
  struct epoll_event got[4];
  int n = epoll_wait(ep, got, 4, 10000);
  printf("epoll listener %d in %d\n", n, n == 1 && (got[0].events & EPOLLIN) != 0);
  c = accept4(ls, NULL, NULL, SOCK_NONBLOCK);
  printf("accept ok %d\n", c >= 0);
  SHOW(accept(ls, NULL, NULL));
  ev = (struct epoll_event){.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.fd = c};
  SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev));
  long total = 0;
  int eof = 0, wakeups = 0;
  static char chunk[4096];
  while (!eof && wakeups < 1000) {
    n = epoll_wait(ep, got, 4, 10000);
    if (n <= 0) break;
    wakeups++;
    for (;;) {  // edge-triggered: drain until EAGAIN
      ssize_t r = recv(c, chunk, sizeof chunk, 0);
      if (r > 0) {
        total += r;
        continue;
      }
      if (r == 0) eof = 1;
      else if (errno != EAGAIN) printf("recv = %s\n", en(errno));
      break;
    }
  }
  printf("epoll stream total %ld eof %d\n", total, eof);
  int len = snprintf(b, sizeof b, "got %ld", total);
  SHOW(send(c, b, len, 0) == len);
  SHOW(shutdown(c, SHUT_WR));
  SHOW(recv(c, b, sizeof b, 0));
  // Wait until the peer acknowledged everything (SIOCOUTQ 0): the reply
  // must be delivered before this program, and under shoal its whole
  // stack, exits.
  int outq = -1;
  for (int i = 0; i < 500; i++) {
    ioctl(c, SIOCOUTQ, &outq);
    if (outq == 0) break;
    usleep(10000);
  }
  printf("outq drained %d\n", outq == 0);
  close(c);
  close(ep);
  close(ls);
}

static void datagram(void) {
  printf("== datagram\n");
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in echo = at(g_host, 7004);
  char buf[9000], b2[9000];
  fill(buf, sizeof buf, 5);
  SHOW(sendto(u, buf, 100, 0, (void*)&echo, sizeof echo));
  struct sockaddr_in from;
  socklen_t fl = sizeof from;
  SHOW(recvfrom(u, b2, sizeof b2, 0, (void*)&from, &fl));
  printf("from %s:%d len %d same %d\n", inet_ntoa(from.sin_addr), ntohs(from.sin_port), (int)fl,
         memcmp(buf, b2, 100) == 0);
  struct sockaddr_in me;
  socklen_t ml = sizeof me;
  getsockname(u, (void*)&me, &ml);
  printf("autobound %d\n", ntohs(me.sin_port) != 0);
  // Truncation, peeking, the next datagram's size.
  SHOW(sendto(u, buf, 200, 0, (void*)&echo, sizeof echo));
  SHOW(sendto(u, buf, 300, 0, (void*)&echo, sizeof echo));
  wait_queued(u, 1);
  usleep(100000);
  int q = -1;
  ioctl(u, FIONREAD, &q);
  printf("FIONREAD %d\n", q);
  SHOW(recv(u, b2, 10, MSG_PEEK));
  struct iovec iv = {b2, 50};
  struct msghdr m = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iv, .msg_iovlen = 1};
  SHOW(recvmsg(u, &m, 0));
  printf("trunc %d namelen %d\n", !!(m.msg_flags & MSG_TRUNC), (int)m.msg_namelen);
  SHOW(recv(u, b2, 50, MSG_TRUNC));
  // Gathered send, scattered receive, a fragmented datagram both ways.
  struct iovec out[3] = {{buf, 1000}, {buf + 1000, 0}, {buf + 1000, 7000}};
  m = (struct msghdr){.msg_name = &echo, .msg_namelen = sizeof echo, .msg_iov = out, .msg_iovlen = 3};
  SHOW(sendmsg(u, &m, 0));
  char x[100], y[5000], z[5000];
  struct iovec in[3] = {{x, 100}, {y, 5000}, {z, 5000}};
  m = (struct msghdr){.msg_iov = in, .msg_iovlen = 3};
  SHOW(recvmsg(u, &m, 0));
  printf("scattered same %d %d %d\n", memcmp(x, buf, 100) == 0, memcmp(y, buf + 100, 5000) == 0,
         memcmp(z, buf + 5100, 2900) == 0);
  // Errors.
  SHOW(sendto(u, buf, 70000, 0, (void*)&echo, sizeof echo));
  static char huge[65508];
  SHOW(sendto(u, huge, sizeof huge, 0, (void*)&echo, sizeof echo));
  SHOW(send(u, buf, 10, 0));
  SHOW(sendto(u, buf, 10, 0, (void*)&echo, 8));
  struct sockaddr_in bc = at(g_host, 7004);
  bc.sin_addr.s_addr = htonl(ntohl(g_host.sin_addr.s_addr) | 0xff);
  SHOW(sendto(u, buf, 10, 0, (void*)&bc, sizeof bc));
  bc.sin_addr.s_addr = INADDR_BROADCAST;
  SHOW(sendto(u, buf, 10, 0, (void*)&bc, sizeof bc));
  SHOW(recv(u, b2, 10, MSG_DONTWAIT));
  struct timeval tv = {0, 200000};
  setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  SHOW(recv(u, b2, 10, 0));
  // Connected: send/recv without addresses, then dissolve.
  SHOW(connect(u, (void*)&echo, sizeof echo));
  SHOW(send(u, "conn", 4, 0));
  SHOW(recv(u, b2, sizeof b2, 0));
  socklen_t pl = sizeof from;
  SHOW(getpeername(u, (void*)&from, &pl));
  printf("peer %s:%d\n", inet_ntoa(from.sin_addr), ntohs(from.sin_port));
  struct sockaddr un = {.sa_family = AF_UNSPEC};
  SHOW(connect(u, &un, sizeof un));
  SHOW(getpeername(u, (void*)&from, &pl));
  SHOW(send(u, "x", 1, 0));
  // A closed port answers ICMP port unreachable: the next call says so.
  struct sockaddr_in closed = at(g_host, 7009);
  SHOW(connect(u, (void*)&closed, sizeof closed));
  SHOW(send(u, "x", 1, 0));
  usleep(200000);
  SHOW(recv(u, b2, 10, 0));
  printf("SO_ERROR %d\n", get_int(u, SOL_SOCKET, SO_ERROR));
  close(u);
  // A bound receiver gets a datagram the peer sends to it.
  u = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in mine = at(g_guest, 8002);
  SHOW(bind(u, (void*)&mine, sizeof mine));
  int u2 = socket(AF_INET, SOCK_DGRAM, 0);
  SHOW(bind(u2, (void*)&mine, sizeof mine));
  close(u2);
  char req[32];
  int len = snprintf(req, sizeof req, "reply-to 8002");
  SHOW(sendto(u, req, len, 0, (void*)&echo, sizeof echo));
  SHOW(recv(u, b2, sizeof b2, 0));
  close(u);
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: sockapi HOST_IP GUEST_IP\n");
    return 2;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  g_host.sin_family = g_guest.sin_family = AF_INET;
  inet_pton(AF_INET, argv[1], &g_host.sin_addr);
  inet_pton(AF_INET, argv[2], &g_guest.sin_addr);
  struct sigaction sa = {.sa_handler = on_sigpipe};
  sigaction(SIGPIPE, &sa, NULL);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  creation();
  options();
  stream();
  bulk_in();
  resets();
  nonblocking_connect();
  datagram();
  listener();
  printf("== done\n");
  return 0;
}

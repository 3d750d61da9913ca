// AF_INET stream sockets without a peer: what a program sees of a socket
// before it connects, of a listener with nothing queued, the options, and
// the errors. Connections themselves need the pool's channel (tests/net-guest).
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "compat.h"

static struct sockaddr_in loopback(int port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(0x7f000001)};
  return a;
}

static void show_poll(int fd, short events) {
  struct pollfd p = {fd, events, 0};
  int n = poll(&p, 1, 0);
  printf("poll = %d revents %x\n", n, p.revents);
}

static int get_int(int fd, int level, int name) {
  int v = -1;
  socklen_t l = sizeof v;
  if (getsockopt(fd, level, name, &v, &l) != 0) return -1000 - errno;
  return v;
}

CASE(socket_create_errors)
// covers: socket socketpair
{
  int sv[2];
  SHOW(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP));
  SHOW(socket(AF_INET, 99, 0));
  SHOW(socket(99, SOCK_STREAM, 0));
  SHOW(socket(-1, SOCK_STREAM, 0));
  SHOW(socket(AF_INET, SOCK_STREAM | 0x100, 0));
  SHOW(socketpair(AF_INET, SOCK_STREAM, 0, sv));
  OK(socket(AF_INET, SOCK_STREAM, IPPROTO_TCP));
  int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  SHOW(fcntl(s, F_GETFD));
  SHOW(fcntl(s, F_GETFL) & (O_NONBLOCK | O_ACCMODE));
  struct stat st;
  fstat(s, &st);
  printf("S_ISSOCK %d\n", S_ISSOCK(st.st_mode));
}

CASE(socket_unconnected)
// covers: read write send recv shutdown getpeername getsockname poll ioctl
{
  signal(SIGPIPE, SIG_IGN);
  int s = socket(AF_INET, SOCK_STREAM, 0);
  char b[4];
  SHOW(read(s, b, 4));
  SHOW(write(s, "x", 1));
  SHOW(send(s, "x", 1, MSG_NOSIGNAL));
  SHOW(recv(s, b, 4, MSG_DONTWAIT));
  SHOW(shutdown(s, SHUT_WR));
  SHOW(shutdown(s, 7));
  struct sockaddr_in a;
  socklen_t l = sizeof a;
  SHOW(getpeername(s, (struct sockaddr*)&a, &l));
  l = sizeof a;
  SHOW(getsockname(s, (struct sockaddr*)&a, &l));
  printf("len %u family %d port %d\n", l, a.sin_family, ntohs(a.sin_port));
  l = 4;
  SHOW(getsockname(s, (struct sockaddr*)&a, &l));
  printf("len %u\n", l);
  show_poll(s, POLLIN | POLLOUT | POLLRDHUP);
  int n = -1;
  SHOW(ioctl(s, FIONREAD, &n));
  printf("FIONREAD %d\n", n);
  int p[2];
  pipe(p);
  SHOW(getsockopt(p[0], SOL_SOCKET, SO_TYPE, &n, &l));
  SHOW(bind(p[0], (struct sockaddr*)&a, sizeof a));
  SHOW(shutdown(p[0], SHUT_RD));
}

CASE(socket_options)
// covers: setsockopt getsockopt
{
  int s = socket(AF_INET, SOCK_STREAM, 0);
  printf("SO_TYPE %d SO_ERROR %d SO_ACCEPTCONN %d\n", get_int(s, SOL_SOCKET, SO_TYPE),
         get_int(s, SOL_SOCKET, SO_ERROR), get_int(s, SOL_SOCKET, SO_ACCEPTCONN));
  printf("SO_PROTOCOL %d SO_DOMAIN %d\n", get_int(s, SOL_SOCKET, SO_PROTOCOL), get_int(s, SOL_SOCKET, SO_DOMAIN));
  printf("SO_RCVBUF %d SO_SNDBUF %d\n", get_int(s, SOL_SOCKET, SO_RCVBUF), get_int(s, SOL_SOCKET, SO_SNDBUF));
  int v = 1000;
  SHOW(setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, sizeof v));
  v = 100000;
  SHOW(setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, sizeof v));
  printf("SO_RCVBUF %d SO_SNDBUF %d\n", get_int(s, SOL_SOCKET, SO_RCVBUF), get_int(s, SOL_SOCKET, SO_SNDBUF));
  v = 5;
  SHOW(setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v));
  SHOW(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, sizeof v));
  SHOW(setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &v, sizeof v));
  SHOW(setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof v));
  printf("TCP_NODELAY %d SO_REUSEADDR %d SO_REUSEPORT %d SO_KEEPALIVE %d\n", get_int(s, IPPROTO_TCP, TCP_NODELAY),
         get_int(s, SOL_SOCKET, SO_REUSEADDR), get_int(s, SOL_SOCKET, SO_REUSEPORT),
         get_int(s, SOL_SOCKET, SO_KEEPALIVE));
  SHOW(setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &v, 2));
  SHOW(setsockopt(s, SOL_SOCKET, 9999, &v, sizeof v));
  SHOW(setsockopt(s, IPPROTO_TCP, 9999, &v, sizeof v));
  SHOW(setsockopt(s, 99, 1, &v, sizeof v));
  socklen_t l = sizeof v;
  SHOW(getsockopt(s, 99, 1, &v, &l));
  SHOW(getsockopt(s, SOL_SOCKET, 9999, &v, &l));
  SHOW(syscall(SYS_setsockopt, s, SOL_SOCKET, SO_KEEPALIVE, BAD_PTR, 4));
  SHOW(syscall(SYS_getsockopt, s, SOL_SOCKET, SO_KEEPALIVE, &v, BAD_PTR));
  l = 2;
  SHOW(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &l));
  printf("len %u\n", l);
  struct linger lg = {1, 0};
  l = sizeof lg;
  SHOW(getsockopt(s, SOL_SOCKET, SO_LINGER, &lg, &l));
  printf("linger len %u %d %d\n", l, lg.l_onoff, lg.l_linger);
  lg.l_onoff = 1;
  lg.l_linger = 5;
  SHOW(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
  SHOW(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, 4));
  l = sizeof lg;
  getsockopt(s, SOL_SOCKET, SO_LINGER, &lg, &l);
  printf("linger %d %d\n", lg.l_onoff, lg.l_linger);
  struct timeval tv = {0, 2000000};
  SHOW(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
  tv.tv_sec = 3;
  tv.tv_usec = 500000;
  SHOW(setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv));
  SHOW(setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, 8));
  l = sizeof tv;
  memset(&tv, 0, sizeof tv);
  SHOW(getsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, &l));
  printf("sndtimeo %ld.%06ld len %u\n", (long)tv.tv_sec, (long)tv.tv_usec, l);
}

CASE(socket_connect_refused)
// covers: connect read write poll
{
  signal(SIGPIPE, SIG_IGN);
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = loopback(1);
  SHOW(connect(s, (struct sockaddr*)&a, sizeof a));
  SHOW(connect(s, (struct sockaddr*)&a, sizeof a));
  printf("SO_ERROR %d\n", get_int(s, SOL_SOCKET, SO_ERROR));
  char b[1];
  SHOW(write(s, "x", 1));
  SHOW(read(s, b, 1));
  show_poll(s, POLLIN | POLLOUT);
  SHOW(connect(s, (struct sockaddr*)&a, 8));
  a.sin_family = AF_INET6;
  SHOW(connect(s, (struct sockaddr*)&a, sizeof a));
  SHOW(syscall(SYS_connect, s, BAD_PTR, sizeof a));
}

static struct sockaddr_in any_addr(void) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_ANY)};
  return a;
}

CASE(socket_bind)
// covers: bind getsockname
{
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = any_addr();
  SHOW(bind(s, (struct sockaddr*)&a, 8));
  a.sin_family = AF_INET6;
  SHOW(bind(s, (struct sockaddr*)&a, sizeof a));
  a.sin_family = AF_INET;
  SHOW(bind(s, (struct sockaddr*)&a, sizeof a));
  SHOW(bind(s, (struct sockaddr*)&a, sizeof a));
  socklen_t l = sizeof a;
  getsockname(s, (struct sockaddr*)&a, &l);
  int port = ntohs(a.sin_port);
  printf("ephemeral %d addr %x\n", port >= 32768 && port <= 60999, ntohl(a.sin_addr.s_addr));
  int t = socket(AF_INET, SOCK_STREAM, 0);
  SHOW(bind(t, (struct sockaddr*)&a, sizeof a));
  // SO_REUSEADDR on both, neither listening: the port may be shared; one may listen.
  int one = 1;
  int u = socket(AF_INET, SOCK_STREAM, 0), w = socket(AF_INET, SOCK_STREAM, 0);
  setsockopt(u, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(w, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in b = any_addr();
  SHOW(bind(u, (struct sockaddr*)&b, sizeof b));
  l = sizeof b;
  getsockname(u, (struct sockaddr*)&b, &l);
  SHOW(bind(w, (struct sockaddr*)&b, sizeof b));
  SHOW(listen(u, 1));
  SHOW(listen(w, 1));
  SHOW(syscall(SYS_bind, t, BAD_PTR, sizeof a));
}

CASE(socket_listener)
// covers: listen accept accept4 read write connect shutdown ioctl poll epoll_ctl
{
  signal(SIGPIPE, SIG_IGN);
  int s = socket(AF_INET, SOCK_STREAM, 0);
  SHOW(listen(s, 5));
  SHOW(listen(s, 10));
  struct sockaddr_in a;
  socklen_t l = sizeof a;
  getsockname(s, (struct sockaddr*)&a, &l);
  printf("ephemeral %d\n", ntohs(a.sin_port) >= 32768);
  char b[1];
  SHOW(read(s, b, 1));
  SHOW(write(s, b, 1));
  SHOW(accept4(s, NULL, NULL, 0x1));
  int fl = fcntl(s, F_GETFL);
  fcntl(s, F_SETFL, fl | O_NONBLOCK);
  SHOW(accept(s, NULL, NULL));
  fcntl(s, F_SETFL, fl);
  int on = 1;
  SHOW(ioctl(s, FIONBIO, &on));
  SHOW(accept4(s, (struct sockaddr*)&a, &l, SOCK_CLOEXEC));
  printf("SO_ACCEPTCONN %d\n", get_int(s, SOL_SOCKET, SO_ACCEPTCONN));
  struct sockaddr_in c = loopback(1);
  SHOW(connect(s, (struct sockaddr*)&c, sizeof c));
  int n;
  SHOW(ioctl(s, FIONREAD, &n));
  show_poll(s, POLLIN | POLLOUT);
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u64 = 1};
  SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev));
  struct epoll_event out[2];
  SHOW(epoll_wait(ep, out, 2, 0));
  SHOW(shutdown(s, SHUT_WR));
  SHOW(shutdown(s, SHUT_RD));
  SHOW(accept(s, NULL, NULL));
  show_poll(s, POLLIN | POLLOUT);
  int t = socket(AF_INET, SOCK_STREAM, 0);
  ev.data.u64 = 2;
  SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, t, &ev));
  SHOW(epoll_wait(ep, out, 2, 0));
  printf("events %x data %llu\n", out[0].events, (unsigned long long)out[0].data.u64);
  SHOW(accept(t, NULL, NULL));
}

SHOAL_CASE(socket_unsupported)
// covers: socket socketpair connect
{
  // AF_UNIX lives in the instance (cases/unix.c); AF_INET and AF_INET6
  // (dual-stack) go through the loopback-only stack here (no device, no
  // channel: cases/loopback.c); other families and types fail as on a kernel
  // built without them.
  int sv[2];
  SHOW(socket(AF_INET6, SOCK_STREAM, 0));
  SHOW(socket(AF_UNIX, SOCK_STREAM, 0));
  SHOW(socket(AF_NETLINK, SOCK_RAW, 0));
  SHOW(socket(AF_INET, SOCK_DGRAM, 0));
  SHOW(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
  SHOW(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  // Without a channel or a device (shoal run), no address but the loopback
  // is reachable; nothing listens there, so a non-blocking connect is in
  // progress until the reset comes back, as on Linux.
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in far = {.sin_family = AF_INET, .sin_port = htons(80), .sin_addr.s_addr = htonl(0x0a010203)};
  SHOW(connect(s, (struct sockaddr*)&far, sizeof far));
  int t = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in a = loopback(1);
  SHOW(connect(t, (struct sockaddr*)&a, sizeof a));
}

// A program talking to itself over 127.0.0.1: UDP to its own port, TCP to
// its own listener. Linux always has `lo`; shoal must too, with or without a
// network device (run.sh runs these under `shoal run` without one;
// tests/net-guest/loopback.sh runs them with --net in a namespace it makes).
// No port numbers are printed: they are picked by the system.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>

#include "compat.h"

static struct sockaddr_in loop_addr(int port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  return a;
}

static int port_of(int fd) {
  struct sockaddr_in a;
  socklen_t l = sizeof a;
  if (getsockname(fd, (struct sockaddr*)&a, &l) != 0) return -1;
  return ntohs(a.sin_port);
}

// A listening TCP socket on 127.0.0.1 (or any address) and a system-chosen port.
static int tcp_listener(uint32_t addr, int* port) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(addr)};
  int one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(l, (struct sockaddr*)&a, sizeof a) != 0 || listen(l, 8) != 0) {
    printf("listener: %s\n", errname(errno));
    exit(3);
  }
  *port = port_of(l);
  return l;
}

static void show_read(const char* label, int fd) {
  char buf[64];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n < 0)
    printf("%s = -1 %s\n", label, errname(errno));
  else
    print_buf(label, buf, n);
  fflush(stdout);
}

CASE(loop_udp_self)
// covers: socket bind sendto recvfrom connect send recv
{
  int a = socket(AF_INET, SOCK_DGRAM, 0);
  int b = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in any = loop_addr(0);
  SHOW(bind(a, (struct sockaddr*)&any, sizeof any));
  SHOW(bind(b, (struct sockaddr*)&any, sizeof any));
  int pa = port_of(a), pb = port_of(b);
  printf("ports differ %d nonzero %d\n", pa != pb, pa > 0 && pb > 0);
  struct sockaddr_in to_b = loop_addr(pb);
  SHOW(sendto(a, "ping", 4, 0, (struct sockaddr*)&to_b, sizeof to_b));
  char buf[16];
  struct sockaddr_in from;
  socklen_t fl = sizeof from;
  long n = recvfrom(b, buf, sizeof buf, 0, (struct sockaddr*)&from, &fl);
  print_buf("b got", buf, n);
  printf("from 127.0.0.1 %d port is a's %d\n", from.sin_addr.s_addr == htonl(INADDR_LOOPBACK), ntohs(from.sin_port) == pa);
  // Echo back to the source.
  SHOW(sendto(b, "pong", 4, 0, (struct sockaddr*)&from, fl));
  n = recv(a, buf, sizeof buf, 0);
  print_buf("a got", buf, n);
  // A socket sending to itself, and a connected one.
  struct sockaddr_in to_a = loop_addr(pa);
  SHOW(sendto(a, "self", 4, 0, (struct sockaddr*)&to_a, sizeof to_a));
  n = recv(a, buf, sizeof buf, 0);
  print_buf("a got", buf, n);
  SHOW(connect(a, (struct sockaddr*)&to_b, sizeof to_b));
  SHOW(send(a, "conn", 4, 0));
  n = recv(b, buf, sizeof buf, 0);
  print_buf("b got", buf, n);
  // An unbound socket gets a port at its first send.
  int c = socket(AF_INET, SOCK_DGRAM, 0);
  SHOW(sendto(c, "auto", 4, 0, (struct sockaddr*)&to_b, sizeof to_b));
  fl = sizeof from;
  n = recvfrom(b, buf, sizeof buf, 0, (struct sockaddr*)&from, &fl);
  print_buf("b got", buf, n);
  printf("from c's port %d\n", ntohs(from.sin_port) == port_of(c));
  SHOW(recv(b, buf, sizeof buf, MSG_DONTWAIT));
}

CASE(loop_tcp_self)
// covers: socket bind listen connect accept getsockname getpeername read write close
{
  int port;
  int l = tcp_listener(INADDR_LOOPBACK, &port);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in to = loop_addr(port);
  SHOW(connect(c, (struct sockaddr*)&to, sizeof to));
  struct sockaddr_in peer;
  socklen_t pl = sizeof peer;
  int s = accept(l, (struct sockaddr*)&peer, &pl);
  printf("accept ok %d\n", s >= 0);
  printf("peer is 127.0.0.1 %d port is the client's %d\n", peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK),
         ntohs(peer.sin_port) == port_of(c));
  struct sockaddr_in cp;
  socklen_t cl = sizeof cp;
  getpeername(c, (struct sockaddr*)&cp, &cl);
  printf("client's peer is the listener %d\n", ntohs(cp.sin_port) == port);
  SHOW(write(c, "hello server", 12));
  show_read("server reads", s);
  SHOW(write(s, "hello client", 12));
  show_read("client reads", c);
  SHOW(close(c));
  show_read("server reads at eof", s);
  SHOW(close(s));
  // A second connection to the same listener.
  int d = socket(AF_INET, SOCK_STREAM, 0);
  SHOW(connect(d, (struct sockaddr*)&to, sizeof to));
  int t = accept(l, NULL, NULL);
  SHOW(write(t, "again", 5));
  show_read("reads", d);
}

CASE(loop_tcp_any)
// covers: bind listen connect accept poll getsockopt
{
  // A listener on INADDR_ANY answers 127.0.0.1; a non-blocking connect
  // completes through poll.
  int port;
  int l = tcp_listener(INADDR_ANY, &port);
  int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in to = loop_addr(port);
  int r = connect(c, (struct sockaddr*)&to, sizeof to);
  printf("connect = %s\n", r == 0 ? "0" : errname(errno));
  struct pollfd p = {c, POLLOUT, 0};
  SHOW(poll(&p, 1, 5000));
  printf("revents 0x%x\n", p.revents);
  int err = -1;
  socklen_t el = sizeof err;
  SHOW(getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &el));
  printf("SO_ERROR %d\n", err);
  int s = accept(l, NULL, NULL);
  printf("accept ok %d\n", s >= 0);
  SHOW(write(s, "via any", 7));
  struct pollfd q = {c, POLLIN, 0};
  SHOW(poll(&q, 1, 5000));
  show_read("client reads", c);
}

CASE(loop_tcp_refused)
// covers: connect
{
  // A port nobody listens on (bound, then closed without listening).
  int b = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in any = loop_addr(0);
  bind(b, (struct sockaddr*)&any, sizeof any);
  int port = port_of(b);
  close(b);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in to = loop_addr(port);
  SHOW(connect(c, (struct sockaddr*)&to, sizeof to));
  // UDP to a closed port: the ICMP error comes back to a connected socket.
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  SHOW(connect(u, (struct sockaddr*)&to, sizeof to));
  SHOW(send(u, "x", 1, 0));
  struct pollfd p = {u, POLLIN, 0};
  poll(&p, 1, 1000);
  char buf[4];
  SHOW(recv(u, buf, sizeof buf, MSG_DONTWAIT));
}

static int g_port;
static void* client_thread(void* arg) {
  (void)arg;
  int c = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in to = loop_addr(g_port);
  if (connect(c, (struct sockaddr*)&to, sizeof to) != 0) return (void*)1;
  static char big[200000];
  memset(big, 'b', sizeof big);
  size_t done = 0;
  while (done < sizeof big) {
    ssize_t n = write(c, big + done, sizeof big - done);
    if (n <= 0) return (void*)2;
    done += (size_t)n;
  }
  close(c);
  return NULL;
}

CASE(loop_tcp_threads)
// covers: accept read
{
  // A thread connects and streams 200 KB while the main thread reads.
  int l = tcp_listener(INADDR_LOOPBACK, &g_port);
  pthread_t t;
  pthread_create(&t, NULL, client_thread, NULL);
  int s = accept(l, NULL, NULL);
  long total = 0;
  char buf[4096];
  ssize_t n;
  while ((n = read(s, buf, sizeof buf)) > 0) total += n;
  void* rc;
  pthread_join(t, &rc);
  printf("read %ld bytes, client status %ld\n", total, (long)rc);
}

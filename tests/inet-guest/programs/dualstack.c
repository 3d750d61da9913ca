// AF_INET6 sockets as Linux makes them (issue 11 point 6), run natively and
// under shoal with the same output: a "::" listener accepting IPv4 peers as
// v4-mapped addresses, ::1 loopback, IPV6_V6ONLY, UDP both ways, and the
// errors of native IPv6 addresses no route reaches.
//
//   dualstack GUEST_IP
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SHOW(expr)                                                                   \
  do {                                                                               \
    errno = 0;                                                                       \
    long r_ = (long)(expr);                                                          \
    printf("%-60s = %ld %s\n", #expr, r_, r_ < 0 ? strerrorname_np(errno) : "");     \
  } while (0)

static const char* show6(const struct sockaddr_in6* a, socklen_t len, int* port) {
  static char buf[INET6_ADDRSTRLEN + 32];
  char ip[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
  *port = ntohs(a->sin6_port);
  snprintf(buf, sizeof buf, "family %d len %d [%s]", a->sin6_family, (int)len, ip);
  return buf;
}

static void name(const char* what, int fd, int peer, int fixed_port) {
  struct sockaddr_in6 a;
  memset(&a, 0, sizeof a);
  socklen_t l = sizeof a;
  int r = peer ? getpeername(fd, (void*)&a, &l) : getsockname(fd, (void*)&a, &l);
  if (r < 0) {
    printf("%s: %s\n", what, strerrorname_np(errno));
    return;
  }
  int port;
  const char* s = show6(&a, l, &port);
  if (fixed_port) printf("%s: %s:%d\n", what, s, port);
  else printf("%s: %s:ephemeral %d\n", what, s, port >= 32768 && port <= 60999);
}

static struct sockaddr_in6 sin6(const char* ip, int port) {
  struct sockaddr_in6 a;
  memset(&a, 0, sizeof a);
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(port);
  inet_pton(AF_INET6, ip, &a.sin6_addr);
  return a;
}

static struct sockaddr_in sin4(const char* ip, int port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip, &a.sin_addr);
  return a;
}

static int get_int(int fd, int level, int opt) {
  int v = -1;
  socklen_t l = sizeof v;
  if (getsockopt(fd, level, opt, &v, &l) < 0) return -errno;
  return v;
}

// One connection to the listener: accepted, names shown, a byte each way.
static void session(int lfd, int family, const char* ip, int port) {
  int c = socket(family, SOCK_STREAM, 0);
  int r;
  if (family == AF_INET) {
    struct sockaddr_in a = sin4(ip, port);
    r = connect(c, (void*)&a, sizeof a);
  } else {
    struct sockaddr_in6 a = sin6(ip, port);
    r = connect(c, (void*)&a, sizeof a);
  }
  printf("-- %s client to %s: connect %d %s\n", family == AF_INET ? "AF_INET" : "AF_INET6", ip, r,
         r < 0 ? strerrorname_np(errno) : "");
  if (r < 0) {
    close(c);
    return;
  }
  struct sockaddr_in6 from;
  memset(&from, 0, sizeof from);
  socklen_t fl = sizeof from;
  int s = accept(lfd, (void*)&from, &fl);
  int port_seen;
  printf("accept peer: %s", show6(&from, fl, &port_seen));
  printf(" port ephemeral %d\n", port_seen >= 32768 && port_seen <= 60999);
  name("accepted local", s, 0, 1);
  name("accepted peer", s, 1, 0);
  if (family == AF_INET6) {
    name("client local", c, 0, 0);
    name("client peer", c, 1, 1);
  }
  char b = 0;
  SHOW(write(c, "x", 1));
  SHOW(read(s, &b, 1));
  SHOW(write(s, "y", 1));
  SHOW(read(c, &b, 1));
  printf("got %c\n", b);
  close(s);
  close(c);
}

static void stream(const char* guest_ip) {
  printf("== stream\n");
  int l = socket(AF_INET6, SOCK_STREAM, 0);
  printf("v6only default %d domain %d\n", get_int(l, IPPROTO_IPV6, IPV6_V6ONLY), get_int(l, SOL_SOCKET, SO_DOMAIN));
  int one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in6 any = sin6("::", 7101);
  SHOW(bind(l, (void*)&any, sizeof any));
  SHOW(listen(l, 8));
  name("listener", l, 0, 1);
  char mapped[64];
  snprintf(mapped, sizeof mapped, "::ffff:%s", guest_ip);
  session(l, AF_INET, "127.0.0.1", 7101);
  session(l, AF_INET, guest_ip, 7101);
  session(l, AF_INET6, "::ffff:127.0.0.1", 7101);
  session(l, AF_INET6, mapped, 7101);
  session(l, AF_INET6, "::1", 7101);
  close(l);
}

static void addresses(void) {
  printf("== addresses\n");
  int s = socket(AF_INET6, SOCK_STREAM, 0);
  struct sockaddr_in6 a = sin6("2001:db8::1", 7102);
  SHOW(bind(s, (void*)&a, sizeof a));
  SHOW(bind(s, (void*)&a, 20));
  struct sockaddr_in v4 = sin4("127.0.0.1", 7102);
  SHOW(bind(s, (void*)&v4, sizeof v4));
  SHOW(connect(s, (void*)&a, sizeof a));
  close(s);
  s = socket(AF_INET6, SOCK_STREAM, 0);
  struct sockaddr_in6 lo = sin6("::1", 7103);
  SHOW(bind(s, (void*)&lo, sizeof lo));
  name("bound ::1", s, 0, 1);
  close(s);
  // A connect to :: goes to the loopback (Linux).
  int l = socket(AF_INET6, SOCK_STREAM, 0);
  SHOW(bind(l, (void*)&lo, sizeof lo));
  SHOW(listen(l, 1));
  int c = socket(AF_INET6, SOCK_STREAM, 0);
  struct sockaddr_in6 any = sin6("::", 7103);
  SHOW(connect(c, (void*)&any, sizeof any));
  name("connect to :: peer", c, 1, 1);
  close(c);
  close(l);
}

static void v6only(void) {
  printf("== v6only\n");
  int s = socket(AF_INET6, SOCK_STREAM, 0);
  int one = 1;
  SHOW(setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one));
  printf("v6only %d\n", get_int(s, IPPROTO_IPV6, IPV6_V6ONLY));
  struct sockaddr_in6 m = sin6("::ffff:127.0.0.1", 7104);
  SHOW(bind(s, (void*)&m, sizeof m));
  SHOW(connect(s, (void*)&m, sizeof m));
  close(s);
  // A v6-only listener still takes ::1.
  int l = socket(AF_INET6, SOCK_STREAM, 0);
  setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in6 any = sin6("::", 7105);
  SHOW(bind(l, (void*)&any, sizeof any));
  SHOW(listen(l, 4));
  session(l, AF_INET6, "::1", 7105);
  // ... refuses IPv4 peers, and shares its port with an AF_INET listener,
  // which takes IPv4 peers and refuses ::1.
  session(l, AF_INET, "127.0.0.1", 7105);
  int l4 = socket(AF_INET, SOCK_STREAM, 0);
  setsockopt(l4, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in any4 = sin4("0.0.0.0", 7105);
  SHOW(bind(l4, (void*)&any4, sizeof any4));
  SHOW(listen(l4, 4));
  session(l, AF_INET6, "::1", 7105);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in lo4 = sin4("127.0.0.1", 7105);
  SHOW(connect(c, (void*)&lo4, sizeof lo4));
  int a = accept(l4, NULL, NULL);
  printf("AF_INET listener took the IPv4 client: %d\n", a >= 0);
  close(a);
  close(c);
  close(l4);
  // A dual-stack socket on the port conflicts with both.
  int d = socket(AF_INET6, SOCK_STREAM, 0);
  SHOW(bind(d, (void*)&any, sizeof any));
  close(d);
  // An AF_INET listener alone on its port refuses ::1.
  int only4 = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in p4 = sin4("0.0.0.0", 7107);
  SHOW(bind(only4, (void*)&p4, sizeof p4));
  SHOW(listen(only4, 4));
  session(only4, AF_INET6, "::1", 7107);
  close(only4);
  // IPV6_V6ONLY is fixed once bound.
  int zero = 0;
  SHOW(setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero));
  printf("v6only %d\n", get_int(l, IPPROTO_IPV6, IPV6_V6ONLY));
  close(l);
}

static void datagram(void) {
  printf("== datagram\n");
  int u = socket(AF_INET6, SOCK_DGRAM, 0);
  struct sockaddr_in6 any = sin6("::", 7106);
  SHOW(bind(u, (void*)&any, sizeof any));
  int v4 = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in to4 = sin4("127.0.0.1", 7106);
  SHOW(sendto(v4, "four", 4, 0, (void*)&to4, sizeof to4));
  char buf[16] = {0};
  struct sockaddr_in6 from;
  socklen_t fl = sizeof from;
  SHOW(recvfrom(u, buf, sizeof buf, 0, (void*)&from, &fl));
  int port;
  printf("from %s got %s\n", show6(&from, fl, &port), buf);
  SHOW(sendto(u, "back", 4, 0, (void*)&from, fl));
  struct sockaddr_in from4;
  socklen_t fl4 = sizeof from4;
  memset(buf, 0, sizeof buf);
  SHOW(recvfrom(v4, buf, sizeof buf, 0, (void*)&from4, &fl4));
  printf("v4 got %s from %s:%d\n", buf, inet_ntoa(from4.sin_addr), ntohs(from4.sin_port));
  int u6 = socket(AF_INET6, SOCK_DGRAM, 0);
  struct sockaddr_in6 to6 = sin6("::1", 7106);
  SHOW(sendto(u6, "six", 3, 0, (void*)&to6, sizeof to6));
  memset(buf, 0, sizeof buf);
  fl = sizeof from;
  SHOW(recvfrom(u, buf, sizeof buf, 0, (void*)&from, &fl));
  printf("from %s got %s\n", show6(&from, fl, &port), buf);
  struct sockaddr_in6 nowhere = sin6("2001:db8::2", 9);
  SHOW(sendto(u6, "x", 1, 0, (void*)&nowhere, sizeof nowhere));
  // A v6-only socket shares the port with an AF_INET one; each gets its own.
  int only6 = socket(AF_INET6, SOCK_DGRAM, 0);
  int one = 1;
  SHOW(setsockopt(only6, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one));
  struct sockaddr_in6 any7 = sin6("::", 7108);
  SHOW(bind(only6, (void*)&any7, sizeof any7));
  int only4 = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in any47 = sin4("0.0.0.0", 7108);
  SHOW(bind(only4, (void*)&any47, sizeof any47));
  struct sockaddr_in to47 = sin4("127.0.0.1", 7108);
  struct sockaddr_in6 to67 = sin6("::1", 7108);
  SHOW(sendto(v4, "to-v4", 5, 0, (void*)&to47, sizeof to47));
  SHOW(sendto(u6, "to-v6", 5, 0, (void*)&to67, sizeof to67));
  memset(buf, 0, sizeof buf);
  SHOW(recv(only4, buf, sizeof buf, 0));
  printf("AF_INET socket got %s\n", buf);
  memset(buf, 0, sizeof buf);
  SHOW(recv(only6, buf, sizeof buf, 0));
  printf("v6-only socket got %s\n", buf);
  SHOW(recv(only4, buf, sizeof buf, MSG_DONTWAIT));
  SHOW(recv(only6, buf, sizeof buf, MSG_DONTWAIT));
  close(only4);
  close(only6);
  close(u6);
  close(v4);
  close(u);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: dualstack GUEST_IP\n");
    return 2;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  stream(argv[1]);
  addresses();
  v6only();
  datagram();
  printf("== done\n");
  return 0;
}

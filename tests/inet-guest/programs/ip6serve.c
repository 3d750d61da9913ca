// ip6serve TCPPORT UDPPORT: an IPv6 server for tests/inet/ip6.sh, run under
// shoal and natively. On [::]:TCPPORT (IPV6_V6ONLY) it answers "GET /N" with N bytes of
// 'a'..'z' repeated (HTTP/1.0, then close); on [::]:UDPPORT it echoes each
// datagram to its sender. Each peer address is printed as the socket calls
// give it (getpeername/getsockname/recvfrom), so the script can check that
// the guest sees the host's real IPv6 address.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char* show(const struct sockaddr_in6* a, char* buf) {
  inet_ntop(AF_INET6, &a->sin6_addr, buf, INET6_ADDRSTRLEN);
  return buf;
}

static int listen_on(int type, int port) {
  int fd = socket(AF_INET6, type, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  // The TCP listener takes IPv6 peers only (IPv4 clients are refused); the
  // UDP socket is dual-stack.
  if (type == SOCK_STREAM) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  struct sockaddr_in6 a;
  memset(&a, 0, sizeof(a));
  a.sin6_family = AF_INET6;
  a.sin6_port = htons((unsigned short)port);
  a.sin6_addr = in6addr_any;
  if (fd < 0 || bind(fd, (struct sockaddr*)&a, sizeof(a)) != 0 || (type == SOCK_STREAM && listen(fd, 16) != 0)) {
    perror("ip6serve: socket/bind/listen");
    exit(1);
  }
  return fd;
}

// errno of bind (connect 0) or connect (1) of a new socket of type to
// fe80::1 with scope id scope (0: an RFC 2133 sockaddr without one).
static int link_local_errno(int type, int connect_it, unsigned scope) {
  int fd = socket(AF_INET6, type, 0);
  struct sockaddr_in6 a;
  memset(&a, 0, sizeof(a));
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(4242);
  inet_pton(AF_INET6, "fe80::1", &a.sin6_addr);
  a.sin6_scope_id = scope;
  socklen_t len = scope != 0 ? sizeof(a) : 24;
  int r = connect_it ? connect(fd, (struct sockaddr*)&a, len) : bind(fd, (struct sockaddr*)&a, len);
  int e = r == 0 ? 0 : errno;
  close(fd);
  return e;
}

// errno of IPV6_JOIN_GROUP (join 1) or IPV6_LEAVE_GROUP on fd.
static int membership(int fd, int join, const char* group, int ifindex) {
  struct ipv6_mreq m;
  memset(&m, 0, sizeof(m));
  inet_pton(AF_INET6, group, &m.ipv6mr_multiaddr);
  m.ipv6mr_interface = ifindex;
  return setsockopt(fd, IPPROTO_IPV6, join ? IPV6_JOIN_GROUP : IPV6_LEAVE_GROUP, &m, sizeof(m)) == 0 ? 0 : errno;
}

static void serve(int c) {
  char req[2048];
  size_t got = 0;
  while (got < sizeof(req) - 1) {
    ssize_t n = read(c, req + got, sizeof(req) - 1 - got);
    if (n <= 0) return;
    got += (size_t)n;
    req[got] = 0;
    if (strstr(req, "\r\n\r\n") != NULL) break;
  }
  long len = strncmp(req, "GET /", 5) == 0 ? atol(req + 5) : 0;
  char head[128];
  int hl = snprintf(head, sizeof(head), "HTTP/1.0 200 OK\r\nContent-Length: %ld\r\nConnection: close\r\n\r\n", len);
  if (write(c, head, (size_t)hl) != hl) return;
  char chunk[65536];
  for (size_t i = 0; i < sizeof(chunk); ++i) chunk[i] = (char)('a' + i % 26);
  for (long off = 0; off < len;) {
    // The pattern continues across chunks: 65536 is not a multiple of 26.
    size_t start = (size_t)(off % 26);
    size_t n = (size_t)(len - off) < sizeof(chunk) - 26 ? (size_t)(len - off) : sizeof(chunk) - 26;
    ssize_t w = write(c, chunk + start, n);
    if (w <= 0) return;
    off += w;
  }
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: ip6serve TCPPORT UDPPORT\n");
    return 2;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  int t = listen_on(SOCK_STREAM, atoi(argv[1]));
  int u = listen_on(SOCK_DGRAM, atoi(argv[2]));
  // Link-local addresses need a scope id (bind, connect), an unknown one is
  // ENODEV for bind and ENETUNREACH for connect: the errnos, as numbers.
  printf("scope checks: %d %d %d %d\n", link_local_errno(SOCK_STREAM, 0, 0), link_local_errno(SOCK_DGRAM, 0, 999),
         link_local_errno(SOCK_DGRAM, 1, 0), link_local_errno(SOCK_STREAM, 1, 999));
  // The UDP socket joins ff12::1234 (interface 0: the one the group routes
  // to); then the errnos of joining it again, a unicast address, on an
  // interface that does not exist, and of leaving a group never joined.
  int joined = membership(u, 1, "ff12::1234", 0);
  printf("joined ff12::1234: %d\n", joined);
  printf("mcast checks: %d %d %d %d\n", membership(u, 1, "ff12::1234", 0), membership(u, 1, "fd00::1", 0),
         membership(u, 1, "ff12::99", 999), membership(u, 0, "ff12::98", 0));
  printf("ip6serve: listening\n");
  for (;;) {
    struct pollfd p[2] = {{t, POLLIN, 0}, {u, POLLIN, 0}};
    if (poll(p, 2, -1) < 0) return 1;
    char b1[INET6_ADDRSTRLEN], b2[INET6_ADDRSTRLEN];
    if (p[0].revents & POLLIN) {
      struct sockaddr_in6 peer, local, name;
      socklen_t pl = sizeof(peer), ll = sizeof(local), nl = sizeof(name);
      int c = accept(t, (struct sockaddr*)&peer, &pl);
      if (c < 0) continue;
      getsockname(c, (struct sockaddr*)&local, &ll);
      getpeername(c, (struct sockaddr*)&name, &nl);
      printf("tcp peer %s local %s getpeername %s family %d\n", show(&peer, b1), show(&local, b2),
             show(&name, b1), peer.sin6_family);
      serve(c);
      close(c);
    }
    if (p[1].revents & POLLIN) {
      static char buf[70000];  // a datagram may be up to 65527 bytes over IPv6
      struct sockaddr_in6 from;
      socklen_t fl = sizeof(from);
      ssize_t n = recvfrom(u, buf, sizeof(buf), 0, (struct sockaddr*)&from, &fl);
      if (n < 0) continue;
      if (from.sin6_scope_id != 0) printf("udp from %s len %zd scope %u\n", show(&from, b1), n, from.sin6_scope_id);
      else printf("udp from %s len %zd\n", show(&from, b1), n);
      sendto(u, buf, (size_t)n, 0, (struct sockaddr*)&from, fl);
    }
  }
}

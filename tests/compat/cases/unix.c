// libc: glibc musl
// AF_UNIX sockets within one process: socketpair, names in the file system
// and abstract ones, listen/accept and the backlog, shutdown and EOF/EPIPE,
// readiness, SO_PEERCRED, SCM_RIGHTS and SCM_CREDENTIALS, MSG_PEEK.
// Linux is the oracle: the same binary runs natively and under shoal.
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "compat.h"

static struct sockaddr_un path_addr(const char* path, socklen_t* len) {
  struct sockaddr_un a;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
  *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
  return a;
}

// An abstract name: a NUL then the bytes of name (no terminator).
static struct sockaddr_un abstract_addr(const char* name, socklen_t* len) {
  struct sockaddr_un a;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  memcpy(a.sun_path + 1, name, strlen(name));
  *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
  return a;
}

// Prints a name as getsockname/getpeername/accept/recvfrom gave it: its
// length and the path (abstract names with '@' for the leading NUL).
static void show_name(const char* label, const struct sockaddr_un* a, socklen_t len) {
  size_t base = offsetof(struct sockaddr_un, sun_path);
  // A path's length depends on the test's directory: show that it fits.
  if (len > base && a->sun_path[0] != '\0')
    printf("%s: len %s", label, len == base + strlen(a->sun_path) + 1 ? "path+1" : "wrong");
  else
    printf("%s: len %u", label, (unsigned)len);
  if (len > base) {
    size_t n = len - offsetof(struct sockaddr_un, sun_path);
    printf(" family %d ", a->sun_family);
    if (a->sun_path[0] == '\0') {
      printf("@");
      for (size_t i = 1; i < n; i++) putchar(a->sun_path[i]);
    } else {
      // Natively the path has the test's temporary prefix: show its tail.
      const char* p = a->sun_path;
      const char* slash = strrchr(p, '/');
      printf("...%s", slash ? slash : p);
    }
  }
  printf("\n");
  fflush(stdout);
}

static void name_of(const char* label, int fd, int peer) {
  struct sockaddr_un a;
  socklen_t len = sizeof a;
  memset(&a, 0, sizeof a);
  int r = peer ? getpeername(fd, (struct sockaddr*)&a, &len) : getsockname(fd, (struct sockaddr*)&a, &len);
  if (r != 0) {
    printf("%s = -1 %s\n", label, errname(errno));
    return;
  }
  show_name(label, &a, len);
}

static void show_poll(const char* label, int fd, short events) {
  struct pollfd p = {fd, events, 0};
  int n = poll(&p, 1, 0);
  printf("%s: poll = %d revents 0x%x\n", label, n, p.revents);
  fflush(stdout);
}

static void recv_show(const char* label, int fd, size_t len, int flags) {
  char buf[256];
  ssize_t n = recv(fd, buf, len, flags);
  if (n < 0) {
    printf("%s = -1 %s\n", label, errname(errno));
    fflush(stdout);
    return;
  }
  print_buf(label, buf, n > (ssize_t)sizeof buf ? (long)sizeof buf : (long)n);
}

static volatile int g_sigpipes;
static void on_sigpipe(int sig) {
  (void)sig;
  g_sigpipes++;
}

// Sends fds over s with SCM_RIGHTS, one byte of data.
static ssize_t send_fds(int s, const int* fds, int n) {
  char data = 'F';
  struct iovec iov = {&data, 1};
  union {
    char buf[CMSG_SPACE(sizeof(int) * 8)];
    struct cmsghdr align;
  } u;
  memset(&u, 0, sizeof u);
  struct msghdr m = {0};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = u.buf;
  m.msg_controllen = CMSG_SPACE(sizeof(int) * n);
  struct cmsghdr* c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int) * n);
  memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
  return sendmsg(s, &m, 0);
}

// Receives with a control buffer of ctl bytes; prints what arrived and
// returns the first descriptor received (or -1).
static int recv_fds(int s, size_t ctl, int flags) {
  char data[16];
  struct iovec iov = {data, sizeof data};
  union {
    char buf[512];
    struct cmsghdr align;
  } u;
  memset(&u, 0, sizeof u);
  struct msghdr m = {0};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = ctl ? u.buf : NULL;
  m.msg_controllen = ctl;
  ssize_t n = recvmsg(s, &m, flags);
  if (n < 0) {
    printf("recvmsg = -1 %s\n", errname(errno));
    return -1;
  }
  printf("recvmsg = %zd flags 0x%x controllen %zu\n", n, m.msg_flags, (size_t)m.msg_controllen);
  int first = -1;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
    printf("  cmsg level %d type %d len %zu\n", c->cmsg_level, c->cmsg_type, (size_t)c->cmsg_len);
    if (c->cmsg_type == SCM_RIGHTS) {
      int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
      for (int i = 0; i < k; i++) {
        int fd;
        memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        printf("  fd[%d] valid %d cloexec %d\n", i, fcntl(fd, F_GETFD) >= 0, fcntl(fd, F_GETFD) == FD_CLOEXEC);
        if (first < 0) first = fd;
      }
    } else if (c->cmsg_type == SCM_CREDENTIALS) {
      struct ucred cr;
      memcpy(&cr, CMSG_DATA(c), sizeof cr);
      printf("  cred pid-is-mine %d uid %d gid %d\n", cr.pid == getpid(), (int)cr.uid, (int)cr.gid);
    }
  }
  fflush(stdout);
  return first;
}

CASE(unix_create_errors)
// covers: socket socketpair
{
  int sv[2];
  SHOW(socket(AF_UNIX, 99, 0));
  SHOW(socket(AF_UNIX, SOCK_STREAM, 7));
  SHOW(socket(AF_UNIX, SOCK_STREAM, AF_UNIX));
  int r = socket(AF_UNIX, SOCK_RAW, 0);
  int type = -1;
  socklen_t l = sizeof type;
  getsockopt(r, SOL_SOCKET, SO_TYPE, &type, &l);
  printf("SOCK_RAW gives type %d\n", type);
  SHOW(socketpair(AF_UNIX, SOCK_STREAM, 0, (int*)BAD_PTR));
  SHOW(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv));
  SHOW(fcntl(sv[0], F_GETFD));
  SHOW(fcntl(sv[1], F_GETFL) & (O_NONBLOCK | O_ACCMODE));
  int dom = -1;
  l = sizeof dom;
  getsockopt(sv[0], SOL_SOCKET, SO_DOMAIN, &dom, &l);
  printf("SO_DOMAIN %d\n", dom);
  struct stat st;
  fstat(sv[0], &st);
  printf("S_ISSOCK %d\n", S_ISSOCK(st.st_mode));
}

CASE(unix_pair_stream)
// covers: socketpair read write send recv readv writev getsockname getpeername
{
  int sv[2];
  SHOW(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  SHOW(write(sv[0], "hello", 5));
  SHOW(write(sv[0], " world", 6));
  recv_show("recv 64", sv[1], 64, 0);  // a stream merges the writes
  SHOW(send(sv[1], "back", 4, 0));
  char buf[8];
  SHOW(read(sv[0], buf, 2));
  SHOW(read(sv[0], buf, 8));
  struct iovec iov[2] = {{"ab", 2}, {"cdef", 4}};
  SHOW(writev(sv[1], iov, 2));
  char x[3], y[3];
  struct iovec in[2] = {{x, 3}, {y, 3}};
  SHOW(readv(sv[0], in, 2));
  print_buf("x", x, 3);
  print_buf("y", y, 3);
  name_of("getsockname", sv[0], 0);
  name_of("getpeername", sv[0], 1);
  int avail = -1;
  SHOW(write(sv[0], "1234567", 7));
  SHOW(ioctl(sv[1], FIONREAD, &avail));
  printf("FIONREAD %d\n", avail);
}

CASE(unix_pair_dgram)
// covers: socketpair send recv recvfrom recvmsg
{
  int sv[2];
  SHOW(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
  SHOW(send(sv[0], "one", 3, 0));
  SHOW(send(sv[0], "two!", 4, 0));
  SHOW(send(sv[0], "", 0, 0));
  SHOW(send(sv[0], "truncated", 9, 0));
  int avail = -1;
  SHOW(ioctl(sv[1], FIONREAD, &avail));
  printf("FIONREAD %d\n", avail);
  recv_show("recv 64", sv[1], 64, 0);  // boundaries kept
  recv_show("recv 64", sv[1], 64, 0);
  recv_show("recv empty", sv[1], 64, 0);
  char buf[4];
  struct iovec iov = {buf, 4};
  struct msghdr m = {0};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  SHOW(recvmsg(sv[1], &m, 0));
  printf("msg_flags 0x%x (MSG_TRUNC 0x%x)\n", m.msg_flags, MSG_TRUNC);
  SHOW(send(sv[0], "abcdefgh", 8, 0));
  SHOW(recv(sv[1], buf, 2, MSG_TRUNC));  // the datagram's full length
  SHOW(recv(sv[1], buf, 2, MSG_DONTWAIT));
  struct sockaddr_un from;
  socklen_t fl = sizeof from;
  SHOW(send(sv[1], "r", 1, 0));
  SHOW(recvfrom(sv[0], buf, 4, 0, (struct sockaddr*)&from, &fl));
  printf("from len %u\n", (unsigned)fl);  // an unnamed sender
  SHOW(send(sv[0], "x", 300000, 0));      // larger than the send buffer
}

CASE(unix_pair_seqpacket)
// covers: socketpair send recv close
{
  int sv[2];
  SHOW(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
  SHOW(send(sv[0], "rec1", 4, 0));
  SHOW(send(sv[0], "record2", 7, 0));
  recv_show("recv 64", sv[1], 64, 0);
  recv_show("recv 3", sv[1], 3, 0);  // the rest of the record is dropped
  SHOW(send(sv[0], "x", 1, 0));
  SHOW(close(sv[0]));
  recv_show("recv after close", sv[1], 64, 0);
  recv_show("recv at eof", sv[1], 64, 0);
  signal(SIGPIPE, SIG_IGN);
  SHOW(send(sv[1], "y", 1, 0));
}

CASE(unix_named_stream)
// covers: bind listen accept accept4 connect stat unlink getsockname getpeername
{
  const char* path = T("/sock");
  socklen_t len;
  struct sockaddr_un a = path_addr(path, &len);
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW(bind(l, (struct sockaddr*)&a, len));
  struct stat st;
  SHOW(stat(path, &st));
  printf("S_ISSOCK %d mode %o\n", S_ISSOCK(st.st_mode), st.st_mode & 0777);
  SHOW(open(path, O_RDONLY));
  SHOW(access(path, F_OK));
  name_of("listener name", l, 0);
  SHOW(listen(l, 5));
  int acc = 0;
  socklen_t al = sizeof acc;
  getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &acc, &al);
  printf("SO_ACCEPTCONN %d\n", acc);
  int c = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW(connect(c, (struct sockaddr*)&a, len));
  SHOW(connect(c, (struct sockaddr*)&a, len));
  SHOW(write(c, "early", 5));  // before accept: queued on the new connection
  struct sockaddr_un peer;
  socklen_t pl = sizeof peer;
  int s = accept4(l, (struct sockaddr*)&peer, &pl, SOCK_CLOEXEC);
  printf("accept ok %d\n", s >= 0);
  show_name("accepted peer", &peer, pl);
  SHOW(fcntl(s, F_GETFD));
  name_of("server name", s, 0);
  name_of("server peer", s, 1);
  name_of("client name", c, 0);
  name_of("client peer", c, 1);
  recv_show("server reads", s, 64, 0);
  SHOW(write(s, "reply", 5));
  recv_show("client reads", c, 64, 0);
  // The name stays until unlinked, then connect finds nothing.
  SHOW(unlink(path));
  SHOW(stat(path, &st));
  int d = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW(connect(d, (struct sockaddr*)&a, len));
  // The old connection is not affected.
  SHOW(write(c, "still", 5));
  recv_show("server reads", s, 64, 0);
}

CASE(unix_bind_errors)
// covers: bind listen connect
{
  const char* path = T("/b");
  socklen_t len;
  struct sockaddr_un a = path_addr(path, &len);
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW(bind(s, (struct sockaddr*)&a, len));
  int t = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW(bind(t, (struct sockaddr*)&a, len));  // the name exists
  SHOW(bind(s, (struct sockaddr*)&a, len));
  socklen_t len2;
  struct sockaddr_un b = path_addr(T("/b2"), &len2);
  SHOW(bind(s, (struct sockaddr*)&b, len2));  // already bound
  SHOW(access(T("/b2"), F_OK));
  struct sockaddr_un bad = a;
  bad.sun_family = AF_INET;
  SHOW(bind(t, (struct sockaddr*)&bad, len));
  SHOW(bind(t, (struct sockaddr*)&a, 1));
  SHOW(bind(t, (struct sockaddr*)&a, 200));
  SHOW(bind(t, (struct sockaddr*)BAD_PTR, len));
  socklen_t len3;
  struct sockaddr_un c = path_addr(T("/nodir/x"), &len3);
  SHOW(bind(t, (struct sockaddr*)&c, len3));
  write_file(T("/file"), "x");
  socklen_t len4;
  struct sockaddr_un f = path_addr(T("/file"), &len4);
  SHOW(bind(t, (struct sockaddr*)&f, len4));
  // Listening needs a name; datagram sockets do not listen.
  int u = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW(listen(u, 1));
  int g = socket(AF_UNIX, SOCK_DGRAM, 0);
  SHOW(listen(g, 1));
  SHOW(accept(g, NULL, NULL));
  SHOW(accept(s, NULL, NULL));  // bound, not listening
}

CASE(unix_connect_errors)
// covers: connect
{
  socklen_t len;
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un missing = path_addr(T("/missing"), &len);
  SHOW(connect(s, (struct sockaddr*)&missing, len));
  struct sockaddr_un nodir = path_addr(T("/nodir/x"), &len);
  SHOW(connect(s, (struct sockaddr*)&nodir, len));
  write_file(T("/plain"), "x");
  struct sockaddr_un plain = path_addr(T("/plain"), &len);
  SHOW(connect(s, (struct sockaddr*)&plain, len));
  // A name whose socket is closed: the node stays, nobody answers.
  struct sockaddr_un gone = path_addr(T("/gone"), &len);
  int g = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW(bind(g, (struct sockaddr*)&gone, len));
  SHOW(close(g));
  SHOW(access(T("/gone"), F_OK));
  SHOW(connect(s, (struct sockaddr*)&gone, len));
  // Bound but not listening.
  struct sockaddr_un quiet = path_addr(T("/quiet"), &len);
  int q = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW(bind(q, (struct sockaddr*)&quiet, len));
  SHOW(connect(s, (struct sockaddr*)&quiet, len));
  // Another type.
  struct sockaddr_un dg = path_addr(T("/dg"), &len);
  int d = socket(AF_UNIX, SOCK_DGRAM, 0);
  SHOW(bind(d, (struct sockaddr*)&dg, len));
  SHOW(connect(s, (struct sockaddr*)&dg, len));
  struct sockaddr_un ab = abstract_addr("shoal-compat-nobody", &len);
  SHOW(connect(s, (struct sockaddr*)&ab, len));
  SHOW(connect(s, (struct sockaddr*)&ab, 2));
  SHOW(connect(s, (struct sockaddr*)&ab, 1));
}

CASE(unix_abstract)
// covers: bind connect accept getsockname getpeername
{
  socklen_t len;
  struct sockaddr_un a = abstract_addr("shoal-compat-abstract", &len);
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW(bind(l, (struct sockaddr*)&a, len));
  name_of("name", l, 0);
  int dup = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW(bind(dup, (struct sockaddr*)&a, len));
  SHOW(listen(l, 4));
  int c = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW(connect(c, (struct sockaddr*)&a, len));
  name_of("client peer", c, 1);
  int s = accept(l, NULL, NULL);
  SHOW(write(s, "abs", 3));
  recv_show("client reads", c, 8, 0);
  // Autobind: an address of only the family picks a free abstract name.
  int z = socket(AF_UNIX, SOCK_DGRAM, 0);
  struct sockaddr_un fam = {.sun_family = AF_UNIX};
  SHOW(bind(z, (struct sockaddr*)&fam, offsetof(struct sockaddr_un, sun_path)));
  struct sockaddr_un got;
  socklen_t gl = sizeof got;
  getsockname(z, (struct sockaddr*)&got, &gl);
  printf("autobind len %u abstract %d\n", (unsigned)gl, got.sun_path[0] == '\0');
  // The name is free again once its socket is closed.
  SHOW(close(l));
  SHOW(bind(dup, (struct sockaddr*)&a, len));
}

CASE(unix_backlog)
// covers: listen connect accept
{
  socklen_t len;
  struct sockaddr_un a = path_addr(T("/bl"), &len);
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW(bind(l, (struct sockaddr*)&a, len));
  SHOW(listen(l, 1));
  int n = 0, c, last_errno = 0;
  for (int i = 0; i < 10; i++) {
    c = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (connect(c, (struct sockaddr*)&a, len) != 0) {
      last_errno = errno;
      break;
    }
    n++;
  }
  printf("connected %d then %s\n", n, errname(last_errno));
  show_poll("listener", l, POLLIN | POLLOUT);
  int s = accept(l, NULL, NULL);
  printf("accept ok %d\n", s >= 0);
  SHOW(connect(c, (struct sockaddr*)&a, len));
  SHOW(listen(l, 0));
  int nb = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW(fcntl(l, F_SETFL, O_NONBLOCK));
  while (accept(l, NULL, NULL) >= 0) {
  }
  SHOW(accept(l, NULL, NULL));
  SHOW(connect(nb, (struct sockaddr*)&a, len));
}

CASE(unix_shutdown)
// covers: shutdown read write send
{
  struct sigaction sa = {0};
  sa.sa_handler = on_sigpipe;
  sigaction(SIGPIPE, &sa, NULL);
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  SHOW(shutdown(sv[0], 7));
  SHOW(write(sv[0], "last", 4));
  SHOW(shutdown(sv[0], SHUT_WR));
  show_poll("after SHUT_WR, peer", sv[1], POLLIN | POLLOUT | POLLRDHUP);
  recv_show("peer reads", sv[1], 64, 0);
  recv_show("peer reads at eof", sv[1], 64, 0);
  SHOW(write(sv[0], "more", 4));
  printf("sigpipes %d\n", g_sigpipes);
  SHOW(send(sv[0], "more", 4, MSG_NOSIGNAL));
  printf("sigpipes %d\n", g_sigpipes);
  SHOW(write(sv[1], "other way", 9));  // the other direction still works
  recv_show("reads", sv[0], 64, 0);
  SHOW(shutdown(sv[1], SHUT_RD));
  recv_show("after SHUT_RD", sv[1], 64, 0);
  SHOW(write(sv[0], "x", 1));
  printf("sigpipes %d\n", g_sigpipes);
  int u = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW(shutdown(u, SHUT_RDWR));  // unconnected: accepted
  show_poll("unconnected after shutdown", u, POLLIN | POLLOUT);
}

CASE(unix_close_peer)
// covers: close read write poll
{
  signal(SIGPIPE, SIG_IGN);
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  SHOW(write(sv[0], "bye", 3));
  SHOW(close(sv[0]));
  show_poll("survivor", sv[1], POLLIN | POLLOUT | POLLRDHUP);
  recv_show("reads", sv[1], 64, 0);
  recv_show("reads at eof", sv[1], 64, 0);
  SHOW(write(sv[1], "x", 1));
  // Closing with unread data resets the survivor.
  int tv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, tv);
  SHOW(write(tv[1], "unread", 6));
  SHOW(close(tv[0]));
  recv_show("reset", tv[1], 64, 0);
  recv_show("then eof", tv[1], 64, 0);
  // A datagram peer that goes away.
  int dv[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, dv);
  SHOW(close(dv[0]));
  SHOW(send(dv[1], "x", 1, 0));
  SHOW(send(dv[1], "x", 1, 0));
}

CASE(unix_nonblock_poll)
// covers: poll epoll_wait read write ioctl
{
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
  char buf[4096];
  SHOW(read(sv[1], buf, 4));
  show_poll("empty", sv[1], POLLIN | POLLOUT);
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7}, out[2];
  SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev));
  SHOW(epoll_wait(ep, out, 2, 0));
  SHOW(write(sv[0], "data", 4));
  SHOW(epoll_wait(ep, out, 2, 0));
  printf("events 0x%x data %llu\n", out[0].events, (unsigned long long)out[0].data.u64);
  show_poll("data", sv[1], POLLIN | POLLOUT);
  SHOW(read(sv[1], buf, sizeof buf));
  // Fill the peer's buffer until the writer would block.
  memset(buf, 'z', sizeof buf);
  long total = 0;
  for (int i = 0; i < 10000; i++) {
    ssize_t n = write(sv[0], buf, sizeof buf);
    if (n < 0) {
      printf("full: %s after more than 64 KiB %d\n", errname(errno), total > 65536);
      break;
    }
    total += n;
  }
  show_poll("writer when full", sv[0], POLLOUT);
  // Drain it: writable again.
  long drained = 0;
  for (;;) {
    ssize_t n = read(sv[1], buf, sizeof buf);
    if (n <= 0) break;
    drained += n;
  }
  printf("drained all %d\n", drained == total);
  show_poll("writer after drain", sv[0], POLLOUT);
  int f = socket(AF_UNIX, SOCK_STREAM, 0);
  show_poll("fresh stream", f, POLLIN | POLLOUT);
  int g = socket(AF_UNIX, SOCK_DGRAM, 0);
  show_poll("fresh dgram", g, POLLIN | POLLOUT);
  // FIONBIO, as nginx sets up its socketpair channels.
  int one = 1;
  int pv[2];
  SHOW(socketpair(AF_UNIX, SOCK_STREAM, 0, pv));
  SHOW(ioctl(pv[0], FIONBIO, &one));
  SHOW(ioctl(pv[0], FIOASYNC, &one));
  SHOW(fcntl(pv[0], F_GETFL) & (O_ASYNC | O_NONBLOCK));
  SHOW(fcntl(pv[0], F_SETOWN, getpid()));
  SHOW(read(pv[0], buf, 1));
  SHOW(recv(pv[1], buf, 1, MSG_DONTWAIT));
}

CASE(unix_peercred)
// covers: getsockopt setsockopt
{
  struct ucred cr;
  socklen_t l = sizeof cr;
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  SHOW(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cr, &l));
  printf("pair: len %u pid-is-mine %d uid %d gid %d\n", (unsigned)l, cr.pid == getpid(), (int)cr.uid, (int)cr.gid);
  int u = socket(AF_UNIX, SOCK_STREAM, 0);
  l = sizeof cr;
  SHOW(getsockopt(u, SOL_SOCKET, SO_PEERCRED, &cr, &l));
  printf("unconnected: pid %d uid %d gid %d\n", cr.pid, (int)cr.uid, (int)cr.gid);
  socklen_t len;
  struct sockaddr_un a = path_addr(T("/cred"), &len);
  int ls = socket(AF_UNIX, SOCK_STREAM, 0);
  bind(ls, (struct sockaddr*)&a, len);
  listen(ls, 1);
  int c = socket(AF_UNIX, SOCK_STREAM, 0);
  connect(c, (struct sockaddr*)&a, len);
  int s = accept(ls, NULL, NULL);
  l = sizeof cr;
  SHOW(getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &l));
  printf("accepted: pid-is-mine %d uid %d\n", cr.pid == getpid(), (int)cr.uid);
  l = sizeof cr;
  SHOW(getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &l));
  printf("client: pid-is-mine %d uid %d\n", cr.pid == getpid(), (int)cr.uid);
  l = 4;
  SHOW(getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &l));
  printf("short: len %u\n", (unsigned)l);
  int v = -1;
  l = sizeof v;
  SHOW(getsockopt(c, SOL_SOCKET, SO_PASSCRED, &v, &l));
  printf("SO_PASSCRED %d\n", v);
  int one = 1;
  SHOW(setsockopt(c, SOL_SOCKET, SO_PASSCRED, &one, sizeof one));
  l = sizeof v;
  SHOW(getsockopt(c, SOL_SOCKET, SO_PASSCRED, &v, &l));
  printf("SO_PASSCRED %d\n", v);
  // Only SOL_SOCKET exists for AF_UNIX.
  SHOW(setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one));
  l = sizeof v;
  SHOW(getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, &l));
  SHOW(getsockopt(c, SOL_IP, IP_TTL, &v, &l));
  l = sizeof v;
  SHOW(getsockopt(c, SOL_SOCKET, SO_RCVBUF, &v, &l));  // net.core.rmem_default: not printed
  l = sizeof v;
  SHOW(getsockopt(c, SOL_SOCKET, SO_PROTOCOL, &v, &l));
  printf("SO_PROTOCOL %d\n", v);
}

CASE(unix_scm_rights)
// covers: sendmsg recvmsg pipe
{
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  int p[2];
  SHOW(pipe(p));
  SHOW(write(p[1], "through the pipe", 16));
  SHOW(send_fds(sv[0], &p[0], 1));
  SHOW(close(p[0]));  // the message holds it
  int got = recv_fds(sv[1], 512, 0);
  char buf[32];
  ssize_t n = read(got, buf, sizeof buf);
  print_buf("read from passed fd", buf, n);
  // Two at once, with MSG_CMSG_CLOEXEC.
  int two[2] = {p[1], sv[0]};
  SHOW(send_fds(sv[0], two, 2));
  recv_fds(sv[1], 512, MSG_CMSG_CLOEXEC);
  // A control buffer too small: MSG_CTRUNC, the extra ones closed.
  SHOW(send_fds(sv[0], two, 2));
  recv_fds(sv[1], CMSG_SPACE(sizeof(int)), 0);
  SHOW(send_fds(sv[0], two, 2));
  recv_fds(sv[1], 0, 0);
  // Errors: a closed fd, a bad level length.
  int bad = 999;
  SHOW(send_fds(sv[0], &bad, 1));
  // Descriptors ride datagrams too, and a peek shows them without taking.
  int dv[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, dv);
  SHOW(send_fds(dv[0], &p[1], 1));
  recv_fds(dv[1], 512, MSG_PEEK);
  recv_fds(dv[1], 512, 0);
  // Data before a message with descriptors is glued to it; the read ends
  // after the descriptors' message.
  SHOW(write(sv[0], "ab", 2));
  SHOW(send_fds(sv[0], &p[1], 1));
  SHOW(write(sv[0], "cd", 2));
  recv_fds(sv[1], 512, 0);
  recv_fds(sv[1], 512, 0);
  // read() on a message with descriptors drops them.
  SHOW(send_fds(sv[0], &p[1], 1));
  SHOW(read(sv[1], buf, 8));
}

CASE(unix_scm_credentials)
// covers: sendmsg recvmsg setsockopt
{
  int sv[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  int one = 1;
  SHOW(send(sv[0], "a", 1, 0));
  recv_fds(sv[1], 512, 0);  // no SO_PASSCRED: nothing
  SHOW(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one));
  SHOW(send(sv[0], "b", 1, 0));
  recv_fds(sv[1], 512, 0);
  // Sending our own credentials explicitly is allowed; someone else's not.
  struct ucred cr = {getpid(), getuid(), getgid()};
  char data = 'c';
  struct iovec iov = {&data, 1};
  union {
    char buf[CMSG_SPACE(sizeof(struct ucred))];
    struct cmsghdr align;
  } u;
  memset(&u, 0, sizeof u);
  struct msghdr m = {0};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = u.buf;
  m.msg_controllen = sizeof u.buf;
  struct cmsghdr* c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_CREDENTIALS;
  c->cmsg_len = CMSG_LEN(sizeof cr);
  memcpy(CMSG_DATA(c), &cr, sizeof cr);
  SHOW(sendmsg(sv[0], &m, 0));
  recv_fds(sv[1], 512, 0);
  c->cmsg_type = 77;
  SHOW(sendmsg(sv[0], &m, 0));
}

CASE(unix_peek)
// covers: recv recvfrom
{
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  write(sv[0], "abc", 3);
  write(sv[0], "def", 3);
  recv_show("peek 2", sv[1], 2, MSG_PEEK);
  recv_show("peek 64", sv[1], 64, MSG_PEEK);
  recv_show("read 4", sv[1], 4, 0);
  recv_show("peek again", sv[1], 64, MSG_PEEK);
  recv_show("read rest", sv[1], 64, 0);
  recv_show("peek empty", sv[1], 64, MSG_PEEK | MSG_DONTWAIT);
  int dv[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, dv);
  send(dv[0], "first", 5, 0);
  send(dv[0], "second", 6, 0);
  recv_show("dgram peek", dv[1], 64, MSG_PEEK);
  recv_show("dgram peek 2", dv[1], 2, MSG_PEEK);
  recv_show("dgram read", dv[1], 64, 0);
  recv_show("dgram read", dv[1], 64, 0);
  // MSG_WAITALL gathers a whole buffer from several writes.
  write(sv[0], "12", 2);
  write(sv[0], "34", 2);
  recv_show("waitall 4", sv[1], 4, MSG_WAITALL);
}

CASE(unix_named_dgram)
// covers: bind sendto recvfrom connect
{
  socklen_t la, lb, lc;
  struct sockaddr_un a = path_addr(T("/da"), &la);
  struct sockaddr_un b = path_addr(T("/db"), &lb);
  struct sockaddr_un c = path_addr(T("/dc"), &lc);
  int sa = socket(AF_UNIX, SOCK_DGRAM, 0);
  int sb = socket(AF_UNIX, SOCK_DGRAM, 0);
  int sc = socket(AF_UNIX, SOCK_DGRAM, 0);
  SHOW(bind(sa, (struct sockaddr*)&a, la));
  SHOW(bind(sb, (struct sockaddr*)&b, lb));
  SHOW(bind(sc, (struct sockaddr*)&c, lc));
  SHOW(sendto(sa, "to b", 4, 0, (struct sockaddr*)&b, lb));
  char buf[16];
  struct sockaddr_un from;
  socklen_t fl = sizeof from;
  SHOW(recvfrom(sb, buf, sizeof buf, 0, (struct sockaddr*)&from, &fl));
  show_name("from", &from, fl);
  SHOW(send(sa, "x", 1, 0));
  SHOW(connect(sa, (struct sockaddr*)&b, lb));
  name_of("peer", sa, 1);
  SHOW(send(sa, "connected", 9, 0));
  recv_show("b reads", sb, 16, 0);
  // b connected to c takes nothing from a.
  SHOW(connect(sb, (struct sockaddr*)&c, lc));
  SHOW(send(sa, "x", 1, 0));
  SHOW(sendto(sc, "from c", 6, 0, (struct sockaddr*)&b, lb));
  recv_show("b reads", sb, 16, 0);
  struct sockaddr_un unspec = {.sun_family = AF_UNSPEC};
  SHOW(connect(sb, (struct sockaddr*)&unspec, sizeof unspec));
  name_of("peer after AF_UNSPEC", sb, 1);
  SHOW(send(sa, "again", 5, 0));
  recv_show("b reads", sb, 16, 0);
  struct sockaddr_un missing = path_addr(T("/nobody"), &la);
  SHOW(sendto(sc, "x", 1, 0, (struct sockaddr*)&missing, la));
  int st = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW(sendto(st, "x", 1, 0, (struct sockaddr*)&b, lb));
  SHOW(send(st, "x", 1, 0));
  char r;
  SHOW(read(st, &r, 1));
}

static int g_listen_fd;
static long g_counted;
// Accepts one connection, echoes its first read, then counts the rest.
static void* accept_echo_count(void* arg) {
  (void)arg;
  int s = accept(g_listen_fd, NULL, NULL);
  char buf[4096];
  ssize_t n = read(s, buf, sizeof buf);
  if (n > 0) write(s, buf, n);
  while ((n = read(s, buf, sizeof buf)) > 0) g_counted += n;
  close(s);
  return NULL;
}

CASE(unix_blocking_threads)
// covers: accept connect read write
{
  socklen_t len;
  struct sockaddr_un a = path_addr(T("/echo"), &len);
  g_listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
  bind(g_listen_fd, (struct sockaddr*)&a, len);
  SHOW(listen(g_listen_fd, 1));
  pthread_t t;
  pthread_create(&t, NULL, accept_echo_count, NULL);
  int c = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW(connect(c, (struct sockaddr*)&a, len));
  SHOW(write(c, "ping", 4));
  recv_show("echo", c, 64, 0);  // blocks until the thread answers
  // A write larger than the buffer blocks until the reader drains it.
  static char big[1000000];
  memset(big, 'q', sizeof big);
  SHOW(write(c, big, sizeof big));
  SHOW(shutdown(c, SHUT_WR));
  pthread_join(t, NULL);
  printf("reader counted %ld\n", g_counted);
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  SHOW(close(sv[1]));
  SHOW(send(sv[0], big, sizeof big, MSG_NOSIGNAL));
}

static int g_pair[2];
static void* close_later(void* arg) {
  (void)arg;
  usleep(20000);
  write(g_pair[1], "late", 4);
  usleep(20000);
  close(g_pair[1]);
  return NULL;
}

CASE(unix_epoll_edge)
// covers: epoll_ctl epoll_wait accept4 select
{
  // Edge-triggered epoll on a listener and a connection; a thread writes,
  // then closes, while the main thread waits.
  socklen_t len;
  struct sockaddr_un a = path_addr(T("/ep"), &len);
  int l = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
  bind(l, (struct sockaddr*)&a, len);
  listen(l, 4);
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = 1}, out[4];
  SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev));
  SHOW(epoll_wait(ep, out, 4, 0));
  int c = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW(connect(c, (struct sockaddr*)&a, len));
  SHOW(epoll_wait(ep, out, 4, 0));
  SHOW(epoll_wait(ep, out, 4, 0));  // edge: reported once
  int s = accept4(l, NULL, NULL, SOCK_NONBLOCK);
  SHOW(fcntl(s, F_GETFL) & O_NONBLOCK);
  ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = 2;
  SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev));
  SHOW(write(c, "one", 3));
  SHOW(epoll_wait(ep, out, 4, 0));
  printf("events 0x%x data %llu\n", out[0].events, (unsigned long long)out[0].data.u64);
  SHOW(write(c, "two", 3));  // a new edge
  SHOW(epoll_wait(ep, out, 4, 0));
  recv_show("drain", s, 64, 0);
  SHOW(close(c));
  SHOW(epoll_wait(ep, out, 4, 0));
  printf("events 0x%x\n", out[0].events);
  // A blocking epoll_wait woken by another thread.
  socketpair(AF_UNIX, SOCK_STREAM, 0, g_pair);
  int ep2 = epoll_create1(0);
  struct epoll_event e2 = {.events = EPOLLIN, .data.u64 = 9};
  epoll_ctl(ep2, EPOLL_CTL_ADD, g_pair[0], &e2);
  pthread_t t;
  pthread_create(&t, NULL, close_later, NULL);
  SHOW(epoll_wait(ep2, out, 4, 5000));
  recv_show("woken", g_pair[0], 64, 0);
  // select() sees the close.
  fd_set rd;
  FD_ZERO(&rd);
  FD_SET(g_pair[0], &rd);
  SHOW(select(g_pair[0] + 1, &rd, NULL, NULL, NULL));
  recv_show("eof", g_pair[0], 64, 0);
  pthread_join(t, NULL);
}

CASE(unix_timeouts)
// covers: setsockopt recv send accept
{
  struct timeval tv = {0, 30000};
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  SHOW(setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
  char buf[4096];
  SHOW(recv(sv[1], buf, sizeof buf, 0));
  // A writer with SO_SNDTIMEO stops when the peer's buffer stays full: a
  // partial count or EAGAIN.
  SHOW(setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv));
  memset(buf, 'w', sizeof buf);
  long r;
  int rounds = 0;
  while ((r = write(sv[0], buf, sizeof buf)) > 0 && rounds < 10000) rounds++;
  printf("write ended with %s after more than 64 KiB %d\n", r < 0 ? errname(errno) : "a count", rounds > 16);
  socklen_t len;
  struct sockaddr_un a = path_addr(T("/to"), &len);
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  bind(l, (struct sockaddr*)&a, len);
  listen(l, 1);
  SHOW(setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
  SHOW(accept(l, NULL, NULL));
  int d[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, d);
  SHOW(setsockopt(d[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
  SHOW(recv(d[1], buf, sizeof buf, 0));
}

CASE(unix_dgram_queue)
// covers: sendto recv poll
{
  // A receiver not connected back to the sender takes net.unix.max_dgram_qlen
  // (10) + 1 datagrams; then a non-blocking sender gets EAGAIN and a
  // connected one sees no POLLOUT, until the receiver reads.
  socklen_t lr;
  struct sockaddr_un r = path_addr(T("/q"), &lr);
  int rx = socket(AF_UNIX, SOCK_DGRAM, 0);
  bind(rx, (struct sockaddr*)&r, lr);
  int tx = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  int n = 0;
  while (n < 100 && sendto(tx, "d", 1, 0, (struct sockaddr*)&r, lr) == 1) n++;
  printf("queued %d then %s\n", n, errname(errno));
  int cx = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  SHOW(connect(cx, (struct sockaddr*)&r, lr));
  show_poll("connected sender, receiver full", cx, POLLOUT);
  char b[4];
  SHOW(recv(rx, b, sizeof b, 0));
  show_poll("after one read", cx, POLLOUT);
  SHOW(send(cx, "e", 1, 0));
  SHOW(send(cx, "e", 1, 0));
}

CASE(unix_seqpacket_listen)
// covers: bind listen connect accept send recv shutdown
{
  socklen_t len;
  struct sockaddr_un a = abstract_addr("shoal-compat-seqpacket", &len);
  int l = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  SHOW(bind(l, (struct sockaddr*)&a, len));
  SHOW(listen(l, 2));
  int c = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  SHOW(connect(c, (struct sockaddr*)&a, len));
  int s = accept(l, NULL, NULL);
  printf("accept ok %d\n", s >= 0);
  SHOW(send(c, "first record", 12, 0));
  SHOW(send(c, "second", 6, 0));
  char buf[64];
  struct iovec iov = {buf, 5};
  struct msghdr m = {0};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  SHOW(recvmsg(s, &m, 0));
  printf("msg_flags MSG_TRUNC %d\n", (m.msg_flags & MSG_TRUNC) != 0);
  recv_show("next record", s, 64, 0);
  SHOW(shutdown(c, SHUT_WR));
  recv_show("after SHUT_WR", s, 64, 0);
  SHOW(send(s, "reply", 5, 0));
  recv_show("client", c, 64, 0);
  int d = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  SHOW(recv(d, buf, 4, MSG_DONTWAIT));
  SHOW(send(d, "x", 1, MSG_NOSIGNAL));
  // Abstract names are per type: a stream finds nothing here, and may
  // take the same name.
  int st = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW(connect(st, (struct sockaddr*)&a, len));
  SHOW(bind(st, (struct sockaddr*)&a, len));
  int st2 = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW(bind(st2, (struct sockaddr*)&a, len));
}

CASE(unix_many)
// covers: socketpair connect accept close sendto
{
  // Many sockets at once: 400 pairs, 300 connections to one listener, 50
  // datagram senders connected to one receiver that then closes.
  static int pairs[400][2];
  int ok = 0;
  for (int i = 0; i < 400; i++) ok += socketpair(AF_UNIX, SOCK_STREAM, 0, pairs[i]) == 0;
  for (int i = 0; i < 400; i++) ok += write(pairs[i][0], "p", 1) == 1;
  char b[8];
  for (int i = 399; i >= 0; i--) ok += read(pairs[i][1], b, sizeof b) == 1;
  for (int i = 0; i < 400; i += 2) close(pairs[i][0]);
  for (int i = 0; i < 400; i += 2) ok += read(pairs[i][1], b, sizeof b) == 0;
  for (int i = 0; i < 400; i++) {
    if (i % 2) close(pairs[i][0]);
    close(pairs[i][1]);
  }
  printf("pairs: %d of 1400 steps ok\n", ok);
  socklen_t len;
  struct sockaddr_un a = path_addr(T("/many"), &len);
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  bind(l, (struct sockaddr*)&a, len);
  listen(l, 400);
  static int cs[300], ss[300];
  ok = 0;
  for (int i = 0; i < 300; i++) {
    cs[i] = socket(AF_UNIX, SOCK_STREAM, 0);
    ok += connect(cs[i], (struct sockaddr*)&a, len) == 0;
  }
  for (int i = 0; i < 300; i++) ok += (ss[i] = accept(l, NULL, NULL)) >= 0;
  for (int i = 0; i < 300; i++) ok += write(cs[i], &i, sizeof i) == sizeof i;
  int match = 0;
  for (int i = 0; i < 300; i++) {
    int v = -1;
    if (read(ss[i], &v, sizeof v) == sizeof v && v == i) match++;
  }
  for (int i = 0; i < 300; i++) close(cs[i]), close(ss[i]);
  printf("connections: %d of 900 steps ok, %d in order\n", ok, match);
  struct sockaddr_un r = path_addr(T("/many-dgram"), &len);
  int rx = socket(AF_UNIX, SOCK_DGRAM, 0);
  bind(rx, (struct sockaddr*)&r, len);
  static int tx[50];
  ok = 0;
  for (int i = 0; i < 50; i++) {
    tx[i] = socket(AF_UNIX, SOCK_DGRAM, 0);
    ok += connect(tx[i], (struct sockaddr*)&r, len) == 0;
  }
  for (int i = 0; i < 10; i++) ok += send(tx[i], "d", 1, 0) == 1;
  close(rx);
  int refused = 0;
  for (int i = 0; i < 50; i++) refused += send(tx[i], "d", 1, 0) == -1 && errno == ECONNREFUSED;
  printf("datagrams: %d of 60 ok, %d refused after the receiver closed\n", ok, refused);
}

// Binds s to the abstract name "shoal-compat-gc-" + tag.
static int bind_tag(int s, const char* tag) {
  char name[64];
  snprintf(name, sizeof name, "shoal-compat-gc-%s", tag);
  socklen_t len;
  struct sockaddr_un a = abstract_addr(name, &len);
  return bind(s, (struct sockaddr*)&a, len);
}

// bind_tag, retried for up to 2 s while the name is in use (Linux collects
// in the background).
static int bind_tag_wait(int s, const char* tag) {
  int r = bind_tag(s, tag);
  for (int i = 0; i < 200 && r != 0 && errno == EADDRINUSE; i++) {
    usleep(50000);
    r = bind_tag(s, tag);
  }
  return r;
}

CASE(unix_gc)
// covers: sendmsg close bind
{
  // Sockets that only queued messages reference are collected (Linux's
  // unix_gc runs when a later AF_UNIX socket is released, in the
  // background: the case waits, up to 10 s on a loaded machine): their
  // abstract names become free again.
  int sv[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  SHOW(bind_tag(sv[0], "self"));
  SHOW(send_fds(sv[1], &sv[0], 1));  // sv[0] sits in its own queue
  int tv[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, tv);
  SHOW(bind_tag(tv[0], "a"));
  SHOW(bind_tag(tv[1], "b"));
  SHOW(send_fds(tv[0], &tv[0], 1));  // each in the other's queue
  SHOW(send_fds(tv[1], &tv[1], 1));
  // Still referenced by a descriptor: never collected.
  int kv[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, kv);
  SHOW(bind_tag(kv[0], "kept"));
  SHOW(send_fds(kv[1], &kv[0], 1));
  close(sv[0]);
  close(sv[1]);
  close(tv[0]);
  close(tv[1]);
  int x[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, x);
  close(x[0]);
  close(x[1]);
  int t = socket(AF_UNIX, SOCK_DGRAM, 0);
  SHOW(bind_tag_wait(t, "self"));
  int u = socket(AF_UNIX, SOCK_DGRAM, 0);
  SHOW(bind_tag_wait(u, "a"));
  int w = socket(AF_UNIX, SOCK_DGRAM, 0);
  SHOW(bind_tag_wait(w, "b"));
  int k = socket(AF_UNIX, SOCK_DGRAM, 0);
  SHOW(bind_tag(k, "kept"));
  // The kept one still works, and so does the descriptor queued on it.
  int got = recv_fds(kv[0], 512, 0);
  SHOW(send(kv[1], "still", 5, 0));
  char b[8];
  SHOW(recv(got, b, sizeof b, 0));
}

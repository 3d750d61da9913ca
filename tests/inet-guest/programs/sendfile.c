// sendfile(2) from a file to a TCP socket (issue 11 point 4), natively and
// under shoal with the same output: whole files and ranges, with and without
// an offset pointer (then the file position moves), past the end of the
// file, on a non-blocking socket with a full send buffer, and to a socket
// that is not connected. The receiver runs in a thread and checks every byte.
//
//   sendfile
#include <errno.h>
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

#define SHOW(expr)                                                                   \
  do {                                                                               \
    errno = 0;                                                                       \
    long r_ = (long)(expr);                                                          \
    printf("%-60s = %ld %s\n", #expr, r_, r_ < 0 ? strerrorname_np(errno) : "");     \
  } while (0)

static const char* kPath = "/tmp/sendfile-test.dat";
enum { kSize = (1 << 20) + 4321 };
static unsigned char g_file[kSize];

struct Rx {
  int fd;
  size_t want;
  size_t got;
  unsigned long long sum;  // position-weighted: a byte out of place changes it
};

static void* receive(void* arg) {
  struct Rx* rx = arg;
  static unsigned char buf[65536];
  while (rx->got < rx->want) {
    ssize_t n = read(rx->fd, buf, sizeof buf);
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) rx->sum += (unsigned long long)buf[i] * (rx->got + (size_t)i + 1);
    rx->got += (size_t)n;
  }
  return NULL;
}

static unsigned long long expect_sum(size_t off, size_t len) {
  unsigned long long s = 0;
  for (size_t i = 0; i < len; ++i) s += (unsigned long long)g_file[off + i] * (i + 1);
  return s;
}

static void pair(int* a, int* b) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(7201), .sin_addr.s_addr = htonl(0x7f000001)};
  int one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(l, (void*)&sa, sizeof sa) < 0 || listen(l, 1) < 0) { perror("listen"); exit(1); }
  *a = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(*a, (void*)&sa, sizeof sa) < 0) { perror("connect"); exit(1); }
  *b = accept(l, NULL, NULL);
  close(l);
}

// sendfile of [off, off+len) of the file through a fresh connection; the
// receiver expects `expect` bytes.
static void transfer(const char* what, int nodelay, long off, size_t len, size_t expect, int use_offset) {
  int tx, rx;
  pair(&tx, &rx);
  if (nodelay) setsockopt(tx, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof nodelay);
  int f = open(kPath, O_RDONLY);
  struct Rx r = {rx, expect, 0, 0};
  pthread_t t;
  pthread_create(&t, NULL, receive, &r);
  size_t done = 0;
  off_t o = off;
  if (!use_offset) lseek(f, off, SEEK_SET);
  long calls = 0, last = 0;
  while (done < len) {
    ssize_t n = use_offset ? sendfile(tx, f, &o, len - done) : sendfile(tx, f, NULL, len - done);
    ++calls;
    last = n;
    if (n <= 0) break;
    done += (size_t)n;
  }
  shutdown(tx, SHUT_WR);
  pthread_join(t, NULL);
  long pos = lseek(f, 0, SEEK_CUR);
  printf("%s: sent %zu last %ld received %zu intact %d", what, done, last > 0 ? 1L : last, r.got,
         r.got == expect && r.sum == expect_sum((size_t)off, expect));
  if (use_offset) printf(" offset %ld filepos %ld\n", (long)o, pos);
  else printf(" filepos %ld\n", pos);
  (void)calls;
  close(f);
  close(tx);
  close(rx);
}

static void nonblocking(void) {
  int tx, rx;
  pair(&tx, &rx);
  int f = open(kPath, O_RDONLY);
  fcntl(tx, F_SETFL, O_NONBLOCK);
  // Nobody reads: the send buffer and the peer's window fill, then EAGAIN.
  off_t o = 0;
  size_t total = 0;
  ssize_t n;
  while ((n = sendfile(tx, f, &o, kSize - (size_t)o)) > 0) {
    total += (size_t)n;
    if (o >= kSize) o = 0;
  }
  printf("nonblocking: some sent %d, then %s\n", total > 0, strerrorname_np(errno));
  close(f);
  close(tx);
  close(rx);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  signal(SIGPIPE, SIG_IGN);
  for (size_t i = 0; i < kSize; ++i) g_file[i] = (unsigned char)((i * 131 + (i >> 9)) & 0xff);
  int f = open(kPath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (f < 0 || write(f, g_file, kSize) != kSize) { perror("write"); return 1; }
  close(f);
  transfer("whole file, offset", 0, 0, kSize, kSize, 1);
  transfer("whole file, nodelay, file position", 1, 0, kSize, kSize, 0);
  transfer("range 1000+300000, offset", 1, 1000, 300000, 300000, 1);
  transfer("range 77777+5, file position", 0, 77777, 5, 5, 0);
  transfer("past the end, offset", 0, kSize - 100, 5000, 100, 1);
  nonblocking();
  int s = socket(AF_INET, SOCK_STREAM, 0);
  f = open(kPath, O_RDONLY);
  off_t o = 0;
  SHOW(sendfile(s, f, &o, 100));
  printf("offset after %ld\n", (long)o);
  SHOW(sendfile(s, f, &o, 0));
  close(s);
  close(f);
  unlink(kPath);
  printf("== done\n");
  return 0;
}

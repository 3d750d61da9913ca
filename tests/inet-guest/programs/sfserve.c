// sendfile(2) from /tmp into TCP connections to a peer on another host (the
// network device's path: under shoal, zero-copy frames gathered from the send
// ring; natively, veth). Listens on PORT; each connection sends one command
// line and gets the bytes it names, then the server closes it:
//
//   whole            the whole file (SIZE bytes), sendfile with the file position
//   range OFF LEN    sendfile with an offset pointer; LEN may run past the end
//   modify           the whole file, then (once every sendfile returned) the
//                    file is overwritten and truncated before the close: the
//                    peer must still get the bytes as of the calls
//   nonblock         the whole file on a non-blocking socket (EAGAIN, poll)
//   quit             ends the server
//
// The file holds byte i = (i * 131 + (i >> 9)) & 0xff; tests/inet-guest/sfserve.py
// computes the same. Each command prints one line: what sendfile returned.
//
//   sfserve PORT SIZE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

static const char* kPath = "/tmp/sfserve.dat";
static long g_size;

static void make_file(void) {
  int f = open(kPath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (f < 0) { perror("open"); exit(1); }
  static unsigned char buf[65536];
  for (long at = 0; at < g_size;) {
    long n = g_size - at < (long)sizeof buf ? g_size - at : (long)sizeof buf;
    for (long i = 0; i < n; ++i) buf[i] = (unsigned char)(((at + i) * 131 + ((at + i) >> 9)) & 0xff);
    if (write(f, buf, (size_t)n) != n) { perror("write"); exit(1); }
    at += n;
  }
  close(f);
}

// sendfile until len bytes went or sendfile returns 0 or fails; calls and
// total in the line printed.
static long send_all(int c, int f, off_t* off, long len, int nonblock) {
  long done = 0, eagain = 0;
  while (done < len) {
    ssize_t n = sendfile(c, f, off, (size_t)(len - done));
    if (n < 0 && errno == EAGAIN && nonblock) {
      ++eagain;
      struct pollfd p = {c, POLLOUT, 0};
      poll(&p, 1, 10000);
      continue;
    }
    if (n <= 0) {
      if (n < 0) printf("sendfile failed: %s\n", strerror(errno));
      break;
    }
    done += n;
  }
  // Whether EAGAIN came depends on how fast the peer reads (Linux's send
  // buffer grows to megabytes): on stderr, not in the compared output.
  if (nonblock) fprintf(stderr, "nonblock: EAGAIN %ld times\n", eagain);
  return done;
}

static void serve(int c) {
  char line[128];
  long got = 0;
  while (got < (long)sizeof line - 1) {
    ssize_t n = read(c, line + got, 1);
    if (n <= 0 || line[got] == '\n') break;
    ++got;
  }
  line[got] = 0;
  int f = open(kPath, O_RDWR);
  if (f < 0) { perror("open"); exit(1); }
  long off = 0, len = 0;
  if (strcmp(line, "whole") == 0) {
    long sent = send_all(c, f, NULL, g_size, 0);
    printf("whole: sent %ld filepos %ld\n", sent, (long)lseek(f, 0, SEEK_CUR));
  } else if (sscanf(line, "range %ld %ld", &off, &len) == 2) {
    off_t o = off;
    long sent = send_all(c, f, &o, len, 0);
    printf("range %ld %ld: sent %ld offset %ld filepos %ld\n", off, len, sent, (long)o, (long)lseek(f, 0, SEEK_CUR));
  } else if (strcmp(line, "modify") == 0) {
    off_t o = 0;
    long sent = send_all(c, f, &o, g_size, 0);
    // Every call returned: what it sent is the file as it was then.
    static unsigned char junk[65536];
    memset(junk, 0xa5, sizeof junk);
    for (long at = 0; at < g_size; at += (long)sizeof junk) pwrite(f, junk, sizeof junk, at);
    ftruncate(f, 0);
    printf("modify: sent %ld, then overwrote and truncated the file\n", sent);
    close(f);
    close(c);
    make_file();  // the next command sees the file again
    return;
  } else if (strcmp(line, "nonblock") == 0) {
    fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK);
    off_t o = 0;
    long sent = send_all(c, f, &o, g_size, 1);
    printf("nonblock: sent %ld\n", sent);
  } else if (strcmp(line, "quit") == 0) {
    printf("quit\n");
    close(c);
    exit(0);
  } else {
    printf("unknown command '%s'\n", line);
  }
  close(f);
  close(c);
}

int main(int argc, char** argv) {
  if (argc != 3) { fprintf(stderr, "usage: sfserve PORT SIZE\n"); return 2; }
  setvbuf(stdout, NULL, _IOLBF, 0);
  signal(SIGPIPE, SIG_IGN);
  g_size = atol(argv[2]);
  make_file();
  int l = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[1]))};
  if (bind(l, (void*)&sa, sizeof sa) < 0 || listen(l, 8) < 0) { perror("listen"); return 1; }
  printf("sfserve: listening\n");
  for (;;) {
    int c = accept(l, NULL, NULL);
    if (c < 0) { perror("accept"); return 1; }
    serve(c);
  }
}

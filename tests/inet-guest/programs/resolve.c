// Name resolution from the image's own /etc (no pool channel): getaddrinfo
// and gethostbyname read /etc/nsswitch.conf and /etc/hosts of the root the
// image was built with; then a connection to the name's address.
//   resolve NAME PORT
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
  struct addrinfo* res = NULL;
  int r = getaddrinfo(argv[1], argv[2], &hints, &res);
  if (r != 0) {
    printf("getaddrinfo(%s) = %s\n", argv[1], gai_strerror(r));
    return 1;
  }
  struct sockaddr_in a = {0};
  for (struct addrinfo* i = res; i; i = i->ai_next) {
    if (i->ai_family != AF_INET) continue;
    memcpy(&a, i->ai_addr, sizeof a);
    break;
  }
  freeaddrinfo(res);
  printf("getaddrinfo(%s, %s) = %s:%d\n", argv[1], argv[2], inet_ntoa(a.sin_addr), ntohs(a.sin_port));
  struct hostent* h = gethostbyname(argv[1]);
  if (h != NULL && h->h_addrtype == AF_INET) {
    struct in_addr in;
    memcpy(&in, h->h_addr_list[0], sizeof in);
    printf("gethostbyname(%s) = %s\n", argv[1], inet_ntoa(in));
  } else {
    printf("gethostbyname(%s) failed\n", argv[1]);
  }
  r = getaddrinfo("no-such-name.invalid", NULL, &hints, &res);
  printf("unknown name: %s\n", r == EAI_NONAME ? "EAI_NONAME" : gai_strerror(r));
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(fd, (void*)&a, sizeof a) != 0) {
    perror("connect");
    return 1;
  }
  char buf[16] = {0};
  send(fd, "resolved", 8, 0);
  shutdown(fd, SHUT_WR);
  ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_WAITALL);
  printf("echo: %zd %s\n", n, buf);
  close(fd);
  return 0;
}

// Reads files from the image's root filesystem: open, read, pread, lseek, fstat,
// stat, readdir (getdents64), symlinks, and the errors for missing paths.
// argv[1] is the prefix of the tree (empty under shoal, the source tree natively).
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char path_buf[4096];
static const char* at(const char* prefix, const char* p) {
  snprintf(path_buf, sizeof path_buf, "%s%s", prefix, p);
  return path_buf;
}

static int cmp(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }

int main(int argc, char** argv) {
  const char* root = argc > 1 ? argv[1] : "";
  int fd = open(at(root, "/etc/greeting"), O_RDONLY);
  if (fd < 0) { perror("open greeting"); return 1; }
  char buf[128] = {0};
  ssize_t n = read(fd, buf, sizeof buf - 1);
  printf("read %zd: %s", n, buf);
  struct stat st;
  fstat(fd, &st);
  printf("size %lld regular %d\n", (long long)st.st_size, S_ISREG(st.st_mode));
  memset(buf, 0, sizeof buf);
  n = pread(fd, buf, 4, 6);
  printf("pread %zd: %s\n", n, buf);
  off_t off = lseek(fd, -10, SEEK_END);
  memset(buf, 0, sizeof buf);
  n = read(fd, buf, sizeof buf - 1);
  printf("lseek %lld read %zd: %s", (long long)off, n, buf);
  n = read(fd, buf, sizeof buf);
  printf("at eof read %zd\n", n);
  close(fd);

  FILE* f = fopen(at(root, "/etc/lines.txt"), "r");
  char line[64];
  int count = 0;
  while (fgets(line, sizeof line, f)) printf("line %d: %s", ++count, line);
  fclose(f);

  memset(buf, 0, sizeof buf);
  fd = open(at(root, "/etc/greeting-link"), O_RDONLY);
  n = read(fd, buf, 5);
  printf("via symlink: %s\n", buf);
  close(fd);

  DIR* d = opendir(at(root, "/etc"));
  char* names[32];
  int k = 0;
  struct dirent* e;
  while ((e = readdir(d)) && k < 32) names[k++] = strdup(e->d_name);
  closedir(d);
  qsort(names, k, sizeof names[0], cmp);
  for (int i = 0; i < k; ++i) printf("entry %s\n", names[i]);

  stat(at(root, "/etc/sub"), &st);
  printf("sub is dir %d\n", S_ISDIR(st.st_mode));
  fd = open(at(root, "/etc/sub/nested.txt"), O_RDONLY);
  memset(buf, 0, sizeof buf);
  read(fd, buf, sizeof buf - 1);
  printf("nested: %s", buf);
  close(fd);

  errno = 0;
  fd = open(at(root, "/etc/missing"), O_RDONLY);
  printf("missing: fd %d errno %s\n", fd, strerror(errno));
  errno = 0;
  fd = open(at(root, "/etc/greeting/x"), O_RDONLY);
  printf("through a file: fd %d errno %s\n", fd, strerror(errno));
  return 0;
}

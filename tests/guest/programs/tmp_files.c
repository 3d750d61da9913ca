// A writable /tmp: create, write, append, read back, seek, truncate, rename,
// mkdir, readdir and unlink. argv[1] is the directory (/tmp under shoal, a
// fresh temporary directory natively).
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char p1[512], p2[512], p3[512];

int main(int argc, char** argv) {
  const char* dir = argc > 1 ? argv[1] : "/tmp";
  snprintf(p1, sizeof p1, "%s/data.txt", dir);
  snprintf(p2, sizeof p2, "%s/renamed.txt", dir);
  snprintf(p3, sizeof p3, "%s/subdir", dir);

  FILE* f = fopen(p1, "w");
  for (int i = 0; i < 1000; ++i) fprintf(f, "record %04d\n", i);
  fclose(f);
  int fd = open(p1, O_WRONLY | O_APPEND);
  write(fd, "tail\n", 5);
  close(fd);

  struct stat st;
  stat(p1, &st);
  printf("size %lld\n", (long long)st.st_size);
  f = fopen(p1, "r");
  char line[64];
  long sum = 0;
  int lines = 0;
  while (fgets(line, sizeof line, f)) { ++lines; sum += atoi(line + 7); }
  fclose(f);
  printf("lines %d sum %ld\n", lines, sum);

  fd = open(p1, O_RDWR);
  lseek(fd, 12 * 500, SEEK_SET);
  write(fd, "RECORD", 6);
  char buf[32] = {0};
  pread(fd, buf, 11, 12 * 500);
  printf("patched: %s\n", buf);
  ftruncate(fd, 24);
  fstat(fd, &st);
  printf("truncated size %lld\n", (long long)st.st_size);
  close(fd);

  printf("rename %d\n", rename(p1, p2));
  errno = 0;
  printf("old name open %d errno %s\n", open(p1, O_RDONLY), strerror(errno));
  errno = 0;
  printf("exclusive create %d errno %s\n", open(p2, O_CREAT | O_EXCL | O_WRONLY, 0644), strerror(errno));
  printf("mkdir %d\n", mkdir(p3, 0755));
  errno = 0;
  printf("mkdir again %d errno %s\n", mkdir(p3, 0755), strerror(errno));

  int entries = 0;
  DIR* d = opendir(dir);
  struct dirent* e;
  while ((e = readdir(d))) if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) ++entries;
  closedir(d);
  printf("entries %d\n", entries);

  printf("unlink %d rmdir %d\n", unlink(p2), rmdir(p3));
  errno = 0;
  printf("stat after unlink %d errno %s\n", stat(p2, &st), strerror(errno));
  return 0;
}

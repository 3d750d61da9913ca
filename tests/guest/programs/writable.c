// A directory the image declares writable (--writable /etc/sub): the shipped
// file is readable and modifiable, new files can be made, and both read back.
// argv[1] is the prefix of the tree (empty under shoal). Natively, argv[2]
// names the fixture whose etc/sub/nested.txt is first copied under the prefix
// (what the image provides under shoal). With argv[1] = "--erofs" (shoal
// only), it shows that the rest of the root stays read-only.
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

static void copy_fixture(const char* prefix, const char* fixture) {
  char src[4096], dst[4096], buf[4096];
  snprintf(dst, sizeof dst, "%s/etc", prefix);
  mkdir(dst, 0755);
  snprintf(dst, sizeof dst, "%s/etc/sub", prefix);
  mkdir(dst, 0755);
  snprintf(src, sizeof src, "%s/etc/sub/nested.txt", fixture);
  snprintf(dst, sizeof dst, "%s/etc/sub/nested.txt", prefix);
  int in = open(src, O_RDONLY), out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ssize_t n;
  while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof buf)) > 0) write(out, buf, n);
  close(in);
  close(out);
}

static void show(const char* label, const char* path) {
  char buf[256] = {0};
  int fd = open(path, O_RDONLY);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
  printf("%s: read %zd: %s", label, n, n > 0 ? buf : "\n");
  if (fd >= 0) close(fd);
}

static int cmp(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }

static int erofs(void) {
  int fd = open("/etc/greeting", O_WRONLY | O_APPEND);
  printf("greeting: fd %d errno %s\n", fd, strerror(errno));
  printf("mkdir /etc/new: %d errno %s\n", mkdir("/etc/new", 0755), strerror(errno));
  printf("create /etc/new.txt: %d errno %s\n", open("/etc/new.txt", O_WRONLY | O_CREAT, 0644), strerror(errno));
  fd = open("/etc/sub/ok.txt", O_WRONLY | O_CREAT, 0644);
  printf("create /etc/sub/ok.txt: %s\n", fd >= 0 ? "ok" : strerror(errno));
  char cwd[256] = "";
  if (chdir("/etc/sub/..") == 0 && getcwd(cwd, sizeof cwd) != NULL) printf("cwd after /etc/sub/..: %s\n", cwd);
  if (chdir("/etc/sub") == 0 && getcwd(cwd, sizeof cwd) != NULL) printf("cwd in /etc/sub: %s\n", cwd);
  struct stat st;
  if (stat("/etc/sub/nested.txt", &st) == 0)
    printf("nested.txt mode %o size %lld\n", st.st_mode & 07777, (long long)st.st_size);
  return 0;
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "--erofs") == 0) return erofs();
  const char* root = argc > 1 ? argv[1] : "";
  if (argc > 2) copy_fixture(root, argv[2]);

  char nested[4096], fresh[4096];
  snprintf(nested, sizeof nested, "%s", at(root, "/etc/sub/nested.txt"));
  snprintf(fresh, sizeof fresh, "%s", at(root, "/etc/sub/new.txt"));
  show("shipped", nested);

  int fd = open(nested, O_WRONLY | O_APPEND);
  if (fd < 0) { printf("open for append: %s\n", strerror(errno)); return 1; }
  printf("append %zd\n", write(fd, "appended\n", 9));
  close(fd);
  fd = open(fresh, O_WRONLY | O_CREAT | O_EXCL, 0640);
  if (fd < 0) { printf("create: %s\n", strerror(errno)); return 1; }
  printf("write %zd\n", write(fd, "a new file\n", 11));
  close(fd);
  show("modified", nested);
  show("created", fresh);

  struct stat st;
  stat(nested, &st);
  printf("nested.txt size %lld regular %d\n", (long long)st.st_size, S_ISREG(st.st_mode));
  printf("mkdir inner %d\n", mkdir(at(root, "/etc/sub/inner"), 0755));
  printf("rename %d\n", rename(fresh, at(root, "/etc/sub/inner/moved.txt")));
  show("moved", at(root, "/etc/sub/inner/moved.txt"));
  printf("rename back %d\n", rename(at(root, "/etc/sub/inner/moved.txt"), fresh));
  printf("rmdir %d\n", rmdir(at(root, "/etc/sub/inner")));
  show("created again", fresh);

  DIR* d = opendir(at(root, "/etc/sub"));
  if (d == NULL) { perror("opendir"); return 1; }
  char* names[64];
  int count = 0;
  struct dirent* de;
  while ((de = readdir(d)) != NULL && count < 64) names[count++] = strdup(de->d_name);
  closedir(d);
  qsort(names, count, sizeof names[0], cmp);
  printf("entries:");
  for (int i = 0; i < count; ++i) printf(" %s", names[i]);
  printf("\n");
  return 0;
}

// libc: glibc musl
// Edge cases of the file layer that real programs trip over.
#include <dirent.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "compat.h"

CASE(pwrite_on_append_file)
// covers: pwrite64 openat
{
  char buf[32];
  write_file(T("/ap"), "base");
  int fd = open(T("/ap"), O_RDWR | O_APPEND);
  SHOW(pwrite(fd, "XY", 2, 0));
  long n = SHOW(pread(fd, buf, sizeof buf, 0));
  print_buf("data", buf, n);
}

CASE(open_creat_directory_flag)
// covers: openat
{
  SHOW(open(T("/x"), O_CREAT | O_DIRECTORY | O_RDONLY, 0644));
  SHOW(open(T("/y/"), O_CREAT | O_WRONLY, 0644));
  write_file(T("/f"), "x");
  SHOW(open(T("/f/"), O_RDONLY));
  SHOW(open(T("/f/"), O_CREAT | O_WRONLY, 0644));
}

CASE(open_excl_on_symlink)
// covers: openat
{
  int dfd = open(T("/"), O_RDONLY | O_DIRECTORY);
  symlinkat("nowhere", dfd, "l");
  SHOW(openat(dfd, "l", O_CREAT | O_EXCL | O_WRONLY, 0644));
  SHOW(faccessat(dfd, "nowhere", F_OK, 0));
}

CASE(path_too_long)
// covers: openat stat
{
  static char path[5000];
  memset(path, 'a', sizeof path - 1);
  path[0] = '/';
  struct stat st;
  SHOW(open(path, O_RDONLY));
  SHOW(stat(path, &st));
  static char ok_len[4000];
  strcpy(ok_len, "/");
  for (int i = 1; i < 3990; i += 2) strcat(ok_len, "./");
  SHOW(stat(ok_len, &st));
}

CASE(deep_symlink_chain)
// covers: symlink stat
{
  char name[4096], target[32];
  write_file(T("/l0"), "end");
  for (int i = 1; i <= 41; i++) {
    snprintf(name, sizeof name, "%s/l%d", g_tmp, i);
    snprintf(target, sizeof target, "l%d", i - 1);
    symlink(target, name);
  }
  struct stat st;
  SHOW(stat(T("/l40"), &st));
  SHOW(stat(T("/l41"), &st));
}

CASE(trailing_slashes)
// covers: mkdir unlink rmdir stat
{
  struct stat st;
  SHOW(mkdir(T("/d//"), 0755));
  SHOW(stat(T("//d///"), &st));
  write_file(T("/f"), "x");
  SHOW(unlink(T("/f/")));
  SHOW(rmdir(T("/d/")));
  SHOW(rmdir(T("/d/.")));
}

CASE(dot_and_dotdot)
// covers: openat unlink rename mkdir
{
  mkdir(T("/d"), 0755);
  SHOW(unlink(T("/d/.")));
  SHOW(unlink(T("/d/..")));
  SHOW(rename(T("/d/."), T("/e")));
  SHOW(mkdir(T("/d/.."), 0755));
  SHOW(mkdir(T("/d/."), 0755));
  OK(open(T("/d/./../d/."), O_RDONLY));
}

CASE(dotdot_of_root)
// covers: chdir getcwd
{
  char buf[64];
  SHOW(chdir("/../../.."));
  SHOW(syscall(SYS_getcwd, buf, sizeof buf));
  printf("cwd %s\n", buf);
}

CASE(stdout_is_not_a_tty)
// covers: ioctl
{
  struct termios t;
  SHOW(isatty(1));
  SHOW(ioctl(1, TCGETS, &t));
  SHOW(isatty(0));
}

CASE(seekdir_telldir)
// covers: getdents64 lseek
{
  DIR* d = opendir(R("/dir"));
  int count = 0;
  long pos = -1;
  struct dirent* e;
  while ((e = readdir(d))) {
    if (++count == 2) pos = telldir(d);
  }
  seekdir(d, pos);
  int rest = 0;
  while ((e = readdir(d))) rest++;
  printf("total %d after seekdir %d\n", count, rest);
  closedir(d);
}

CASE(getdents_after_unlink)
// covers: getdents64 unlink
{
  mkdir(T("/g"), 0755);
  char p[64];
  for (int i = 0; i < 10; i++) {
    snprintf(p, sizeof p, "%s/g/f%d", g_tmp, i);
    write_file(p, "x");
  }
  DIR* d = opendir(T("/g"));
  int seen = 0;
  struct dirent* e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == 'f') {
      snprintf(p, sizeof p, "%s/g/%s", g_tmp, e->d_name);
      unlink(p);
      seen++;
    }
  }
  closedir(d);
  printf("seen %d\n", seen);
  SHOW(rmdir(T("/g")));
}

CASE(proc_self_fd)
// covers: getdents64 readlink
{
  int fd = open(R("/etc/hello.txt"), O_RDONLY);
  char link[64], buf[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  long n = readlink(link, buf, sizeof buf - 1);
  if (n >= 0) buf[n] = 0;
  printf("readlink ok %d ends %s\n", n > 0, n > 0 ? strrchr(buf, '/') : "");
  DIR* d = opendir("/proc/self/fd");
  int count = 0;
  struct dirent* e;
  while ((e = readdir(d))) count++;
  closedir(d);
  printf("entries %d\n", count);
  int again = open(link, O_RDONLY);
  n = read(again, buf, 5);
  print_buf("via /proc/self/fd", buf, n);
}

CASE(dup2_keeps_file_after_close)
// covers: dup2 close read
{
  char buf[8];
  int fd = open(R("/etc/hello.txt"), O_RDONLY);
  dup2(fd, 20);
  close(fd);
  long n = SHOW(read(20, buf, 5));
  print_buf("data", buf, n);
}

CASE(lseek_directory_and_devnull)
// covers: lseek
{
  int d = open(R("/dir"), O_RDONLY | O_DIRECTORY);
  SHOW(lseek(d, 0, SEEK_SET));
  int n = open("/dev/null", O_RDWR);
  SHOW(lseek(n, 100, SEEK_SET));
  SHOW(lseek(n, 0, SEEK_END));
}

CASE(write_to_file_on_root_readonly_fd)
// covers: write ftruncate
{
  int fd = open(R("/etc/hello.txt"), O_RDONLY);
  SHOW(write(fd, "x", 1));
  SHOW(ftruncate(fd, 0));
}

CASE(read_tmp_sparse_after_truncate_grow)
// covers: ftruncate read
{
  unsigned char buf[8];
  int fd = open(T("/s"), O_RDWR | O_CREAT, 0644);
  write(fd, "abcdefgh", 8);
  ftruncate(fd, 2);
  ftruncate(fd, 8);
  pread(fd, buf, 8, 0);
  print_buf("data", (char*)buf, 8);
}

CASE(many_files_in_dir)
// covers: openat getdents64 unlink
{
  char p[64];
  mkdir(T("/many"), 0755);
  for (int i = 0; i < 300; i++) {
    snprintf(p, sizeof p, "%s/many/file-%03d", g_tmp, i);
    int fd = open(p, O_WRONLY | O_CREAT, 0644);
    write(fd, p, 3);
    close(fd);
  }
  DIR* d = opendir(T("/many"));
  int count = 0;
  while (readdir(d)) count++;
  closedir(d);
  printf("entries %d\n", count);
  for (int i = 0; i < 300; i += 2) {
    snprintf(p, sizeof p, "%s/many/file-%03d", g_tmp, i);
    unlink(p);
  }
  d = opendir(T("/many"));
  count = 0;
  while (readdir(d)) count++;
  closedir(d);
  printf("after unlink %d\n", count);
}

// libc: glibc musl
// getdents64, mkdir, mkdirat, rmdir, unlink, unlinkat, rename, renameat,
// getcwd, chdir.
#include <dirent.h>

#include "compat.h"

struct Dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

static int cmp_str(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }

// Lists a directory with raw getdents64 (sorted: the order is the file
// system's), with entry types.
static void list_dir(const char* path, unsigned bufsize) {
  char buf[8192];
  char* names[64];
  int n = 0;
  int fd = open(path, O_RDONLY | O_DIRECTORY);
  if (fd < 0) {
    printf("open dir = -1 %s\n", errname(errno));
    return;
  }
  long got;
  while ((got = syscall(SYS_getdents64, fd, buf, bufsize)) > 0) {
    for (long off = 0; off < got;) {
      struct Dirent64* d = (struct Dirent64*)(buf + off);
      char* s = malloc(300);
      snprintf(s, 300, "%s type=%d", d->d_name, d->d_type);
      if (n < 64) names[n++] = s;
      off += d->d_reclen;
    }
  }
  if (got < 0) printf("getdents64 = -1 %s\n", errname(errno));
  qsort(names, n, sizeof names[0], cmp_str);
  for (int i = 0; i < n; i++) printf("  %s\n", names[i]);
  close(fd);
}

CASE(getdents_root_dir)
// covers: getdents64
{
  list_dir(R("/dir"), sizeof(((char[8192]){0})));
  list_dir(R("/etc"), 8192);
}

CASE(getdents_small_buffer)
// covers: getdents64
{
  list_dir(R("/etc"), 40);
}

CASE(getdents_errors)
// covers: getdents64
{
  char buf[256];
  int fd = open(R("/etc/hello.txt"), O_RDONLY);
  SHOW(syscall(SYS_getdents64, fd, buf, sizeof buf));
  SHOW(syscall(SYS_getdents64, -1, buf, sizeof buf));
  int dfd = open(R("/etc"), O_RDONLY | O_DIRECTORY);
  SHOW(syscall(SYS_getdents64, dfd, buf, 4));
  SHOW(syscall(SYS_getdents64, dfd, BAD_PTR, sizeof buf));
}

CASE(getdents_tmp)
// covers: getdents64 mkdir
{
  mkdir(T("/d"), 0755);
  write_file(T("/d/one"), "1");
  write_file(T("/d/two"), "2");
  mkdir(T("/d/three"), 0755);
  list_dir(T("/d"), 8192);
}

CASE(readdir_libc)
// covers: getdents64
{
  DIR* d = opendir(R("/dir/sub"));
  struct dirent* e;
  int count = 0;
  while ((e = readdir(d))) count++;
  printf("entries %d\n", count);
  rewinddir(d);
  count = 0;
  while ((e = readdir(d))) count++;
  printf("after rewind %d\n", count);
  closedir(d);
}

CASE(mkdir_basic)
// covers: mkdir stat
{
  struct stat st;
  SHOW(mkdir(T("/m"), 0755));
  SHOW(stat(T("/m"), &st));
  printf("dir %d perm %o\n", S_ISDIR(st.st_mode), st.st_mode & 0777);
  SHOW(mkdir(T("/m/n"), 0700));
  SHOW(mkdir(T("/m/n/"), 0700));
}

CASE(mkdir_errors)
// covers: mkdir
{
  write_file(T("/f"), "x");
  SHOW(mkdir(T("/f"), 0755));
  SHOW(mkdir(T("/f/sub"), 0755));
  SHOW(mkdir(T("/missing/sub"), 0755));
  SHOW(syscall(SYS_mkdir, BAD_PTR, 0755));
  SHOW(mkdir(T("/"), 0755));
}

CASE(mkdir_umask)
// covers: mkdir umask
{
  struct stat st;
  umask(077);
  mkdir(T("/u"), 0777);
  stat(T("/u"), &st);
  printf("perm %o\n", st.st_mode & 0777);
}

CASE(mkdirat_dirfd)
// covers: mkdirat
{
  struct stat st;
  int dfd = open(T("/"), O_RDONLY | O_DIRECTORY);
  SHOW(mkdirat(dfd, "via-fd", 0755));
  SHOW(stat(T("/via-fd"), &st));
  SHOW(mkdirat(dfd, "via-fd", 0755));
  SHOW(mkdirat(-1, "x", 0755));
  int fd = open(R("/etc/hello.txt"), O_RDONLY);
  SHOW(mkdirat(fd, "x", 0755));
}

CASE(rmdir_cases)
// covers: rmdir
{
  mkdir(T("/r"), 0755);
  mkdir(T("/r/full"), 0755);
  write_file(T("/r/full/f"), "x");
  mkdir(T("/r/empty"), 0755);
  SHOW(rmdir(T("/r/full")));
  SHOW(rmdir(T("/r/empty")));
  SHOW(rmdir(T("/r/empty")));
  SHOW(rmdir(T("/r/full/f")));
  SHOW(rmdir(T("/r/.")));
  SHOW(syscall(SYS_rmdir, BAD_PTR));
}

CASE(unlink_cases)
// covers: unlink
{
  struct stat st;
  write_file(T("/del"), "x");
  mkdir(T("/dd"), 0755);
  SHOW(unlink(T("/del")));
  SHOW(stat(T("/del"), &st));
  SHOW(unlink(T("/del")));
  SHOW(unlink(T("/dd")));
  SHOW(unlink(T("/dd/x/y")));
  SHOW(syscall(SYS_unlink, BAD_PTR));
}

CASE(unlink_open_file)
// covers: unlink read fstat
{
  char buf[16];
  struct stat st;
  write_file(T("/keep"), "still here");
  int fd = open(T("/keep"), O_RDONLY);
  SHOW(unlink(T("/keep")));
  SHOW(fstat(fd, &st));
  printf("nlink %ld\n", (long)st.st_nlink);
  long n = SHOW(read(fd, buf, sizeof buf));
  print_buf("data", buf, n);
}

CASE(unlinkat_flags)
// covers: unlinkat
{
  int dfd = open(T("/"), O_RDONLY | O_DIRECTORY);
  mkdir(T("/ud"), 0755);
  write_file(T("/uf"), "x");
  SHOW(unlinkat(dfd, "ud", 0));
  SHOW(unlinkat(dfd, "uf", AT_REMOVEDIR));
  SHOW(unlinkat(dfd, "ud", AT_REMOVEDIR));
  SHOW(unlinkat(dfd, "uf", 0));
  SHOW(unlinkat(dfd, "uf", 0x12345));
  SHOW(unlinkat(-1, "uf", 0));
}

CASE(rename_file)
// covers: rename
{
  struct stat st;
  char buf[16];
  write_file(T("/a"), "A");
  write_file(T("/b"), "B");
  SHOW(rename(T("/a"), T("/c")));
  SHOW(stat(T("/a"), &st));
  SHOW(rename(T("/c"), T("/b")));
  int fd = open(T("/b"), O_RDONLY);
  long n = read(fd, buf, sizeof buf);
  print_buf("b", buf, n);
  SHOW(rename(T("/b"), T("/b")));
}

CASE(rename_errors)
// covers: rename
{
  mkdir(T("/d1"), 0755);
  mkdir(T("/d2"), 0755);
  write_file(T("/d2/x"), "x");
  write_file(T("/f"), "f");
  SHOW(rename(T("/missing"), T("/z")));
  SHOW(rename(T("/f"), T("/d1")));
  SHOW(rename(T("/d1"), T("/f")));
  SHOW(rename(T("/d1"), T("/d2")));
  SHOW(rename(T("/d1"), T("/d1/sub")));
  SHOW(rename(T("/f"), T("/nodir/f")));
  SHOW(syscall(SYS_rename, BAD_PTR, T("/z")));
}

CASE(rename_dir)
// covers: rename getdents64
{
  mkdir(T("/src"), 0755);
  write_file(T("/src/inner"), "x");
  mkdir(T("/empty"), 0755);
  SHOW(rename(T("/src"), T("/empty")));
  list_dir(T("/empty"), 8192);
  SHOW(rmdir(T("/src")));
}

CASE(renameat_dirfds)
// covers: renameat
{
  mkdir(T("/p"), 0755);
  mkdir(T("/q"), 0755);
  write_file(T("/p/file"), "x");
  int p = open(T("/p"), O_RDONLY | O_DIRECTORY);
  int q = open(T("/q"), O_RDONLY | O_DIRECTORY);
  SHOW(renameat(p, "file", q, "moved"));
  list_dir(T("/q"), 8192);
  SHOW(renameat(p, "file", q, "moved"));
  SHOW(renameat(-1, "file", q, "moved"));
}

CASE(getcwd_chdir)
// covers: getcwd chdir
{
  char buf[4096];
  SHOW(chdir(T("/")));
  mkdir("sub", 0755);
  SHOW(chdir("sub"));
  write_file("rel", "relative");
  struct stat st;
  SHOW(stat(T("/sub/rel"), &st));
  SHOW(chdir(".."));
  SHOW(stat("sub/rel", &st));
  SHOW(getcwd(buf, sizeof buf) != NULL);
  printf("cwd is tmp %d\n", strcmp(buf, g_tmp) == 0);
}

CASE(getcwd_root)
// covers: getcwd chdir
{
  char buf[256];
  SHOW(chdir("/"));
  long r = SHOW(syscall(SYS_getcwd, buf, sizeof buf));
  printf("cwd %s\n", buf);
  (void)r;
}

CASE(getcwd_errors)
// covers: getcwd
{
  char buf[256];
  chdir("/");
  SHOW(syscall(SYS_getcwd, buf, 1));
  SHOW(syscall(SYS_getcwd, buf, 0));
  SHOW(syscall(SYS_getcwd, BAD_PTR, 256));
}

CASE(chdir_errors)
// covers: chdir
{
  SHOW(chdir(R("/etc/missing")));
  SHOW(chdir(R("/etc/hello.txt")));
  SHOW(syscall(SYS_chdir, BAD_PTR));
  SHOW(chdir(""));
}

CASE(getcwd_removed_dir)
// covers: getcwd chdir rmdir
{
  char buf[256];
  mkdir(T("/gone"), 0755);
  chdir(T("/gone"));
  rmdir(T("/gone"));
  SHOW(syscall(SYS_getcwd, buf, sizeof buf));
  SHOW(open("x", O_WRONLY | O_CREAT, 0644));
}

CASE(erofs_mutations)
// covers: mkdir unlink rmdir rename
{
  SHOW(mkdir(R("/etc/newdir"), 0755));
  SHOW(unlink(R("/etc/hello.txt")));
  SHOW(rmdir(R("/dir/sub")));
  SHOW(rename(R("/etc/hello.txt"), R("/etc/renamed")));
  SHOW(mkdir(R("/etc"), 0755));
  SHOW(unlink(R("/etc/missing")));
}

CASE(erofs_rename_cross_fs)
// covers: rename
{
  write_file(T("/x"), "x");
  SHOW(rename(T("/x"), R("/etc/x")));
}

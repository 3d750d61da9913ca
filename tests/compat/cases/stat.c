// stat, fstat, lstat, newfstatat, statx, statfs, fstatfs.
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>

#include "compat.h"

static void show_stat(const char* what, const struct stat* st) {
  const char* t = S_ISREG(st->st_mode) ? "reg" : S_ISDIR(st->st_mode) ? "dir" : S_ISLNK(st->st_mode) ? "lnk"
                  : S_ISCHR(st->st_mode) ? "chr" : S_ISFIFO(st->st_mode) ? "fifo" : "other";
  printf("%s: %s size %ld\n", what, t, S_ISDIR(st->st_mode) ? 0L : (long)st->st_size);
}

CASE(stat_root_file)
// covers: stat newfstatat
{
  struct stat st;
  SHOW(stat(R("/etc/hello.txt"), &st));
  show_stat("hello.txt", &st);
  printf("perm %o\n", st.st_mode & 0777);
  SHOW(syscall(SYS_stat, R("/etc/numbers.txt"), &st));
  show_stat("numbers.txt", &st);
}

CASE(stat_dir)
// covers: stat
{
  struct stat st;
  SHOW(stat(R("/dir"), &st));
  show_stat("dir", &st);
  SHOW(stat(T("/"), &st));
  show_stat("tmp", &st);
}

CASE(stat_errors)
// covers: stat
{
  struct stat st;
  SHOW(stat(R("/etc/missing"), &st));
  SHOW(stat(R("/etc/hello.txt/x"), &st));
  SHOW(syscall(SYS_stat, BAD_PTR, &st));
  SHOW(syscall(SYS_stat, R("/etc/hello.txt"), BAD_PTR));
  SHOW(stat("", &st));
}

CASE(lstat_symlink)
// covers: lstat stat
{
  struct stat st;
  SHOW(lstat(R("/etc/hello-link"), &st));
  show_stat("lstat link", &st);
  SHOW(stat(R("/etc/hello-link"), &st));
  show_stat("stat link", &st);
  SHOW(syscall(SYS_lstat, R("/etc/dangling"), &st));
  show_stat("lstat dangling", &st);
  SHOW(stat(R("/etc/dangling"), &st));
}

CASE(fstat_kinds)
// covers: fstat
{
  struct stat st;
  int p[2];
  pipe(p);
  SHOW(fstat(p[0], &st));
  show_stat("pipe", &st);
  SHOW(syscall(SYS_fstat, open(R("/etc/empty"), O_RDONLY), &st));
  show_stat("empty", &st);
  SHOW(fstat(open("/dev/null", O_RDONLY), &st));
  show_stat("/dev/null", &st);
}

CASE(fstat_errors)
// covers: fstat
{
  struct stat st;
  SHOW(fstat(-1, &st));
  SHOW(fstat(55, &st));
  SHOW(syscall(SYS_fstat, 0, BAD_PTR));
}

CASE(fstatat_flags)
// covers: newfstatat
{
  struct stat st;
  int dfd = open(R("/etc"), O_RDONLY | O_DIRECTORY);
  SHOW(fstatat(dfd, "hello-link", &st, AT_SYMLINK_NOFOLLOW));
  show_stat("nofollow", &st);
  SHOW(fstatat(dfd, "hello-link", &st, 0));
  show_stat("follow", &st);
  int fd = open(R("/etc/numbers.txt"), O_RDONLY);
  SHOW(fstatat(fd, "", &st, AT_EMPTY_PATH));
  show_stat("empty path", &st);
  SHOW(fstatat(fd, "", &st, 0));
  SHOW(fstatat(dfd, "x", &st, 0x12345678));
  SHOW(fstatat(fd, "x", &st, 0));
}

CASE(statx_basic)
// covers: statx
{
  struct statx sx;
  SHOW(statx(AT_FDCWD, R("/etc/hello.txt"), 0, STATX_BASIC_STATS, &sx));
  printf("size %llu reg %d mask-has-size %d\n", (unsigned long long)sx.stx_size, S_ISREG(sx.stx_mode),
         (sx.stx_mask & STATX_SIZE) != 0);
  SHOW(statx(AT_FDCWD, R("/etc/hello-link"), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx));
  printf("link %d size %llu\n", S_ISLNK(sx.stx_mode), (unsigned long long)sx.stx_size);
}

CASE(statx_errors)
// covers: statx
{
  struct statx sx;
  SHOW(statx(AT_FDCWD, R("/etc/missing"), 0, STATX_BASIC_STATS, &sx));
  SHOW(syscall(SYS_statx, AT_FDCWD, R("/etc/hello.txt"), 0, STATX_BASIC_STATS, BAD_PTR));
  SHOW(syscall(SYS_statx, AT_FDCWD, BAD_PTR, 0, STATX_BASIC_STATS, &sx));
  SHOW(statx(-1, "x", 0, STATX_BASIC_STATS, &sx));
  SHOW(statx(AT_FDCWD, R("/etc/hello.txt"), 0, 0x80000000u, &sx));
}

CASE(stat_tmp_after_write)
// covers: fstat stat
{
  struct stat st;
  write_file(T("/s"), "12345");
  SHOW(stat(T("/s"), &st));
  show_stat("s", &st);
  printf("perm %o nlink %ld\n", st.st_mode & 0777, (long)st.st_nlink);
}

CASE(statfs_paths)
// covers: statfs
{
  struct statfs sf;
  SHOW(statfs(R("/etc/missing"), &sf));
  SHOW(syscall(SYS_statfs, BAD_PTR, &sf));
  SHOW(syscall(SYS_statfs, T("/"), BAD_PTR));
  OK(statfs(T("/"), &sf));
  printf("namelen %ld\n", (long)sf.f_namelen);
}

CASE(fstatfs_fd)
// covers: fstatfs
{
  struct statfs sf;
  SHOW(fstatfs(-1, &sf));
  int fd = open(T("/"), O_RDONLY);
  OK(fstatfs(fd, &sf));
  SHOW(syscall(SYS_fstatfs, fd, BAD_PTR));
}

CASE(stat_dev_null)
// covers: stat
{
  struct stat st;
  SHOW(stat("/dev/null", &st));
  show_stat("/dev/null", &st);
  printf("rdev %u:%u\n", major(st.st_rdev), minor(st.st_rdev));
}

CASE(tmp_stat_details)
// covers: stat fstat mkdir
{
  struct stat st;
  mkdir(T("/d"), 0755);
  mkdir(T("/d/a"), 0755);
  mkdir(T("/d/b"), 0755);
  write_file(T("/d/f"), "12345");
  stat(T("/d"), &st);
  // Directory sizes and block counts depend on the host's file system.
  printf("dir nlink %ld\n", (long)st.st_nlink);
  stat(T("/d/f"), &st);
  printf("file nlink %ld size %ld blocks>0 %d\n", (long)st.st_nlink, (long)st.st_size, st.st_blocks > 0);
  int fd = open(T("/d/big"), O_RDWR | O_CREAT, 0644);
  static char page[10000];
  write(fd, page, sizeof page);
  fstat(fd, &st);
  printf("big blocks >= 20 %d\n", st.st_blocks >= 20);
  printf("uid %d gid %d\n", st.st_uid == getuid(), st.st_gid == getgid());
}

CASE(times_move_on_write)
// covers: fstat write utimensat
{
  struct stat a, b;
  int fd = open(T("/t"), O_RDWR | O_CREAT, 0644);
  struct timespec old[2] = {{1000, 0}, {1000, 0}};
  futimens(fd, old);
  fstat(fd, &a);
  write(fd, "x", 1);
  fstat(fd, &b);
  printf("mtime moved %d ctime >= mtime %d atime kept %d\n", b.st_mtime > a.st_mtime,
         b.st_ctime >= b.st_mtime, b.st_atime == 1000);
}

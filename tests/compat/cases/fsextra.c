// libc: glibc musl
// statfs figures and copy_file_range (issue 11, points 8 and 9).
#include <sys/statfs.h>
#include <sys/statvfs.h>

#include "compat.h"

#ifndef ST_RDONLY
#define ST_RDONLY 1
#endif

static void plausible(const char* what, const struct statfs* sf) {
  printf("%s: blocks > 0 %d, bfree <= blocks %d, bavail <= bfree %d\n", what, sf->f_blocks > 0,
         sf->f_bfree <= sf->f_blocks, sf->f_bavail <= sf->f_bfree);
  printf("%s: files > 0 %d, ffree <= files %d, bsize >= 512 %d, namelen %ld\n", what, sf->f_files > 0,
         sf->f_ffree <= sf->f_files, sf->f_bsize >= 512, (long)sf->f_namelen);
}

CASE(erofs_statfs_root)
// covers: statfs fstatfs
{
  struct statfs sf;
  OK(statfs(R("/"), &sf));
  plausible("root", &sf);
  printf("root: read-only %d\n", (sf.f_flags & ST_RDONLY) != 0);
  int fd = open(R("/etc/hello.txt"), O_RDONLY);
  struct statfs sf2;
  OK(fstatfs(fd, &sf2));
  printf("same file system %d\n", sf2.f_type == sf.f_type && sf2.f_blocks == sf.f_blocks);
  close(fd);
}

CASE(statfs_tmp)
// covers: statfs fstatfs
{
  struct statfs sf;
  OK(statfs(T("/"), &sf));
  plausible("tmp", &sf);
  printf("tmp: read-only %d\n", (sf.f_flags & ST_RDONLY) != 0);
  struct statvfs vf;
  OK(statvfs(T("/"), &vf));
  printf("statvfs agrees %d\n", vf.f_blocks > 0 && vf.f_files > 0);
}

// shoal's own figures: TMPFS_MAGIC and half of --memory for /tmp (as tmpfs
// on Linux), the image's root an EROFS-like read-only tree.
SHOAL_CASE(statfs_types)
// covers: statfs fstatfs
{
  struct statfs sf, after;
  statfs("/", &sf);
  printf("/: type %#lx, free %lu, ffree %lu, read-only %d\n", (unsigned long)sf.f_type, (unsigned long)sf.f_bfree,
         (unsigned long)sf.f_ffree, (sf.f_flags & ST_RDONLY) != 0);
  statfs("/proc", &sf);
  printf("/proc: type %#lx, blocks %lu\n", (unsigned long)sf.f_type, (unsigned long)sf.f_blocks);
  statfs("/tmp", &sf);
  printf("/tmp: type %#lx, blocks %lu, files %lu, bsize %ld\n", (unsigned long)sf.f_type,
         (unsigned long)sf.f_blocks, (unsigned long)sf.f_files, (long)sf.f_bsize);
  // A 1 MiB file takes 256 blocks and one inode; removing it gives them back.
  static char mib[1 << 20];
  memset(mib, 'x', sizeof(mib));
  int fd = open("/tmp/statfs.big", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  write(fd, mib, sizeof(mib));
  fstatfs(fd, &after);
  close(fd);
  printf("used blocks %lu, inodes %lu\n", (unsigned long)(sf.f_bfree - after.f_bfree),
         (unsigned long)(sf.f_ffree - after.f_ffree));
  unlink("/tmp/statfs.big");
  statfs("/tmp", &after);
  printf("given back %d\n", after.f_bfree == sf.f_bfree && after.f_ffree == sf.f_ffree);
}

static void show_file(const char* path) {
  char buf[256];
  int fd = open(path, O_RDONLY);
  long n = read(fd, buf, sizeof(buf));
  close(fd);
  print_buf(path + strlen(g_tmp), buf, n);
}

CASE(copy_file_range_copies)
// covers: copy_file_range
{
  write_file(T("/src"), "hello, copy_file_range!\n");
  int in = open(T("/src"), O_RDONLY);
  int out = open(T("/dst"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  SHOW(copy_file_range(in, NULL, out, NULL, 5, 0));
  SHOW(lseek(in, 0, SEEK_CUR));
  SHOW(lseek(out, 0, SEEK_CUR));
  loff_t off_in = 7, off_out;
  SHOW(copy_file_range(in, &off_in, out, NULL, 100, 0));  // short: the input ends
  printf("off_in %ld, in at %ld, out at %ld\n", (long)off_in, (long)lseek(in, 0, SEEK_CUR),
         (long)lseek(out, 0, SEEK_CUR));
  off_out = 30;
  SHOW(copy_file_range(in, NULL, out, &off_out, 4, 0));  // leaves a hole
  printf("off_out %ld, in at %ld\n", (long)off_out, (long)lseek(in, 0, SEEK_CUR));
  off_in = 24;
  SHOW(copy_file_range(in, &off_in, out, NULL, 10, 0));  // at the end
  off_in = 1000;
  SHOW(copy_file_range(in, &off_in, out, NULL, 10, 0));  // past it
  SHOW(copy_file_range(in, NULL, out, NULL, 0, 0));
  close(in);
  close(out);
  show_file(T("/dst"));
  // Within one file, without overlap.
  int rw = open(T("/src"), O_RDWR);
  off_in = 0, off_out = 24;
  SHOW(copy_file_range(rw, &off_in, rw, &off_out, 6, 0));
  close(rw);
  show_file(T("/src"));
}

CASE(copy_file_range_errors)
// covers: copy_file_range
{
  write_file(T("/src"), "0123456789");
  int in = open(T("/src"), O_RDONLY);
  int out = open(T("/dst"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int wronly = open(T("/src"), O_WRONLY);
  int append = open(T("/dst"), O_WRONLY | O_APPEND);
  int rw = open(T("/src"), O_RDWR);
  int dir = open(T("/"), O_RDONLY | O_DIRECTORY);
  int p[2];
  pipe(p);
  loff_t a = 0, b = 2, neg = -1;
  SHOW(copy_file_range(99, NULL, out, NULL, 1, 0));
  SHOW(copy_file_range(in, NULL, 99, NULL, 1, 0));
  SHOW(copy_file_range(in, NULL, out, NULL, 1, 1));
  SHOW(copy_file_range(wronly, NULL, out, NULL, 1, 0));
  SHOW(copy_file_range(in, NULL, in, NULL, 1, 0));
  SHOW(copy_file_range(in, NULL, append, NULL, 1, 0));
  SHOW(copy_file_range(dir, NULL, out, NULL, 1, 0));
  SHOW(copy_file_range(in, NULL, dir, NULL, 1, 0));
  SHOW(copy_file_range(p[0], NULL, out, NULL, 1, 0));
  SHOW(copy_file_range(in, NULL, p[1], NULL, 1, 0));
  SHOW(copy_file_range(rw, &a, rw, &b, 5, 0));  // overlapping ranges of one file
  SHOW(copy_file_range(in, &neg, out, NULL, 1, 0));
  SHOW(copy_file_range(in, NULL, out, &neg, 1, 0));
  SHOW(syscall(SYS_copy_file_range, in, BAD_PTR, out, NULL, 1, 0));
  SHOW(syscall(SYS_copy_file_range, in, NULL, out, BAD_PTR, 1, 0));
  printf("out at %ld\n", (long)lseek(out, 0, SEEK_CUR));
}

// Between the image's read-only root and /tmp: two file systems, so EXDEV
// as on Linux since 5.19 (natively the test's two directories share one).
SHOAL_CASE(copy_file_range_exdev)
// covers: copy_file_range
{
  int in = open("/etc/hello.txt", O_RDONLY);
  int out = open("/tmp/copy", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  SHOW(copy_file_range(in, NULL, out, NULL, 100, 0));
  SHOW(copy_file_range(in, NULL, out, NULL, 0, 0));
  int fd = open("/etc/hello.txt", O_RDONLY);
  loff_t off = 0;
  SHOW(copy_file_range(in, &off, fd, NULL, 1, 0));  // read-only output
}

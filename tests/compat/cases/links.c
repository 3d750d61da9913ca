// libc: glibc musl
// symlink, symlinkat, link, linkat on the writable file system.
#include "compat.h"

CASE(symlink_tmp)
// covers: symlink readlink lstat
{
  char buf[64];
  write_file(T("/target"), "via link\n");
  SHOW(symlink("target", T("/ln")));
  long n = SHOW(readlink(T("/ln"), buf, sizeof buf));
  print_buf("link", buf, n);
  int fd = open(T("/ln"), O_RDONLY);
  n = SHOW(read(fd, buf, sizeof buf));
  print_buf("data", buf, n);
  struct stat st;
  SHOW(lstat(T("/ln"), &st));
  printf("is link %d size %ld perm %o\n", S_ISLNK(st.st_mode), (long)st.st_size, st.st_mode & 0777);
  SHOW(unlink(T("/ln")));
  SHOW(access(T("/target"), F_OK));
}

CASE(symlink_errors)
// covers: symlink symlinkat
{
  write_file(T("/f"), "x");
  SHOW(symlink("x", T("/f")));
  SHOW(symlink("", T("/empty")));
  SHOW(symlink("x", T("/nodir/l")));
  SHOW(syscall(SYS_symlink, BAD_PTR, T("/l")));
  SHOW(syscall(SYS_symlink, "x", BAD_PTR));
  SHOW(symlinkat("x", -1, "l"));
}

CASE(symlink_dangling_and_dir)
// covers: symlinkat getdents64 chdir
{
  char buf[64];
  int dfd = open(T("/"), O_RDONLY | O_DIRECTORY);
  SHOW(symlinkat("nowhere", dfd, "dangle"));
  SHOW(open(T("/dangle"), O_RDONLY));
  SHOW(open(T("/dangle"), O_WRONLY | O_CREAT, 0644));
  SHOW(access(T("/nowhere"), F_OK));
  mkdir(T("/realdir"), 0755);
  SHOW(symlinkat("realdir", dfd, "dirlink"));
  write_file(T("/dirlink/inner"), "in");
  SHOW(access(T("/realdir/inner"), F_OK));
  SHOW(chdir(T("/dirlink")));
  SHOW(getcwd(buf, sizeof buf) != NULL);
  const char* base = strrchr(buf, '/');
  printf("cwd ends in %s\n", base ? base : buf);
  SHOW(rmdir(T("/dirlink")));
  SHOW(unlink(T("/dirlink/")));
}

CASE(symlink_loop)
// covers: symlink openat
{
  symlink("b", T("/a"));
  symlink("a", T("/b"));
  SHOW(open(T("/a"), O_RDONLY));
  SHOW(symlink("self", T("/self")));
  struct stat st;
  SHOW(stat(T("/self"), &st));
}

CASE(hard_link)
// covers: link linkat
{
  struct stat st;
  char buf[16];
  write_file(T("/orig"), "shared");
  SHOW(link(T("/orig"), T("/hard")));
  SHOW(stat(T("/orig"), &st));
  printf("nlink %ld\n", (long)st.st_nlink);
  SHOW(unlink(T("/orig")));
  int fd = open(T("/hard"), O_RDONLY);
  long n = read(fd, buf, sizeof buf);
  print_buf("data", buf, n);
  fstat(fd, &st);
  printf("nlink %ld\n", (long)st.st_nlink);
  int dfd = open(T("/"), O_RDONLY | O_DIRECTORY);
  SHOW(linkat(dfd, "hard", dfd, "again", 0));
  SHOW(stat(T("/again"), &st));
  printf("nlink %ld\n", (long)st.st_nlink);
}

CASE(link_errors)
// covers: link linkat
{
  mkdir(T("/d"), 0755);
  write_file(T("/f"), "x");
  SHOW(link(T("/d"), T("/d2")));
  SHOW(link(T("/f"), T("/f")));
  SHOW(link(T("/missing"), T("/x")));
  SHOW(link(T("/f"), T("/nodir/x")));
  SHOW(linkat(AT_FDCWD, T("/f"), AT_FDCWD, T("/y"), 0x1234));
  SHOW(syscall(SYS_link, BAD_PTR, T("/z")));
}

CASE(erofs_link_symlink)
// covers: link symlink
{
  SHOW(symlink("x", R("/etc/newlink")));
  SHOW(link(R("/etc/hello.txt"), R("/etc/hard")));
  write_file(T("/f"), "x");
  SHOW(link(T("/f"), R("/etc/cross")));
}

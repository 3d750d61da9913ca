// Who and where the program runs: one root process (pid 1) on "Linux".
#include "core/errno.hpp"
#include "core/klib.hpp"
#include "core/uaccess.hpp"
#include "syscalls/handlers.hpp"
#include "uapi/utsname.hpp"

using namespace libos;

namespace {
void copy_field(char* dst, const char* src) { memcpy(dst, src, strlen(src) + 1); }
}  // namespace

long sys_uname(uapi::Utsname* buf) {
  if (!user_writable(buf, sizeof(*buf))) return -EFAULT;
  memset(buf, 0, sizeof(*buf));
  copy_field(buf->sysname, "Linux");
  copy_field(buf->nodename, "shoal");
  copy_field(buf->release, "6.1.0-shoal");
  copy_field(buf->version, "#1 SMP shoal");
  copy_field(buf->machine, "x86_64");
  copy_field(buf->domainname, "(none)");
  return 0;
}

long sys_getuid() { return 0; }
long sys_geteuid() { return 0; }
long sys_getgid() { return 0; }
long sys_getegid() { return 0; }
long sys_setuid(unsigned uid) { return uid == 0 ? 0 : -EPERM; }
long sys_setgid(unsigned gid) { return gid == 0 ? 0 : -EPERM; }

long sys_getresuid(unsigned* r, unsigned* e, unsigned* s) {
  if (!user_writable(r, 4) || !user_writable(e, 4) || !user_writable(s, 4)) return -EFAULT;
  *r = *e = *s = 0;
  return 0;
}

long sys_getresgid(unsigned* r, unsigned* e, unsigned* s) { return sys_getresuid(r, e, s); }

long sys_getgroups(int size, unsigned*) { return size < 0 ? -EINVAL : 0; }

long sys_getpgrp() { return 1; }
long sys_getpgid(int pid) { return pid == 0 || pid == 1 ? 1 : -ESRCH; }
long sys_setpgid(int pid, int pgid) {
  if (pid < 0 || pgid < 0) return -EINVAL;
  return pid == 0 || pid == 1 ? 0 : -ESRCH;
}
long sys_getsid(int pid) { return pid == 0 || pid == 1 ? 1 : -ESRCH; }
// The one process (pid 1) already leads its process group: Linux refuses.
long sys_setsid() { return -EPERM; }

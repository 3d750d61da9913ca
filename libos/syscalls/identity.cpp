// Who and where the program runs: root processes on "Linux".
#include "core/errno.hpp"
#include "core/klib.hpp"
#include "core/uaccess.hpp"
#include "sched/process.hpp"
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

// Process groups and sessions live in the family's table, in the monitor
// (abi HcProcess): a shell's setpgid for its jobs is seen by every process.
// Without the process model (a monitor that has none): one process, pid 1,
// leading its group and session.
namespace {
long pgid_call(uint32_t op, int pid, int pgid, long alone) {
  long r = sched::process_call(op, pid, pgid, 0);
  return r == -ENOSYS ? alone : r;
}
bool is_self(int pid) { return pid == 0 || pid == sched::self_pid(); }
}  // namespace

long sys_getpgrp() { return pgid_call(shoal::abi::kProcessGetpgid, 0, 0, 1); }
long sys_getpgid(int pid) {
  if (pid < 0) return -ESRCH;
  return pgid_call(shoal::abi::kProcessGetpgid, pid, 0, is_self(pid) ? 1 : -ESRCH);
}
long sys_setpgid(int pid, int pgid) {
  if (pid < 0 || pgid < 0) return -EINVAL;
  return pgid_call(shoal::abi::kProcessSetpgid, pid, pgid, is_self(pid) ? 0 : -ESRCH);
}
long sys_getsid(int pid) {
  if (pid < 0) return -ESRCH;
  return pgid_call(shoal::abi::kProcessGetsid, pid, 0, is_self(pid) ? 1 : -ESRCH);
}
// pid 1 already leads its process group: Linux refuses.
long sys_setsid() { return pgid_call(shoal::abi::kProcessSetsid, 0, 0, -EPERM); }

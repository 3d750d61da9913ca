// Process identity and resources: getpid and friends, uname, rlimits,
// sysinfo, times, getrusage, prctl, arch_prctl, scheduling, getcpu,
// getrandom, membarrier, rseq, set_tid_address, robust lists.
#include <sched.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <time.h>
#include <asm/prctl.h>

#include "compat.h"

CASE(pid_tid)
// covers: getpid gettid getppid
{
  printf("pid positive %d\n", getpid() > 0);
  printf("tid == pid %d\n", gettid() == getpid());
  printf("ppid nonnegative %d\n", getppid() >= 0);
  printf("raw getpid == pid %d\n", syscall(SYS_getpid) == getpid());
}

CASE(uid_gid)
// covers: getuid geteuid getgid getegid getresuid getresgid
{
  uid_t r, e, s;
  gid_t gr, ge, gs;
  SHOW(getuid());
  SHOW(geteuid());
  SHOW(getgid());
  SHOW(getegid());
  SHOW(getresuid(&r, &e, &s));
  printf("res uid %d %d %d\n", r, e, s);
  SHOW(getresgid(&gr, &ge, &gs));
  printf("res gid %d %d %d\n", gr, ge, gs);
  SHOW(syscall(SYS_getresuid, BAD_PTR, &e, &s));
}

CASE(setuid_setgid_same)
// covers: setuid setgid
{
  SHOW(setuid(getuid()));
  SHOW(setgid(getgid()));
}

CASE(groups)
// covers: getgroups
{
  gid_t g[64];
  long n = getgroups(0, NULL);
  printf("count ok %d\n", n >= 0);
  printf("fetch ok %d\n", getgroups(64, g) == n);
  SHOW(getgroups(-1, g));
}

CASE(process_groups)
// covers: getpgrp getpgid setpgid getsid setsid
{
  printf("pgrp ok %d\n", getpgrp() >= 0);
  printf("getpgid(0) == getpgrp %d\n", getpgid(0) == getpgrp());
  SHOW(setpgid(0, 0));
  printf("now leader %d\n", getpgrp() == getpid());
  // The session may belong to an ancestor outside this pid namespace (CI
  // runners): getsid then gives 0, so only consistency is compared.
  printf("sid consistent %d\n", getsid(0) >= 0 && getsid(0) == getsid(getpid()));
  SHOW(setsid());
  SHOW(setpgid(-1, 0));
  SHOW(getpgid(-5));
}

CASE(uname_fields)
// covers: uname
{
  struct utsname u;
  SHOW(uname(&u));
  printf("%s %s\n", u.sysname, u.machine);
  SHOW(syscall(SYS_uname, BAD_PTR));
}

CASE(rlimit_get_set)
// covers: getrlimit setrlimit prlimit64
{
  struct rlimit rl, back;
  SHOW(getrlimit(RLIMIT_NOFILE, &rl));
  printf("cur <= max %d\n", rl.rlim_cur <= rl.rlim_max);
  struct rlimit lower = {64, rl.rlim_max};
  SHOW(setrlimit(RLIMIT_NOFILE, &lower));
  SHOW(getrlimit(RLIMIT_NOFILE, &back));
  printf("cur %ld\n", (long)back.rlim_cur);
  struct rlimit bad = {100, 50};
  SHOW(setrlimit(RLIMIT_NOFILE, &bad));
  SHOW(getrlimit(1000, &back));
  SHOW(syscall(SYS_getrlimit, RLIMIT_NOFILE, BAD_PTR));
  SHOW(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &back));
  printf("prlimit cur %ld\n", (long)back.rlim_cur);
}

CASE(rlimit_stack_as)
// covers: getrlimit prlimit64
{
  struct rlimit rl;
  SHOW(getrlimit(RLIMIT_STACK, &rl));
  printf("stack >= 1MiB %d\n", rl.rlim_cur >= (1 << 20));
  SHOW(getrlimit(RLIMIT_CORE, &rl));
  SHOW(prlimit(0, RLIMIT_STACK, NULL, &rl));
}

CASE(nofile_limit_enforced)
// covers: setrlimit openat
{
  struct rlimit rl = {10, 10};
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = 10;
  SHOW(setrlimit(RLIMIT_NOFILE, &rl));
  int last = 0;
  for (int i = 0; i < 20; i++) {
    int fd = open(R("/etc/hello.txt"), O_RDONLY);
    if (fd < 0) {
      printf("failed at %d with %s\n", i, errname(errno));
      break;
    }
    last = fd;
  }
  printf("last fd %d\n", last);
}

CASE(sysinfo_fields)
// covers: sysinfo
{
  struct sysinfo si;
  SHOW(sysinfo(&si));
  printf("mem_unit>0 %d totalram>0 %d free<=total %d procs>0 %d\n", si.mem_unit > 0, si.totalram > 0,
         si.freeram <= si.totalram, si.procs > 0);
  SHOW(syscall(SYS_sysinfo, BAD_PTR));
}

CASE(times_rusage)
// covers: times getrusage
{
  struct tms t;
  struct rusage ru;
  printf("times ok %d\n", times(&t) != (clock_t)-1);
  SHOW(getrusage(RUSAGE_SELF, &ru));
  SHOW(getrusage(RUSAGE_THREAD, &ru));
  SHOW(getrusage(RUSAGE_CHILDREN, &ru));
  SHOW(getrusage(42, &ru));
  SHOW(syscall(SYS_getrusage, RUSAGE_SELF, BAD_PTR));
}

CASE(prctl_name)
// covers: prctl
{
  char name[32] = {0};
  SHOW(prctl(PR_SET_NAME, "compat-name"));
  SHOW(prctl(PR_GET_NAME, name));
  printf("name %s\n", name);
  SHOW(prctl(PR_GET_DUMPABLE));
  SHOW(prctl(9999));
}

CASE(arch_prctl_fs)
// covers: arch_prctl
{
  unsigned long fs = 0, self;
  __asm__("mov %%fs:0, %0" : "=r"(self));
  SHOW(syscall(SYS_arch_prctl, ARCH_GET_FS, &fs));
  printf("fs is thread pointer %d\n", fs == self);
  SHOW(syscall(SYS_arch_prctl, 0x9999, &fs));
  SHOW(syscall(SYS_arch_prctl, ARCH_GET_FS, BAD_PTR));
}

CASE(sched_policy)
// covers: sched_getscheduler sched_getparam sched_setparam sched_get_priority_max sched_get_priority_min sched_setscheduler
{
  struct sched_param sp = {0};
  SHOW(sched_getscheduler(0));
  SHOW(sched_getparam(0, &sp));
  printf("prio %d\n", sp.sched_priority);
  SHOW(sched_setparam(0, &sp));
  SHOW(sched_setscheduler(0, SCHED_OTHER, &sp));
  SHOW(sched_get_priority_max(SCHED_FIFO));
  SHOW(sched_get_priority_min(SCHED_FIFO));
  SHOW(sched_get_priority_max(SCHED_OTHER));
  SHOW(sched_get_priority_max(77));
  SHOW(sched_getscheduler(-1));
  SHOW(syscall(SYS_sched_getparam, 0, BAD_PTR));
}

CASE(sched_yield_ok)
// covers: sched_yield
{
  for (int i = 0; i < 100; i++)
    if (sched_yield() != 0) printf("yield failed\n");
  SHOW(sched_yield());
}

CASE(affinity_one_cpu)
// covers: sched_getaffinity sched_setaffinity getcpu
{
  cpu_set_t set;
  CPU_ZERO(&set);
  SHOW(sched_getaffinity(0, sizeof set, &set));
  printf("cpus %d\n", CPU_COUNT(&set));
  SHOW(sched_setaffinity(0, sizeof set, &set));
  unsigned cpu = 99, node = 99;
  SHOW(syscall(SYS_getcpu, &cpu, &node, NULL));
  printf("cpu in set %d node %u\n", CPU_ISSET(cpu, &set), node);
  SHOW(syscall(SYS_sched_getaffinity, 0, 3, &set));
  SHOW(syscall(SYS_sched_getaffinity, 0, sizeof set, BAD_PTR));
}

CASE(getrandom_calls)
// covers: getrandom
{
  unsigned char a[32], b[32];
  SHOW(getrandom(a, sizeof a, 0));
  SHOW(getrandom(b, sizeof b, GRND_NONBLOCK));
  printf("differ %d\n", memcmp(a, b, sizeof a) != 0);
  SHOW(getrandom(a, 0, 0));
  SHOW(getrandom(a, 8, 0x100));
  SHOW(syscall(SYS_getrandom, BAD_PTR, 8, 0));
}

CASE(membarrier_query)
// covers: membarrier
{
  long mask = syscall(SYS_membarrier, 0 /* QUERY */, 0, 0);
  printf("query ok %d private-expedited listed %d\n", mask >= 0, (mask & 8) != 0);
  SHOW(syscall(SYS_membarrier, 0x10 /* REGISTER_PRIVATE_EXPEDITED */, 0, 0));
  SHOW(syscall(SYS_membarrier, 8 /* PRIVATE_EXPEDITED */, 0, 0));
  SHOW(syscall(SYS_membarrier, 12345, 0, 0));
}

SHOAL_CASE(rseq_enosys)
// covers: rseq
{
  // By design: no restartable sequences on one cooperative vCPU; glibc
  // carries on without them when registration fails.
  static __attribute__((aligned(32))) char area[32];
  SHOW(syscall(SYS_rseq, area, 32, 0, 0x53053053));
}

CASE(tid_address_robust_list)
// covers: set_tid_address set_robust_list
{
  static int word;
  static long head[3];
  head[0] = (long)head;
  printf("returns tid %d\n", syscall(SYS_set_tid_address, &word) == gettid());
  SHOW(syscall(SYS_set_robust_list, head, 24));
  SHOW(syscall(SYS_set_robust_list, head, 7));
}

CASE(exit_group_status)
// covers: exit_group
{
  printf("before exit\n");
  fflush(stdout);
  syscall(SYS_exit_group, 7);
  printf("not reached\n");
}

CASE(exit_raw_status)
// covers: exit
{
  printf("raw exit\n");
  fflush(stdout);
  syscall(SYS_exit, 5);
}

CASE(wait4_no_children)
// covers: wait4
{
  int st;
  SHOW(syscall(SYS_wait4, -1, &st, 0, NULL));
  SHOW(syscall(SYS_wait4, -1, &st, WNOHANG, NULL));
}

SHOAL_CASE(fork_enosys)
// covers: fork vfork clone
{
  SHOW(syscall(SYS_fork));
  SHOW(syscall(SYS_vfork));
  SHOW(fork());
  SHOW(syscall(SYS_clone, 17 /* SIGCHLD: a new process */, 0, 0, 0, 0));
}

SHOAL_CASE(execve_enosys)
// covers: clone
{
  // execve works (cases/exec.c); system() needs a second process.
  SHOW(system("true"));
}

SHOAL_CASE(clone3_enosys)
// covers: clone3
{
  // By design: glibc falls back to clone(2) for threads when clone3 fails.
  SHOW(syscall(SYS_clone3, NULL, 0));
}

// Reads a small /proc file whole; 0 on success.
static int proc_text(const char* path, char* buf, size_t cap) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, cap - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  return 0;
}

CASE(proc_stat_start_time)
// covers: read
{
  // The process's start time as programs compute it (ps, psutil, Go's
  // process start): /proc/stat's btime + /proc/self/stat's starttime in
  // clock ticks, which must be now (the case just started), and agree with
  // /proc/uptime. A resumed snapshot re-bases the same numbers (tests/rebind).
  char st[1024], sys[8192], up[128], exe[4096];
  if (proc_text("/proc/self/stat", st, sizeof st) || proc_text("/proc/stat", sys, sizeof sys) ||
      proc_text("/proc/uptime", up, sizeof up)) {
    printf("cannot read /proc: %s\n", errname(errno));
    return;
  }
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  long hz = sysconf(_SC_CLK_TCK);
  // pid (comm) state ...: comm is the executable's name, at most 15 bytes.
  char* open_paren = strchr(st, '(');
  char* close_paren = strrchr(st, ')');
  long n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  exe[n > 0 ? n : 0] = 0;
  const char* base = strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe;
  printf("pid field is getpid %d\n", atoi(st) == getpid());
  printf("comm is the executable's %d\n", open_paren && close_paren &&
         (size_t)(close_paren - open_paren - 1) == (strlen(base) < 15 ? strlen(base) : 15) &&
         strncmp(open_paren + 1, base, (size_t)(close_paren - open_paren - 1)) == 0);
  // Fields after comm: count them (Linux has 52 since 3.5), take 3 and 22.
  int fields = 2;
  unsigned long long starttime = 0, threads = 0;
  char state = 0;
  for (char* p = close_paren + 2; *p != 0 && *p != '\n';) {
    ++fields;
    if (fields == 3) state = *p;
    if (fields == 20) threads = strtoull(p, NULL, 10);
    if (fields == 22) starttime = strtoull(p, NULL, 10);
    while (*p != ' ' && *p != '\n' && *p != 0) ++p;
    if (*p == ' ') ++p;
  }
  printf("stat fields >= 52 %d, state %c, threads %llu\n", fields >= 52, state, threads);
  char* b = strstr(sys, "\nbtime ");
  unsigned long long btime = b ? strtoull(b + 7, NULL, 10) : 0;
  double uptime = strtod(up, NULL);
  double start = (double)btime + (double)starttime / (double)hz;
  double t = (double)now.tv_sec + now.tv_nsec / 1e9;
  // btime is whole seconds: a second of slack, and 2 s for a loaded host.
  printf("started within the last 3 s %d\n", start <= t + 1 && start >= t - 3);
  printf("uptime covers the start %d\n", uptime + 0.02 >= (double)starttime / (double)hz);
  printf("btime + uptime is now %d\n", (double)btime + uptime <= t + 0.1 && (double)btime + uptime >= t - 1.1);
  printf("cpu line %d\n", strncmp(sys, "cpu ", 4) == 0);
}

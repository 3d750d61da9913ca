// libc: glibc musl
// Processes: fork, vfork, wait4/waitpid/waitid, kill between processes,
// SIGCHLD, pipes shared across a fork. Under shoal a child is a
// copy-on-write clone of the instance (docs/architecture.md, "Processes").
// Output is printed by the parent after the child ended (or flushed before
// each fork), so it is the same natively and under shoal.
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <time.h>

#include "compat.h"

static void describe_status(int st) {
  if (WIFEXITED(st))
    printf("exited %d\n", WEXITSTATUS(st));
  else if (WIFSIGNALED(st))
    printf("killed by signal %d\n", WTERMSIG(st));
  else
    printf("other status\n");
  fflush(stdout);
}

static void nap_ms(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

CASE(fork_wait_exit_code)
// covers: fork wait4 exit_group
{
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) _exit(7);
  int st = 0;
  pid_t got = waitpid(pid, &st, 0);
  printf("waitpid returned the child: %d\n", got == pid);
  describe_status(st);
  SHOW(waitpid(pid, &st, 0));  // reaped: ECHILD
  SHOW(wait(NULL));
}

CASE(fork_child_killed_by_signal)
// covers: fork kill wait4
{
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    kill(getpid(), SIGKILL);
    _exit(1);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  describe_status(st);
  // A child that waits, ended by its parent's SIGTERM.
  int ready[2];
  pipe(ready);
  pid = fork();
  if (pid == 0) {
    close(ready[0]);
    write(ready[1], "r", 1);
    for (;;) pause();
  }
  close(ready[1]);
  char c;
  read(ready[0], &c, 1);
  SHOW(kill(pid, SIGTERM));
  waitpid(pid, &st, 0);
  describe_status(st);
  SHOW(kill(pid, 0));  // reaped: no such process
}

CASE(fork_pipe_both_ways)
// covers: fork pipe read write close
{
  int down[2], up[2];
  pipe(down);
  pipe(up);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    close(down[1]);
    close(up[0]);
    char buf[64];
    long n = read(down[0], buf, sizeof buf);
    for (long i = 0; i < n; ++i) buf[i] = (char)(buf[i] >= 'a' && buf[i] <= 'z' ? buf[i] - 32 : buf[i]);
    write(up[1], buf, n);
    // End of file once the parent closes its end.
    n = read(down[0], buf, sizeof buf);
    write(up[1], n == 0 ? "eof" : "???", 3);
    _exit(0);
  }
  close(down[0]);
  close(up[1]);
  SHOW(write(down[1], "ping from parent", 16));
  char buf[64];
  long n = SHOW(read(up[0], buf, sizeof buf));
  print_buf("reply", buf, n);
  close(down[1]);
  n = SHOW(read(up[0], buf, sizeof buf));
  print_buf("then", buf, n);
  SHOW(read(up[0], buf, sizeof buf));  // the child ended: end of file
  int st;
  waitpid(pid, &st, 0);
  describe_status(st);
}

CASE(fork_pipe_written_before_fork)
// covers: fork pipe read
{
  // Bytes in the pipe at the fork are there for the child to read.
  int p[2];
  pipe(p);
  write(p[1], "before", 6);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    char buf[16];
    long n = read(p[0], buf, sizeof buf);
    _exit(n == 6 && memcmp(buf, "before", 6) == 0 ? 0 : 1);
  }
  int st;
  waitpid(pid, &st, 0);
  describe_status(st);
}

CASE(fork_child_writes_stdout)
// covers: fork write
{
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    printf("hello from the child\n");
    fflush(stdout);
    _exit(0);
  }
  int st;
  waitpid(pid, &st, 0);
  printf("and the parent after it\n");
  describe_status(st);
}

CASE(fork_pids)
// covers: fork getpid getppid
{
  int p[2];
  pipe(p);
  pid_t parent = getpid();
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    // /proc/self/stat's pid and ppid fields, as getpid and getppid.
    char st[512] = {0};
    int fd = open("/proc/self/stat", O_RDONLY);
    read(fd, st, sizeof st - 1);
    close(fd);
    int stat_pid = atoi(st), stat_ppid = 0;
    char* after = strrchr(st, ')');
    if (after) stat_ppid = atoi(after + 4);
    pid_t ids[5] = {getpid(), getppid(), (pid_t)syscall(SYS_gettid), stat_pid, stat_ppid};
    write(p[1], ids, sizeof ids);
    _exit(0);
  }
  pid_t ids[5];
  read(p[0], ids, sizeof ids);
  waitpid(pid, NULL, 0);
  printf("child's getpid is fork's result: %d\n", ids[0] == pid);
  printf("child's getppid is the parent: %d\n", ids[1] == parent);
  printf("child's gettid is its pid: %d\n", ids[2] == pid);
  printf("distinct: %d\n", pid != parent && pid > 0);
  printf("child's /proc/self/stat agrees: %d %d\n", ids[3] == pid, ids[4] == parent);
  printf("parent unchanged: %d\n", getpid() == parent);
}

static volatile sig_atomic_t g_chld;
static void on_chld(int sig) {
  (void)sig;
  g_chld++;
}

CASE(fork_sigchld_wnohang)
// covers: fork wait4 kill rt_sigaction
{
  signal(SIGCHLD, on_chld);
  int ready[2];
  pipe(ready);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    write(ready[1], "r", 1);
    for (;;) pause();
  }
  char c;
  read(ready[0], &c, 1);
  int st = 0;
  SHOW(waitpid(pid, &st, WNOHANG));  // still running: 0
  SHOW(kill(pid, SIGUSR1));
  pid_t got;
  for (int i = 0; i < 5000 && (got = waitpid(pid, &st, WNOHANG)) == 0; ++i) nap_ms(1);
  printf("reaped with WNOHANG: %d\n", got == pid);
  describe_status(st);
  for (int i = 0; i < 1000 && g_chld == 0; ++i) nap_ms(1);
  printf("SIGCHLD handled: %d\n", g_chld > 0);
  signal(SIGCHLD, SIG_DFL);
}

CASE(fork_waitid)
// covers: fork waitid
{
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) _exit(42);
  siginfo_t info;
  memset(&info, 0, sizeof info);
  SHOW(waitid(P_PID, pid, &info, WEXITED | WNOWAIT));
  printf("signo %d code %d status %d pid ok %d\n", info.si_signo, info.si_code, info.si_status, info.si_pid == pid);
  memset(&info, 0, sizeof info);
  SHOW(waitid(P_ALL, 0, &info, WEXITED));
  printf("signo %d code %d status %d pid ok %d\n", info.si_signo, info.si_code, info.si_status, info.si_pid == pid);
  SHOW(waitid(P_ALL, 0, &info, WEXITED | WNOHANG));
  SHOW(waitid(P_ALL, 0, &info, 0));
}

CASE(fork_many_children)
// covers: fork wait4
{
  enum { kChildren = 20 };
  pid_t pids[kChildren];
  fflush(stdout);
  for (int i = 0; i < kChildren; ++i) {
    pids[i] = fork();
    if (pids[i] == 0) _exit(i + 1);
  }
  int sum = 0, matched = 0;
  for (int i = 0; i < kChildren; ++i) {
    int st;
    pid_t got = wait(&st);
    for (int j = 0; j < kChildren; ++j)
      if (pids[j] == got && WIFEXITED(st) && WEXITSTATUS(st) == j + 1) ++matched;
    sum += WEXITSTATUS(st);
  }
  printf("children %d, statuses matched %d, sum %d\n", kChildren, matched, sum);
  SHOW(wait(NULL));
}

static volatile long g_counter;
static void* count_forever(void* arg) {
  (void)arg;
  for (;;) {
    g_counter++;
    nap_ms(1);
  }
  return NULL;
}

CASE(fork_in_threaded_process)
// covers: fork clone
{
  pthread_t t;
  pthread_create(&t, NULL, count_forever, NULL);
  while (g_counter < 3) nap_ms(1);
  int p[2];
  pipe(p);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    // Only the thread that called fork exists in the child.
    long before = g_counter;
    nap_ms(30);
    char frozen = g_counter == before;
    write(p[1], &frozen, 1);
    _exit(0);
  }
  char frozen = 0;
  read(p[0], &frozen, 1);
  int st;
  waitpid(pid, &st, 0);
  printf("the other thread is gone in the child: %d\n", frozen);
  long before = g_counter;
  while (g_counter == before) nap_ms(1);
  printf("and still runs in the parent\n");
  describe_status(st);
}

CASE(vfork_exit)
// covers: vfork wait4
{
  fflush(stdout);
  pid_t pid = vfork();
  if (pid == 0) _exit(5);
  int st;
  SHOW(waitpid(pid, &st, 0) == pid);
  describe_status(st);
}

CASE(fork_process_groups)
// covers: setpgid getpgid getsid getpgrp
{
  int p[2];
  pipe(p);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    char c;
    read(p[0], &c, 1);  // the parent's setpgid happened
    _exit(getpgrp() == getpid() ? 0 : 1);
  }
  SHOW(setpgid(pid, pid));
  printf("child leads its group: %d\n", getpgid(pid) == pid);
  printf("same session: %d\n", getsid(pid) == getsid(0));
  write(p[1], "go", 1);
  int st;
  waitpid(pid, &st, 0);
  describe_status(st);
  SHOW(setpgid(pid, pid));  // reaped
}

static long g_data[1 << 16];

CASE(fork_copy_on_write_snapshot)
// covers: fork pipe read write
{
  // Redis's BGSAVE: the child saves the memory as it was at the fork while
  // the parent keeps changing it; each side's writes stay its own.
  long* heap = malloc(sizeof(long) << 16);
  for (int i = 0; i < (1 << 16); ++i) g_data[i] = heap[i] = i;
  int p[2];
  pipe(p);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    nap_ms(30);  // the parent changes its copy meanwhile
    long sum = 0;
    for (int i = 0; i < (1 << 16); ++i) sum += g_data[i] + heap[i];
    write(p[1], &sum, sizeof sum);
    g_data[0] = heap[0] = -1;  // the child's own change
    _exit(0);
  }
  for (int i = 0; i < (1 << 16); ++i) g_data[i] = heap[i] = 7;
  long sum = 0;
  read(p[0], &sum, sizeof sum);
  waitpid(pid, NULL, 0);
  printf("child saw the memory of the fork: %d\n", sum == 2L * ((1L << 16) * ((1L << 16) - 1) / 2));
  printf("parent's change kept, child's not seen: %d %d\n", g_data[0] == 7 && heap[0] == 7, g_data[5] == 7);
  free(heap);
}

struct reader_arg {
  int fd;
  long total;
};
static void* drain(void* p) {
  struct reader_arg* a = p;
  char buf[4096];
  long n;
  while ((n = read(a->fd, buf, sizeof buf)) > 0) a->total += n;
  return NULL;
}

CASE(fork_threaded_parent_reads_while_waiting)
// covers: fork wait4 read pipe
{
  // As Go's os/exec: one thread waits for the child while another drains
  // its output, more than a pipe holds (the child blocks until it is read).
  int p[2];
  pipe(p);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    static char block[65536];
    memset(block, 'x', sizeof block);
    for (int i = 0; i < 4; ++i) write(p[1], block, sizeof block);
    _exit(9);
  }
  close(p[1]);
  struct reader_arg a = {p[0], 0};
  pthread_t t;
  pthread_create(&t, NULL, drain, &a);
  int st;
  pid_t got = waitpid(pid, &st, 0);
  pthread_join(t, NULL);
  printf("waited: %d\n", got == pid);
  describe_status(st);
  printf("read %ld bytes\n", a.total);
}

CASE(fork_epoll_sees_the_childs_write)
// covers: fork epoll_wait epoll_ctl
{
  int p[2], done[2];
  pipe(p);
  pipe(done);
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7};
  epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    close(done[1]);
    nap_ms(20);
    write(p[1], "late", 4);
    char c;
    read(done[0], &c, 1);  // stays until the parent has read (its end is then still open)
    _exit(0);
  }
  close(p[1]);
  close(done[0]);
  struct epoll_event out;
  SHOW(epoll_wait(ep, &out, 1, 5000));
  printf("events %#x data %u\n", out.events, out.data.u32);
  char buf[8];
  long n = SHOW(read(p[0], buf, sizeof buf));
  print_buf("read", buf, n);
  close(done[1]);
  waitpid(pid, NULL, 0);
  SHOW(epoll_wait(ep, &out, 1, 5000));  // the writer gone: EPOLLHUP
  printf("events %#x\n", out.events);
}

SHOAL_CASE(fork_limit_eagain)
// covers: fork
{
  // A fork bomb is bounded by the family's process limit (shoal run
  // --max-processes, default 64 with the first process): EAGAIN past it, as
  // Linux's RLIMIT_NPROC gives. Natively the limit is the host's, so this
  // case runs under shoal only.
  enum { kMax = 100 };
  pid_t pids[kMax];
  int n = 0;
  fflush(stdout);
  for (; n < kMax; ++n) {
    pids[n] = fork();
    if (pids[n] == 0) {
      for (;;) pause();
    }
    if (pids[n] < 0) break;
  }
  printf("forked %d children, then fork() = -1 %s\n", n, errname(errno));
  for (int i = 0; i < n; ++i) kill(pids[i], SIGKILL);
  int reaped = 0, killed = 0, st;
  while (wait(&st) > 0) {
    ++reaped;
    if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) ++killed;
  }
  printf("reaped %d, killed by SIGKILL %d\n", reaped, killed);
  // Reaped children free their places.
  pid_t again = fork();
  if (again == 0) _exit(0);
  printf("fork again after reaping: %d\n", again > 0);
  waitpid(again, NULL, 0);
}

CASE(fork_dev_fd_pipe)
// covers: fork open wait4
{
  // bash's `read x < <(cmd)`: a child writes the pipe, the parent opens the
  // read end again through /dev/fd/N.
  int p[2];
  pipe(p);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    write(p[1], "from the child\n", 15);
    _exit(0);
  }
  close(p[1]);
  char path[32];
  snprintf(path, sizeof(path), "/dev/fd/%d", p[0]);
  int r = open(path, O_RDONLY);
  printf("open %d\n", r >= 0);
  char buf[32] = {0};
  size_t got = 0;
  for (;;) {
    ssize_t n = read(r, buf + got, sizeof(buf) - 1 - got);
    if (n <= 0) break;
    got += (size_t)n;
  }
  printf("read '%s'", buf);
  int st = 0;
  waitpid(pid, &st, 0);
  describe_status(st);
}

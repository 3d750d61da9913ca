// libc: glibc musl
// execve and execveat (issue 14): the program execs itself (it is packed in
// the image with `shoal build --add`: the "shoal: add-self" marker below), and
// the new program reports what it received. The child_* entries are not
// cases of their own: they run only as the target of an exec.
// shoal: add-self
#include <pthread.h>
#include <signal.h>
#include <sys/auxv.h>
#include <time.h>

#include "compat.h"

extern char** environ;

// The absolute path of this program (natively and under shoal).
static const char* self_path(void) {
  static char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) {
    printf("readlink /proc/self/exe failed\n");
    exit(3);
  }
  buf[n] = '\0';
  return buf;
}

static const char* base(const char* p) {
  const char* b = strrchr(p, '/');
  return b ? b + 1 : p;
}

// A path is printed by its last component: the directories differ between
// the native run and shoal (the build tree, /tmp).
static void print_args(int argc, char** argv, int from_path) {
  printf("argc = %d\n", argc);
  for (int i = 0; i < argc; i++) printf("argv[%d] = \"%s\"\n", i, i >= from_path && argv[i][0] == '/' ? base(argv[i]) : argv[i]);
  fflush(stdout);
}

static int g_argc;
static char** g_argv;
// compat.h's main passes no arguments to a case: a constructor keeps them.
// (glibc passes argc/argv to constructors; musl does not, so read them from
// /proc/self/cmdline there.)
__attribute__((constructor)) static void keep_args(int argc, char** argv) {
#ifdef __GLIBC__
  g_argc = argc;
  g_argv = argv;
#else
  (void)argc, (void)argv;
  static char buf[65536];
  static char* args[64];
  int fd = open("/proc/self/cmdline", O_RDONLY);
  ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
  if (fd >= 0) close(fd);
  int c = 0;
  for (ssize_t i = 0; n > 0 && i < n && c < 63; i += (ssize_t)strlen(buf + i) + 1) args[c++] = buf + i;
  g_argc = c;
  g_argv = args;
#endif
}

#define CHILD(n) CASE(n)

CHILD(child_args)
{
  print_args(g_argc, g_argv, 2);
  int n = 0;
  for (char** e = environ; *e; e++) printf("env[%d] = \"%s\"\n", n++, *e);
  const char* execfn = (const char*)getauxval(AT_EXECFN);
  printf("AT_EXECFN = %s\n", execfn ? base(execfn) : "(none)");
  printf("AT_SECURE = %lu\n", getauxval(AT_SECURE));
  printf("AT_PAGESZ = %lu\n", getauxval(AT_PAGESZ));
  printf("AT_PHNUM sane = %d\n", getauxval(AT_PHNUM) > 0 && getauxval(AT_PHNUM) < 64);
  printf("AT_PHDR set = %d\n", getauxval(AT_PHDR) != 0);
  const unsigned char* r = (const unsigned char*)getauxval(AT_RANDOM);
  int nonzero = 0;
  for (int i = 0; r && i < 16; i++) nonzero |= r[i];
  printf("AT_RANDOM set = %d\n", nonzero != 0);
  printf("exe = %s\n", base(self_path()));
  printf("pid == tid = %d\n", getpid() == (pid_t)syscall(SYS_gettid));
}

CASE(execve_args_env)
// covers: execve
{
  char* argv[] = {"custom-argv0", "child_args", "-", "-", "one", "two words", "", NULL};
  char* envp[] = {"A=1", "B=x y", "EMPTY=", NULL};
  SHOW(execve(self_path(), argv, envp));
}

CASE(execve_empty_env)
// covers: execve
{
  char* argv[] = {"x", "child_args", NULL};
  SHOW(execve(self_path(), argv, NULL));
}

CHILD(child_fds)
{
  char buf[16] = {0};
  SHOW(fcntl(10, F_GETFD));
  SHOW(pread(10, buf, 5, 0));
  print_buf("fd 10", buf, 5);
  SHOW(fcntl(11, F_GETFD));
  SHOW(fcntl(12, F_GETFD));
  SHOW(lseek(12, 0, SEEK_CUR));
  SHOW(fcntl(13, F_GETFD));
}

CASE(execve_cloexec)
// covers: execve fcntl dup3
{
  int a = open(R("/etc/hello.txt"), O_RDONLY);
  SHOW(dup2(a, 10));
  SHOW(dup3(a, 11, O_CLOEXEC));
  int w = open(T("/kept"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  SHOW(write(w, "abc", 3));
  SHOW(dup2(w, 12));
  SHOW(fcntl(open(R("/etc/hello.txt"), O_RDONLY | O_CLOEXEC), F_DUPFD_CLOEXEC, 13));
  close(a);
  close(w);
  char* argv[] = {"x", "child_fds", NULL};
  SHOW(execve(self_path(), argv, NULL));
}

// Writes an executable file (mode 0755) with this text.
static void write_exec(const char* path, const char* text, int mode) {
  write_file(path, text);
  chmod(path, mode);
}

CASE(execve_script)
// covers: execve
{
  char line[4200];
  snprintf(line, sizeof line, "#! %s  child_args \t\nthe rest is not read\n", self_path());
  write_exec(T("/script.sh"), line, 0755);
  char* argv[] = {"ignored-argv0", "one", "two", NULL};
  char* envp[] = {"S=1", NULL};
  SHOW(execve(T("/script.sh"), argv, envp));
}

CASE(execve_script_nested)
// covers: execve
{
  char line[4200];
  snprintf(line, sizeof line, "#!%s child_args\n", self_path());
  write_exec(T("/inner.sh"), line, 0755);
  snprintf(line, sizeof line, "#!%s\n", T("/inner.sh"));
  write_exec(T("/outer.sh"), line, 0755);
  char* argv[] = {"argv0", "last", NULL};
  SHOW(execve(T("/outer.sh"), argv, NULL));
}

CASE(execve_errors)
// covers: execve
{
  char* argv[] = {"x", NULL};
  SHOW(execve(T("/missing"), argv, NULL));
  SHOW(execve("", argv, NULL));
  SHOW(execve(T("/missing/x"), argv, NULL));
  write_exec(T("/garbage"), "this is not a program\n", 0755);
  SHOW(execve(T("/garbage"), argv, NULL));
  write_exec(T("/noexec"), "#!/bin/sh\n", 0644);
  SHOW(execve(T("/noexec"), argv, NULL));
  SHOW(execve(T(""), argv, NULL));  // the directory
  SHOW(execve(R("/etc/hello.txt"), argv, NULL));  // mode 0644 in the tree
  write_exec(T("/nointerp"), "#!\n", 0755);
  SHOW(execve(T("/nointerp"), argv, NULL));
  write_exec(T("/badinterp"), "#!/no/such/interpreter -x\n", 0755);
  SHOW(execve(T("/badinterp"), argv, NULL));
  char line[256];
  snprintf(line, sizeof line, "#!%s\n", T("/loop"));
  write_exec(T("/loop"), line, 0755);
  SHOW(execve(T("/loop"), argv, NULL));
  write_exec(T("/short"), "\x7f" "ELF", 0755);
  SHOW(execve(T("/short"), argv, NULL));
  SHOW(syscall(SYS_execve, self_path(), BAD_PTR, NULL));
  SHOW(syscall(SYS_execve, BAD_PTR, argv, NULL));
  SHOW(syscall(SYS_execve, T("/missing"), BAD_PTR, NULL));
  char* bad_env[] = {"A=1", (char*)BAD_PTR, NULL};
  SHOW(execve(self_path(), argv, bad_env));
  // One string longer than MAX_ARG_STRLEN (32 pages).
  char* big = malloc(200000);
  memset(big, 'a', 199999);
  big[199999] = '\0';
  char* big_argv[] = {"x", big, NULL};
  SHOW(execve(self_path(), big_argv, NULL));
  printf("still here\n");
}

CHILD(child_signals)
{
  struct sigaction sa;
  sigaction(SIGUSR1, NULL, &sa);
  printf("SIGUSR1 default = %d\n", sa.sa_handler == SIG_DFL);
  sigaction(SIGUSR2, NULL, &sa);
  printf("SIGUSR2 ignored = %d\n", sa.sa_handler == SIG_IGN);
  sigset_t set;
  sigprocmask(SIG_BLOCK, NULL, &set);
  printf("SIGTERM blocked = %d, SIGINT blocked = %d\n", sigismember(&set, SIGTERM), sigismember(&set, SIGINT));
  stack_t ss;
  sigaltstack(NULL, &ss);
  printf("altstack disabled = %d\n", (ss.ss_flags & SS_DISABLE) != 0);
  sigpending(&set);
  printf("SIGTERM pending = %d\n", sigismember(&set, SIGTERM));
}

static void on_usr1(int sig) { (void)sig; }

CASE(execve_signals)
// covers: execve rt_sigaction sigaltstack
{
  signal(SIGUSR1, on_usr1);
  signal(SIGUSR2, SIG_IGN);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, NULL);
  raise(SIGTERM);
  static char stack[65536];
  stack_t ss = {.ss_sp = stack, .ss_size = sizeof stack, .ss_flags = 0};
  SHOW(sigaltstack(&ss, NULL));
  char* argv[] = {"x", "child_signals", NULL};
  SHOW(execve(self_path(), argv, NULL));
}

static void* sleeper(void* arg) {
  (void)arg;
  for (;;) sleep(100);
  return NULL;
}

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static void* waiter(void* arg) {
  (void)arg;
  pthread_mutex_lock(&g_mu);
  for (;;) pthread_cond_wait(&g_cv, &g_mu);
  return NULL;
}

static volatile int g_spin;
static void* spinner(void* arg) {
  (void)arg;
  for (;;) g_spin++;  // never enters the kernel: ends at a preemption
  return NULL;
}

static void* execer(void* arg) {
  (void)arg;
  char* argv[] = {"from-thread", "child_args", NULL};
  char* envp[] = {"T=1", NULL};
  execve(self_path(), argv, envp);
  printf("execve from a thread failed: %s\n", errname(errno));
  exit(1);
}

CASE(execve_threads)
// covers: execve
{
  pthread_t t;
  pthread_create(&t, NULL, sleeper, NULL);
  pthread_create(&t, NULL, waiter, NULL);
  pthread_create(&t, NULL, spinner, NULL);
  struct timespec ts = {0, 20000000};
  nanosleep(&ts, NULL);
  // The exec comes from a second thread; the main one waits in join.
  pthread_create(&t, NULL, execer, NULL);
  pthread_join(t, NULL);
  printf("join returned\n");
}

CASE(execveat_fd)
// covers: execveat
{
  int fd = open(self_path(), O_RDONLY | O_CLOEXEC);
  char* argv[] = {"by-fd", "child_args", NULL};
  SHOW(syscall(SYS_execveat, fd, "", argv, NULL, 0x100 /* AT_SYMLINK_NOFOLLOW */ | 0x2000));
  SHOW(syscall(SYS_execveat, fd, "", argv, NULL, 0));
  SHOW(symlink(self_path(), T("/link")));
  SHOW(syscall(SYS_execveat, AT_FDCWD, T("/link"), argv, NULL, 0x100));
  SHOW(syscall(SYS_execveat, fd, "", argv, NULL, 0x1000 /* AT_EMPTY_PATH */));
}

// libc: glibc musl
// The C program of issue 14's acceptance list: fork, pipe, dup2, execve and
// waitpid together, as a shell or popen() does it. The program execs itself
// (packed in the image: the "shoal: add-self" marker); child_* entries run
// only as an exec's target (reading stdin, writing stdout).
// shoal: add-self
#include <ctype.h>
#include <sys/wait.h>

#include "compat.h"

extern char** environ;

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

// Copies stdin to stdout in upper case, then tells what it saw.
CASE(child_upper)
{
  char buf[256];
  long total = 0;
  ssize_t n;
  while ((n = read(0, buf, sizeof buf)) > 0) {
    for (ssize_t i = 0; i < n; i++) buf[i] = (char)toupper((unsigned char)buf[i]);
    if (write(1, buf, (size_t)n) != n) exit(4);
    total += n;
  }
  printf("[%ld bytes, stdin at end: %d]\n", total, n == 0);
}

// Runs `child` with its stdin and stdout on pipes; feeds `input`, returns
// what came out in `out` and the wait status in `status`.
static long run_filter(const char* child, const char* input, char* out, long cap, int* status) {
  int in[2], res[2];
  if (pipe(in) != 0 || pipe(res) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(res[1], 1);
    close(in[0]), close(in[1]), close(res[0]), close(res[1]);
    char* argv[] = {"filter", (char*)child, NULL};
    execve(self_path(), argv, environ);
    _exit(127);
  }
  close(in[0]);
  close(res[1]);
  if (write(in[1], input, strlen(input)) != (ssize_t)strlen(input)) return -1;
  close(in[1]);
  long got = 0;
  ssize_t n;
  while (got < cap && (n = read(res[0], out + got, (size_t)(cap - got))) > 0) got += n;
  close(res[0]);
  if (waitpid(pid, status, 0) != pid) return -1;
  return got;
}

CASE(fork_pipe_dup2_exec)
// covers: fork pipe dup2 execve wait4
{
  char out[512];
  int status = -1;
  long n = run_filter("child_upper", "hello, pipes\nsecond line\n", out, sizeof out, &status);
  print_buf("out", out, n);
  printf("exited %d code %d\n", WIFEXITED(status), WEXITSTATUS(status));
}

CASE(fork_exec_missing_case_status)
// covers: fork execve wait4
{
  // The exec'd program reports an unknown case with status 2 (compat.h):
  // the parent sees the status of the program the child became.
  char out[512];
  int status = -1;
  long n = run_filter("child_no_such_thing", "", out, sizeof out, &status);
  print_buf("out", out, n);
  printf("exited %d code %d\n", WIFEXITED(status), WEXITSTATUS(status));
}

CASE(fork_exec_three_in_a_row)
// covers: fork execve wait4
{
  // A filter run three times one after the other, as a shell loop does.
  for (int i = 0; i < 3; i++) {
    char in[32], out[256];
    snprintf(in, sizeof in, "round %d\n", i);
    int status = -1;
    long n = run_filter("child_upper", in, out, sizeof out, &status);
    print_buf("out", out, n);
    printf("status %d\n", status);
  }
}

// bench/snapshot: `shoal run app.snap` against `shoal run app.shoal`, time
// from spawn to the first byte of output, interleaved in one run.
//
//   snapshot SHOAL_BIN_DIR READY_SERVER [RUNS] [PYTHON3 PYTHON_LIB_DIR]
//
// READY_SERVER (bench/guest/ready_server.c) initialises 0, then 8 MiB,
// listens, waits 1 ms (the LibOS's ready point) and prints "up". With
// PYTHON3, the same with a Python program (a few imports, a listener, a
// 1 ms select). The image
// is built and snapshotted once (`shoal snapshot`); then RUNS (default 20)
// of each, alternating, after two warm-up rounds. Prints min / median / p90 /
// max of each and the ratio of medians (target: <= 0.5x), and the snapshot's
// size. Both paths include the 1 ms wait.
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_util.hpp"

extern char** environ;

namespace {

double now_us() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

// Spawns argv with stdout on a pipe; returns the microseconds until its first
// byte of output (-1 if none, or a non-zero exit).
double first_output_us(const std::vector<std::string>& argv) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return -1;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid;
  double t0 = now_us();
  int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return -1;
  }
  char buf[256];
  ssize_t n = read(fds[0], buf, sizeof buf);
  double t = now_us() - t0;
  while (read(fds[0], buf, sizeof buf) > 0) {
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (n <= 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
  return t;
}

double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5))];
}

// One size of start-up state: build, snapshot, then the interleaved runs.
// Returns the ratio of medians (snap / boot), or -1 on failure.
// label: what is measured; build: `shoal build` arguments after the
// program; args: the program's arguments (fixed in the snapshot).
double measure(const std::string& bin, const std::string& program, const std::vector<std::string>& build,
               const std::vector<std::string>& args, int runs, const std::string& label) {
  using namespace shoal::bench;
  char dir_tmpl[] = "/tmp/shoal-bench-snap-XXXXXX";
  if (mkdtemp(dir_tmpl) == nullptr) return perror("mkdtemp"), -1;
  std::string dir = dir_tmpl, image = dir + "/app.shoal", snap = dir + "/app.snap";
  std::vector<std::string> build_cmd{bin + "/shoal", "build", program, "-o", image};
  build_cmd.insert(build_cmd.end(), build.begin(), build.end());
  auto built = run(build_cmd);
  std::vector<std::string> snap_cmd{bin + "/shoal", "snapshot", image, "-o", snap, "--"}, boot_cmd{bin + "/shoal", "run", image, "--"};
  snap_cmd.insert(snap_cmd.end(), args.begin(), args.end());
  boot_cmd.insert(boot_cmd.end(), args.begin(), args.end());
  auto saved = built.status == 0 ? run(snap_cmd) : built;
  if (built.status != 0 || saved.status != 0) {
    fprintf(stderr, "build or snapshot failed: %s%s\n", saved.out.c_str(), saved.err.c_str());
    std::filesystem::remove_all(dir);
    return -1;
  }
  struct stat st{};
  stat(snap.c_str(), &st);
  std::vector<double> boot, resume;
  for (int i = 0; i < runs + 2; ++i) {
    double b = first_output_us(boot_cmd);
    double r = first_output_us({bin + "/shoal", "run", snap});
    if (b < 0 || r < 0) {
      fprintf(stderr, "a run failed (boot %.0f, resume %.0f)\n", b, r);
      std::filesystem::remove_all(dir);
      return -1;
    }
    if (i < 2) continue;  // warm the page cache
    boot.push_back(b);
    resume.push_back(r);
  }
  std::filesystem::remove_all(dir);
  double mb = median(boot), mr = median(resume);
  printf("snapshot: %s, spawn -> first output, %d runs each (interleaved)\n", label.c_str(), runs);
  printf("                              min    median      p90       max\n");
  printf("  shoal run app.shoal   %8.0f  %8.0f %8.0f  %8.0f us\n", pct(boot, 0), mb, pct(boot, 0.9), pct(boot, 1));
  printf("  shoal run app.snap    %8.0f  %8.0f %8.0f  %8.0f us   %4.2fx the boot\n", pct(resume, 0), mr,
         pct(resume, 0.9), pct(resume, 1), mr / mb);
  printf("  snapshot file %.1f MiB\n", st.st_size / 1048576.0);
  return mr / mb;
}

}  // namespace

// A Python server's start: typical imports, a listener, the ready point.
const char* kPythonApp =
    "import socket, select, json, http.server, email.parser, urllib.parse, decimal\n"
    "s = socket.socket()\n"
    "s.bind(('127.0.0.1', 8080))\n"
    "s.listen()\n"
    "select.select([s], [], [], 0.001)\n"
    "print('up', flush=True)\n";

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s SHOAL_BIN_DIR READY_SERVER [RUNS] [PYTHON3 PYTHON_LIB_DIR]\n", argv[0]);
    return 2;
  }
  std::string bin = argv[1], server = argv[2];
  int runs = argc > 3 ? atoi(argv[3]) : 20;
  std::vector<double> ratios;
  // 0 MiB: a bare C server (the snapshot skips the LibOS's and libc's
  // start only); 8 MiB: one that builds state before it serves.
  for (const char* mib : {"0", "8"})
    ratios.push_back(measure(bin, server, {}, {mib}, runs, std::string("ready_server, ") + mib + " MiB of start-up state"));
  // The interpreter: its start-up is what a snapshot saves.
  if (argc > 5)
    ratios.push_back(measure(bin, argv[4], {"--include", argv[5]}, {"-c", kPythonApp}, runs,
                             "python3 -c '<imports; listen; select>'"));
  for (double r : ratios)
    if (r < 0) return 1;
  for (size_t i = 0; i < ratios.size(); ++i)
    printf("  target: app.snap <= 0.5x app.shoal (case %zu): %s (%.2fx)\n", i + 1, ratios[i] <= 0.5 ? "met" : "NOT met",
           ratios[i]);
  return 0;
}

// bench/fork (issue 14): fork -> child runs -> _exit -> parent's waitpid
// returns, under shoal (the child is a copy-on-write clone of the instance:
// a host fork of the monitor, a new VM and vCPU over the inherited memory)
// against the same static program natively, in the same run; and the host
// memory a forked idle child costs (its monitor's private pages, from
// /proc/PID/smaps_rollup) against a native child's.
//
//   fork SHOAL_BIN_DIR FORK_LOOP [ROUNDS] [BUSYBOX]
//
// With BUSYBOX (a static busybox, e.g. /bin/busybox): a shell script running
// 200 short pipelines of builtins (each forks both sides), whole runs timed
// (start-up included) under shoal against natively.
//
// The targets: <= 5x native for the round trip; <= 3x native for the
// 200 pipelines; an idle child costs only the pages it writes.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <dirent.h>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bench_util.hpp"

using namespace shoal::bench;

namespace {

double now_s() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// "Key:   123 kB" in /proc/PID/smaps_rollup; 0 if absent.
long smaps_kb(const std::string& text, const std::string& key) {
  auto pos = text.find(key);
  return pos == std::string::npos ? 0 : atol(text.c_str() + pos + key.size());
}

// Private memory (kB) of every process whose parent is `parent`.
std::vector<long> children_private_kb(pid_t parent) {
  std::vector<long> out;
  DIR* d = opendir("/proc");
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    int pid = atoi(e->d_name);
    if (pid <= 0) continue;
    std::ifstream st("/proc/" + std::string(e->d_name) + "/stat");
    std::string line;
    if (!std::getline(st, line)) continue;
    auto close_paren = line.rfind(')');
    if (close_paren == std::string::npos) continue;
    std::istringstream rest(line.substr(close_paren + 2));
    char state;
    int ppid;
    rest >> state >> ppid;
    if (ppid != parent) continue;
    std::ifstream sm("/proc/" + std::string(e->d_name) + "/smaps_rollup");
    std::string text((std::istreambuf_iterator<char>(sm)), std::istreambuf_iterator<char>());
    out.push_back(smaps_kb(text, "Private_Dirty:") + smaps_kb(text, "Private_Clean:"));
  }
  closedir(d);
  return out;
}

// Starts argv with a pipe on stdin and stdout, waits for "ready", measures
// the children, closes stdin and reaps it. Median private kB per child.
double idle_child_kb(const std::vector<std::string>& argv, int children) {
  int in[2], outp[2];
  if (pipe(in) != 0 || pipe(outp) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(outp[1], 1);
    close(in[1]);
    close(outp[0]);
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execv(a[0], a.data());
    _exit(127);
  }
  close(in[0]);
  close(outp[1]);
  char buf[64] = {};
  ssize_t n = read(outp[0], buf, sizeof buf - 1);
  std::vector<long> kb;
  if (n > 0 && strncmp(buf, "ready", 5) == 0) {
    usleep(200000);  // the children are in pause()
    kb = children_private_kb(pid);
  }
  close(in[1]);
  close(outp[0]);
  waitpid(pid, nullptr, 0);
  if (static_cast<int>(kb.size()) != children) return -1;
  std::vector<double> v(kb.begin(), kb.end());
  return median(v);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s SHOAL_BIN_DIR FORK_LOOP [ROUNDS]\n", argv[0]);
    return 2;
  }
  std::string bin = argv[1], prog = argv[2];
  std::string rounds = argc > 3 ? argv[3] : "50";
  std::string image = "/tmp/shoal-bench-fork.shoal";
  auto b = run({bin + "/shoal", "build", prog, "-o", image});
  if (b.status) {
    fprintf(stderr, "shoal build failed: %s\n", b.err.c_str());
    return 1;
  }
  std::vector<double> native, shoal;
  for (int i = 0; i < 5; ++i) {
    auto n = run({prog, "latency", rounds});
    auto s = run({bin + "/shoal-vmm", image, "--", "latency", rounds});
    if (n.status || s.status) {
      fprintf(stderr, "a run failed: %s %s\n", n.err.c_str(), s.err.c_str());
      return 1;
    }
    native.push_back(atof(n.out.c_str()));
    shoal.push_back(atof(s.out.c_str()));
  }
  double n = median(native), s = median(shoal);
  printf("fork: fork -> child _exit -> waitpid returns, median of 5 runs of %s rounds, us per round trip\n",
         rounds.c_str());
  printf("  native Linux          %10.1f us\n", n);
  printf("  shoal (VM clone)      %10.1f us   %6.2fx native\n", s, s / n);
  const int kChildren = 8;
  double nk = idle_child_kb({prog, "idle", std::to_string(kChildren)}, kChildren);
  double sk = idle_child_kb({bin + "/shoal-vmm", image, "--", "idle", std::to_string(kChildren)}, kChildren);
  printf("fork: host memory of an idle forked child (private pages, median of %d children; 8 MiB heap written "
         "before the fork)\n", kChildren);
  printf("  native Linux          %10.0f KiB\n", nk);
  printf("  shoal (child monitor) %10.0f KiB   %6.2fx native\n", sk, nk > 0 ? sk / nk : 0.0);
  if (argc > 4) {
    std::string bb = argv[4];
    std::string bb_image = "/tmp/shoal-bench-fork-busybox.shoal";
    auto bbuild = run({bin + "/shoal", "build", bb, "-o", bb_image});
    if (bbuild.status) {
      fprintf(stderr, "shoal build %s failed: %s\n", bb.c_str(), bbuild.err.c_str());
      return 1;
    }
    const char* script = "i=0; while [ $i -lt 200 ]; do echo line | while read -r l; do :; done; i=$((i + 1)); done";
    std::vector<double> nat, sho;
    for (int i = 0; i < 3; ++i) {
      auto t0 = now_s();
      auto nr = run({bb, "sh", "-c", script});
      auto t1 = now_s();
      auto sr = run({bin + "/shoal-vmm", bb_image, "--", "sh", "-c", script});
      auto t2 = now_s();
      if (nr.status || sr.status) {
        fprintf(stderr, "a busybox run failed: %s %s\n", nr.err.c_str(), sr.err.c_str());
        return 1;
      }
      nat.push_back((t1 - t0) * 1e3);
      sho.push_back((t2 - t1) * 1e3);
    }
    double nb = median(nat), sb = median(sho);
    printf("fork: busybox sh running 200 pipelines of builtins (echo | while read), whole run, median of 3\n");
    printf("  native Linux          %10.1f ms\n", nb);
    printf("  shoal                 %10.1f ms   %6.2fx native\n", sb, sb / nb);
  }
  return 0;
}

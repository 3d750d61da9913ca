// bench/syscall: cost of a trivial system call (getpid) under shoal against a
// native Linux system call, measured in the same run by the same static program.
//
//   syscall SHOAL_BIN_DIR GUEST_SYSCALL_LOOP [CALLS]
//
// Three rows: native Linux; shoal with rewritten call sites (function calls
// into the LibOS); shoal built with --no-rewrite (every `syscall` takes the
// ring-0 bounce, emulated on PVM machines).
#include <cstdio>
#include <string>
#include <vector>

#include "bench_util.hpp"

using namespace shoal::bench;

static double ns_per_call(const RunResult& r) { return std::atof(r.out.c_str()); }

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s SHOAL_BIN_DIR GUEST_SYSCALL_LOOP [CALLS]\n", argv[0]);
    return 2;
  }
  std::string bin = argv[1], prog = argv[2];
  std::string calls = argc > 3 ? argv[3] : "2000000";
  std::string rewritten = "/tmp/shoal-bench-syscall.shoal", fallback = "/tmp/shoal-bench-syscall-norw.shoal";
  auto b1 = run({bin + "/shoal", "build", prog, "-o", rewritten});
  auto b2 = run({bin + "/shoal", "build", "--no-rewrite", prog, "-o", fallback});
  if (b1.status || b2.status) {
    std::fprintf(stderr, "shoal build failed: %s %s\n", b1.err.c_str(), b2.err.c_str());
    return 1;
  }
  std::vector<double> native, shoal, bounce;
  for (int i = 0; i < 5; ++i) {
    auto n = run({prog, calls});
    auto s = run({bin + "/shoal-vmm", rewritten, "--", calls});
    auto f = run({bin + "/shoal-vmm", fallback, "--", "20000"});
    if (n.status || s.status || f.status) {
      std::fprintf(stderr, "a run failed: %s %s %s\n", n.err.c_str(), s.err.c_str(), f.err.c_str());
      return 1;
    }
    native.push_back(ns_per_call(n));
    shoal.push_back(ns_per_call(s));
    bounce.push_back(ns_per_call(f));
  }
  double n = median(native), s = median(shoal), f = median(bounce);
  std::printf("syscall: getpid, median of 5 runs, ns per call\n");
  std::printf("  native Linux syscall                 %9.1f ns\n", n);
  std::printf("  shoal, rewritten call site           %9.1f ns   %6.1fx cheaper than native\n", s, n / s);
  std::printf("  shoal, ring-0 bounce (--no-rewrite)  %9.1f ns   %6.2fx native\n", f, f / n);
  std::printf("  target: rewritten >= 10x cheaper than native: %s\n", n / s >= 10 ? "met" : "NOT met");
  return 0;
}

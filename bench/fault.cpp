// bench/fault: cost of one delivered SIGSEGV (fault, handler, sigreturn,
// resume past the instruction) under shoal against native Linux, measured in
// the same run by the same static program (bench/fault_loop.c).
//
//   fault SHOAL_BIN_DIR FAULT_LOOP [FAULTS]
//
// Under shoal each fault is one VM exit to the monitor (the exception stub's
// `out`) plus the upcall into the LibOS; on the PVM machines of PLATFORM.md
// the exit dominates (~50 us), on VT-x hardware it would be ~1-2 us.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench_util.hpp"

using namespace shoal::bench;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s SHOAL_BIN_DIR FAULT_LOOP [FAULTS]\n", argv[0]);
    return 2;
  }
  std::string bin = argv[1], prog = argv[2];
  std::string faults = argc > 3 ? argv[3] : "2000";
  std::string image = "/tmp/shoal-bench-fault.shoal";
  auto b = run({bin + "/shoal", "build", prog, "-o", image});
  if (b.status) {
    std::fprintf(stderr, "shoal build failed: %s\n", b.err.c_str());
    return 1;
  }
  std::vector<double> native, shoal;
  for (int i = 0; i < 5; ++i) {
    auto n = run({prog, "200000"});
    auto s = run({bin + "/shoal-vmm", image, "--", faults});
    if (n.status || s.status) {
      std::fprintf(stderr, "a run failed: %s %s\n", n.err.c_str(), s.err.c_str());
      return 1;
    }
    native.push_back(std::atof(n.out.c_str()));
    shoal.push_back(std::atof(s.out.c_str()));
  }
  double n = median(native), s = median(shoal);
  std::printf("fault: SIGSEGV delivered to a handler that skips the load, median of 5 runs, ns per fault\n");
  std::printf("  native Linux          %10.1f ns\n", n);
  std::printf("  shoal (upcall)        %10.1f ns   %6.2fx native\n", s, s / n);
  return 0;
}

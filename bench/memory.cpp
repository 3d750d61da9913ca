// bench/memory: growing memory under shoal against the same static program
// natively, measured in the same run (issue 11 points 1 and 3).
//
//   memory SHOAL_BIN_DIR GUEST_MEM_GROW GUEST_HELLO [RUNS]
//
// Rows: first touch of a fresh 64 MiB mapping (µs per MiB), mremap growth
// 1 -> 64 MiB, realloc growth 1 -> 64 MiB, a Go-style reservation start-up
// (64 GiB PROT_NONE, 64 MiB of it mapped and touched), and the peak RSS of
// the monitor running hello (which must not grow).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench_util.hpp"

using namespace shoal::bench;

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s SHOAL_BIN_DIR GUEST_MEM_GROW GUEST_HELLO [RUNS]\n", argv[0]);
    return 2;
  }
  std::string bin = argv[1], prog = argv[2], hello = argv[3];
  int runs = argc > 4 ? std::atoi(argv[4]) : 5;
  std::string image = "/tmp/shoal-bench-memory.shoal", hello_image = "/tmp/shoal-bench-memory-hello.shoal";
  auto b1 = run({bin + "/shoal", "build", prog, "-o", image});
  auto b2 = run({bin + "/shoal", "build", hello, "-o", hello_image});
  if (b1.status || b2.status) {
    std::fprintf(stderr, "shoal build failed: %s %s\n", b1.err.c_str(), b2.err.c_str());
    return 1;
  }
  struct Row {
    const char* mode;
    const char* what;
    const char* unit;
    double target;  // shoal speed as a fraction of native, at least
  };
  const Row rows[] = {
      {"touch", "first touch, 64 MiB fresh mapping", "us/MiB", 0.7},
      {"mremap", "mremap growth 1 -> 64 MiB", "ms", 0.5},
      {"realloc", "realloc growth 1 -> 64 MiB", "ms", 0.5},
      {"reserve", "reserve 64 GiB, map+touch 64 MiB", "ms", 0.5},
  };
  std::printf("memory: median of %d runs, lower is better; ratio = native time / shoal time\n", runs);
  int failed = 0;
  for (const Row& row : rows) {
    std::vector<double> native, shoal;
    for (int i = 0; i < runs; ++i) {
      auto n = run({prog, row.mode});
      auto s = run({bin + "/shoal-vmm", image, "--", row.mode});
      if (n.status || s.status) {
        std::printf("  %-36s a run failed (native %d, shoal %d): %s\n", row.what, n.status, s.status,
                    s.err.substr(0, 200).c_str());
        ++failed;
        break;
      }
      native.push_back(std::atof(n.out.c_str()));
      shoal.push_back(std::atof(s.out.c_str()));
    }
    if (shoal.size() != static_cast<size_t>(runs)) continue;
    double nv = median(native), sv = median(shoal), ratio = sv > 0 ? nv / sv : 0;
    std::printf("  %-36s native %9.2f %-6s shoal %9.2f %-6s %5.2fx native speed (target >= %.1fx: %s)\n", row.what,
                nv, row.unit, sv, row.unit, ratio, row.target, ratio >= row.target ? "met" : "NOT met");
  }
  std::vector<double> rss;
  for (int i = 0; i < runs; ++i) rss.push_back(peak_rss_kb({bin + "/shoal-vmm", hello_image}));
  std::printf("  %-36s %.0f KiB peak RSS of shoal-vmm (VmHWM)\n", "hello", median(rss));
  return failed ? 1 : 0;
}

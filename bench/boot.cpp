// bench/boot: how long `hello` takes to run under shoal against natively, and
// how much host memory one instance needs.
//
//   boot SHOAL_DIR GUEST_HELLO [RUNS]
//
// Runs (interleaved, RUNS times each, default 30):
//   native      the static hello binary itself
//   shoal-vmm   the monitor on a prebuilt image (what shoald spawns)
//   shoal run   the CLI on the same image (one extra exec)
//   shoal run hello (cached)
//               the CLI on the program itself, its image from the cache
//               (a hit by identity: the digest of the image is checked, no
//               input is read), against `shoal run hello.shoal`: <= 1.2x
// and prints medians, the ratio against native, the monitor/guest split
// (from `shoal-vmm --timing`), and peak RSS (VmHWM at exit: the monitor process,
// which includes every guest page touched, since guest memory is its mapping;
// KVM's own kernel memory, ~210 KiB per VM, is not in it).
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_util.hpp"

using namespace shoal::bench;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s SHOAL_BIN_DIR GUEST_HELLO [RUNS]\n", argv[0]);
    return 2;
  }
  std::string bin = argv[1], hello = argv[2];
  int runs = argc > 3 ? std::atoi(argv[3]) : 30;
  // A directory of its own (mkdtemp: 0700, a fresh name) for the image and
  // for the cache that `shoal run hello` uses, so the figure is a hit of this
  // run's cache, the user's is left alone, and nothing is written under a
  // predictable name in /tmp.
  char dir_tmpl[] = "/tmp/shoal-bench-boot-XXXXXX";
  if (mkdtemp(dir_tmpl) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  std::string dir = dir_tmpl;
  std::string image = dir + "/hello.shoal";
  std::vector<std::string> cache_env{"XDG_CACHE_HOME=" + dir + "/cache"};
  auto built = run({bin + "/shoal", "build", hello, "-o", image});
  if (built.status != 0) {
    std::fprintf(stderr, "shoal build failed: %s%s\n", built.out.c_str(), built.err.c_str());
    std::filesystem::remove_all(dir);
    return 1;
  }
  std::vector<double> native_us, vmm_us, run_us, cached_us, exec_us, setup_us, guest_us;
  std::vector<double> native_rss, vmm_rss;
  for (int i = 0; i < runs + 2; ++i) {
    auto n = run({hello});
    auto v = run({bin + "/shoal-vmm", "--timing", image}, {}, true);
    auto c = run({bin + "/shoal", "run", image});
    auto p = run({bin + "/shoal", "run", hello}, cache_env);
    if (n.status || v.status || c.status || p.status) {
      std::fprintf(stderr, "a run failed: native %d, shoal-vmm %d (%s), shoal run %d (%s), shoal run PROG %d (%s)\n",
                   n.status, v.status, v.err.c_str(), c.status, c.err.c_str(), p.status, p.err.c_str());
      std::filesystem::remove_all(dir);
      return 1;
    }
    if (i < 2) continue;  // warm the page cache and the image cache
    native_us.push_back(n.wall_us);
    vmm_us.push_back(v.wall_us);
    run_us.push_back(c.wall_us);
    cached_us.push_back(p.wall_us);
    exec_us.push_back(field(v.err, "exec_to_main_us"));
    setup_us.push_back(field(v.err, "setup_us"));
    guest_us.push_back(field(v.err, "guest_to_first_write_us"));
    native_rss.push_back(peak_rss_kb({hello}));
    vmm_rss.push_back(peak_rss_kb({bin + "/shoal-vmm", image}));
  }
  std::filesystem::remove_all(dir);
  double n = median(native_us), v = median(vmm_us), c = median(run_us), p = median(cached_us);
  std::printf("boot: hello, median of %d runs each (interleaved)\n", runs);
  std::printf("  native static hello        %8.0f us\n", n);
  std::printf("  shoal-vmm hello.shoal      %8.0f us   %5.1fx native\n", v, v / n);
  std::printf("  shoal run hello.shoal      %8.0f us   %5.1fx native\n", c, c / n);
  std::printf("  shoal run hello (cached)   %8.0f us   %5.1fx native   %4.2fx `shoal run hello.shoal`\n", p, p / n,
              p / c);
  std::printf("  split (shoal-vmm): exec -> monitor main %.0f us, monitor set-up %.0f us,"
              " guest start -> first write from main %.0f us\n",
              median(exec_us), median(setup_us), median(guest_us));
  std::printf("  target: <= 10000 us end to end: %s\n", c <= 10000 ? "met" : "NOT met");
  std::printf("  target: cached `shoal run PROG` <= 1.2x `shoal run IMAGE`: %s\n", p <= 1.2 * c ? "met" : "NOT met");
  double nr = median(native_rss), vr = median(vmm_rss);
  std::printf("memory: peak RSS (VmHWM at exit), median\n");
  std::printf("  native static hello        %8.0f KiB\n", nr);
  std::printf("  shoal-vmm + guest          %8.0f KiB   %5.1fx native\n", vr, vr / nr);
  std::printf("  target: <= 6144 KiB: %s\n", vr <= 6144 ? "met" : "NOT met");
  return 0;
}

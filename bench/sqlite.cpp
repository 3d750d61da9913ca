// bench/sqlite: the SQLite workload of tests/real/sqlite (an in-memory and a
// file database, 100,000 inserts in a transaction each, indexed queries,
// aggregates) natively and under shoal, in the same run, by the same static
// binary. Reports wall time spawn -> exit, median of RUNS each, and the ratio.
//
//   sqlite SHOAL_BIN_DIR SQLITE_DRIVER [RUNS]
//
// The file database lives in memory on both sides: under shoal in /tmp (the
// LibOS's in-memory file system), natively in a directory on /dev/shm (tmpfs),
// so neither side pays for a disk's fsync.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench_util.hpp"

using namespace shoal::bench;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s SHOAL_BIN_DIR SQLITE_DRIVER [RUNS]\n", argv[0]);
    return 2;
  }
  std::string bin = argv[1], prog = argv[2];
  int runs = argc > 3 ? std::max(1, std::atoi(argv[3])) : 7;
  std::string image = "/tmp/shoal-bench-sqlite.shoal";
  auto b = run({bin + "/shoal", "build", prog, "-o", image});
  if (b.status) {
    std::fprintf(stderr, "shoal build failed: %s\n", b.err.c_str());
    return 1;
  }
  std::string tmpl = access("/dev/shm", W_OK) == 0 ? "/dev/shm/shoal-bench-sqlite-XXXXXX" : "/tmp/shoal-bench-sqlite-XXXXXX";
  std::vector<char> dir(tmpl.begin(), tmpl.end());
  dir.push_back('\0');
  if (!mkdtemp(dir.data())) {
    std::perror("mkdtemp");
    return 1;
  }
  std::vector<double> native, shoal;
  std::string native_out, shoal_out;
  // Alternate the two so that drifts in machine load hit both alike.
  for (int i = 0; i < runs; ++i) {
    auto n = run({prog, dir.data()});
    auto s = run({bin + "/shoal-vmm", image, "--", "/tmp"});
    if (n.status || s.status) {
      std::fprintf(stderr, "a run failed (native %d, shoal %d): %s %s\n", n.status, s.status, n.err.c_str(),
                   s.err.c_str());
      rmdir(dir.data());
      return 1;
    }
    native.push_back(n.wall_us / 1000);
    shoal.push_back(s.wall_us / 1000);
    native_out = n.out, shoal_out = s.out;
  }
  rmdir(dir.data());
  unlink(image.c_str());
  double n = median(native), s = median(shoal);
  std::printf("sqlite: 2 x 100,000 inserts + queries (tests/real/sqlite), median of %d runs, wall ms\n", runs);
  std::printf("  native Linux (file db on tmpfs)  %8.1f ms\n", n);
  std::printf("  shoal (file db in /tmp)          %8.1f ms   %5.2fx native speed\n", s, n / s);
  std::printf("  outputs identical: %s\n", native_out == shoal_out ? "yes" : "NO");
  std::printf("  target: shoal >= 0.9x native speed: %s\n", n / s >= 0.9 ? "met" : "NOT met");
  return native_out == shoal_out ? 0 : 1;
}

// bench/dynamic: starting a dynamically linked program under shoal (issue 12).
//
//   dynamic SHOAL_BIN_DIR STATIC_HELLO DYNAMIC_HELLO WORKLOAD_DIR [RUNS]
//
// Interleaved, RUNS times each (default 20), medians:
//   hello        the static hello against a dynamically linked hello, each
//                natively and under shoal-vmm from a prebuilt image: what
//                loading ld.so and libc from the image's rootfs costs at boot
//                (the interpreter mapped by the LibOS, libc by ld.so; their
//                system calls are rewritten calls, as the program's)
//   python3      Debian's /usr/bin/python3 -c pass, natively and under shoal
//                (image with --include /usr/lib/python3.11): issue 12's target
//                is <= 1.5x native wall time
//   workload     WORKLOAD_DIR/workload.py (JSON round trips, dict/str churn):
//                the seconds its own loop takes natively and under shoal (start-up
//                excluded); issue 12's target is >= 0.95x native speed
// plus the guest split from `shoal-vmm --timing` and the peak RSS (VmHWM) of
// each, and the python image's size and build time (first build and rebuild).
#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_util.hpp"

using namespace shoal::bench;

namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s SHOAL_BIN_DIR STATIC_HELLO DYNAMIC_HELLO WORKLOAD_DIR [RUNS]\n", argv[0]);
    return 2;
  }
  std::string bin = argv[1], shello = argv[2], dhello = argv[3], wdir = argv[4];
  std::string workload = wdir + "/workload.py";
  int runs = argc > 5 ? std::atoi(argv[5]) : 20;
  // Not below /tmp for the images' inputs; the images themselves may be.
  char dir_tmpl[] = "/tmp/shoal-bench-dynamic-XXXXXX";
  if (mkdtemp(dir_tmpl) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  std::string dir = dir_tmpl;
  std::string simg = dir + "/static.shoal", dimg = dir + "/dynamic.shoal", pimg = dir + "/python3.shoal";
  auto fail = [&](const char* what, const RunResult& r) {
    std::fprintf(stderr, "%s failed (status %d): %s%s\n", what, r.status, r.out.c_str(), r.err.c_str());
    std::filesystem::remove_all(dir);
    return 1;
  };
  if (auto r = run({bin + "/shoal", "build", shello, "-o", simg}); r.status) return fail("shoal build static", r);
  if (auto r = run({bin + "/shoal", "build", dhello, "-o", dimg}); r.status) return fail("shoal build dynamic", r);
  std::vector<std::string> pbuild{bin + "/shoal", "build", "/usr/bin/python3", "--include", "/usr/lib/python3.11",
                                  "--include", wdir, "-o", pimg};
  auto t0 = std::chrono::steady_clock::now();
  if (auto r = run(pbuild); r.status) return fail("shoal build python3", r);
  double pbuild_ms = ms_since(t0);
  t0 = std::chrono::steady_clock::now();
  if (auto r = run(pbuild); r.status) return fail("shoal build python3 (again)", r);
  double prebuild_ms = ms_since(t0);
  struct stat st {};
  stat(pimg.c_str(), &st);
  double pimg_mib = static_cast<double>(st.st_size) / (1 << 20);

  std::vector<double> ns, nd, vs, vd, gs, gd, np, vp;
  for (int i = 0; i < runs + 2; ++i) {
    auto a = run({shello});
    auto b = run({dhello});
    auto c = run({bin + "/shoal-vmm", "--timing", simg}, {}, true);
    auto d = run({bin + "/shoal-vmm", "--timing", dimg}, {}, true);
    auto e = run({"/usr/bin/python3", "-c", "pass"});
    auto f = run({bin + "/shoal-vmm", "--timing", pimg, "--", "-c", "pass"}, {}, true);
    if (a.status || b.status || c.status || d.status || e.status || f.status) {
      std::fprintf(stderr, "a run failed: %d %d %d (%s) %d (%s) %d %d (%s)\n", a.status, b.status, c.status,
                   c.err.c_str(), d.status, d.err.c_str(), e.status, f.status, f.err.c_str());
      std::filesystem::remove_all(dir);
      return 1;
    }
    if (i < 2) continue;  // warm the page cache
    ns.push_back(a.wall_us), nd.push_back(b.wall_us), vs.push_back(c.wall_us), vd.push_back(d.wall_us);
    np.push_back(e.wall_us), vp.push_back(f.wall_us);
    gs.push_back(field(c.err, "guest_to_first_write_us"));
    gd.push_back(field(d.err, "guest_to_first_write_us"));
  }
  // The workload: its own loop time, natively and under shoal, interleaved.
  std::vector<double> wn, ws;
  for (int i = 0; i < 5; ++i) {
    auto a = run({"/usr/bin/python3", workload});
    auto b = run({bin + "/shoal-vmm", pimg, "--", workload});
    if (a.status || b.status) {
      std::fprintf(stderr, "workload failed: %d %d (%s)\n", a.status, b.status, b.err.c_str());
      std::filesystem::remove_all(dir);
      return 1;
    }
    if (a.out.substr(a.out.find(' ')) != b.out.substr(b.out.find(' '))) {
      std::fprintf(stderr, "workload results differ: native %s, shoal %s\n", a.out.c_str(), b.out.c_str());
      std::filesystem::remove_all(dir);
      return 1;
    }
    wn.push_back(std::atof(a.out.c_str()));
    ws.push_back(std::atof(b.out.c_str()));
  }
  long rss_s = peak_rss_kb({bin + "/shoal-vmm", simg}), rss_d = peak_rss_kb({bin + "/shoal-vmm", dimg});
  long rss_p = peak_rss_kb({bin + "/shoal-vmm", pimg, "--", "-c", "pass"});
  long rss_pn = peak_rss_kb({"/usr/bin/python3", "-c", "pass"});
  std::filesystem::remove_all(dir);

  double mns = median(ns), mnd = median(nd), mvs = median(vs), mvd = median(vd), mnp = median(np), mvp = median(vp);
  std::printf("dynamic: start -> exit, median of %d interleaved runs each\n", runs);
  std::printf("  native static hello            %8.0f us\n", mns);
  std::printf("  native dynamic hello           %8.0f us   %5.2fx static\n", mnd, mnd / mns);
  std::printf("  shoal-vmm static hello         %8.0f us   %5.2fx native static   guest %6.0f us\n", mvs, mvs / mns,
              median(gs));
  std::printf("  shoal-vmm dynamic hello        %8.0f us   %5.2fx native dynamic  guest %6.0f us   %5.2fx shoal static\n",
              mvd, mvd / mnd, median(gd), mvd / mvs);
  std::printf("  native python3 -c pass         %8.0f us\n", mnp);
  // python3 -c pass writes nothing: there is no first write to split at.
  std::printf("  shoal-vmm python3 -c pass      %8.0f us   %5.2fx native\n", mvp, mvp / mnp);
  std::printf("  target: python3 -c pass <= 1.5x native: %s\n", mvp <= 1.5 * mnp ? "met" : "NOT met");
  double mwn = median(wn), mws = median(ws);
  std::printf("  python3 workload.py loop       %8.3f s native, %.3f s under shoal: %5.2fx native speed (median of 5)\n",
              mwn, mws, mwn / mws);
  std::printf("  target: >= 0.95x native speed: %s\n", mwn / mws >= 0.95 ? "met" : "NOT met");
  std::printf("memory: peak RSS (VmHWM at exit)\n");
  std::printf("  shoal-vmm static hello %ld KiB, dynamic hello %ld KiB (%.2fx)\n", rss_s, rss_d,
              static_cast<double>(rss_d) / rss_s);
  std::printf("  python3 -c pass: native %ld KiB, shoal-vmm %ld KiB (%.2fx)\n", rss_pn, rss_p,
              static_cast<double>(rss_p) / rss_pn);
  std::printf("image: python3 + /usr/lib/python3.11: %.1f MiB, built in %.0f ms, rebuilt in %.0f ms\n", pimg_mib,
              pbuild_ms, prebuild_ms);
  return 0;
}

// std::chrono sleeps: a sleep never ends early, and it ends within 2 ms of its
// deadline. Each duration is measured 5 times and the median is held to the
// 2 ms bound, so one descheduling of the host thread on a loaded 2-core
// machine does not decide the result; the minimum must still be >= the
// duration (no early wake-up, ever).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <initializer_list>
#include <thread>
#include <vector>

using namespace std::chrono;

template <typename F>
static double median_ms(F f, double* min_out) {
  std::vector<double> v;
  for (int i = 0; i < 5; ++i) {
    auto t0 = steady_clock::now();
    f();
    v.push_back(duration<double, std::milli>(steady_clock::now() - t0).count());
  }
  std::sort(v.begin(), v.end());
  *min_out = v.front();
  return v[2];
}

int main() {
  int bad = 0;
  for (int ms : {1, 5, 10, 20, 50, 100}) {
    double min;
    double med = median_ms([ms] { std::this_thread::sleep_for(milliseconds(ms)); }, &min);
    if (min < ms || med > ms + 2.0) {
      ++bad;
      std::fprintf(stderr, "sleep_for(%d ms): min %.3f ms, median %.3f ms\n", ms, min, med);
    }
  }
  // A sleeping thread: creation and join included.
  double min;
  double med = median_ms([] { std::thread t([] { std::this_thread::sleep_for(milliseconds(30)); }); t.join(); }, &min);
  if (min < 30 || med > 32) { ++bad; std::fprintf(stderr, "thread sleep: min %.3f median %.3f ms\n", min, med); }
  // Wall clock and monotonic clock advance together.
  auto s0 = system_clock::now();
  auto m0 = steady_clock::now();
  std::this_thread::sleep_for(milliseconds(20));
  double ds = duration<double, std::milli>(system_clock::now() - s0).count();
  double dm = duration<double, std::milli>(steady_clock::now() - m0).count();
  if (ds - dm > 2 || dm - ds > 2) { ++bad; std::fprintf(stderr, "clocks disagree: %.3f vs %.3f\n", ds, dm); }
  std::printf("sleeps %s\n", bad ? "out of bounds" : "within 2 ms");
  return bad != 0;
}

// std::chrono sleeps: each sleep lasts at least its duration and at most 2 ms more.
#include <chrono>
#include <initializer_list>
#include <cstdio>
#include <thread>

int main() {
  using namespace std::chrono;
  int bad = 0;
  for (int ms : {1, 5, 10, 20, 50, 100}) {
    auto t0 = steady_clock::now();
    std::this_thread::sleep_for(milliseconds(ms));
    double took = duration<double, std::milli>(steady_clock::now() - t0).count();
    bool ok = took >= ms && took <= ms + 2.0;
    if (!ok) { ++bad; std::fprintf(stderr, "sleep_for(%d ms) took %.3f ms\n", ms, took); }
  }
  // A sleeping thread and a working one.
  auto t0 = steady_clock::now();
  std::thread sleeper([] { std::this_thread::sleep_for(milliseconds(30)); });
  sleeper.join();
  double took = duration<double, std::milli>(steady_clock::now() - t0).count();
  if (took < 30 || took > 32) { ++bad; std::fprintf(stderr, "thread sleep took %.3f ms\n", took); }
  // Wall clock and monotonic clock advance together.
  auto s0 = system_clock::now(); auto m0 = steady_clock::now();
  std::this_thread::sleep_for(milliseconds(20));
  double ds = duration<double, std::milli>(system_clock::now() - s0).count();
  double dm = duration<double, std::milli>(steady_clock::now() - m0).count();
  if (ds - dm > 2 || dm - ds > 2) { ++bad; std::fprintf(stderr, "clocks disagree: %.3f vs %.3f\n", ds, dm); }
  std::printf("sleeps %s\n", bad ? "out of bounds" : "within 2 ms");
  return bad != 0;
}

// 16 std::threads with a mutex, a condition variable and atomics.
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

int main() {
  constexpr int kThreads = 16, kIters = 20000;
  std::mutex m;
  long locked_counter = 0;
  std::atomic<long> atomic_counter{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < kThreads; ++t)
    pool.emplace_back([&] {
      for (int i = 0; i < kIters; ++i) {
        atomic_counter.fetch_add(1, std::memory_order_relaxed);
        std::lock_guard<std::mutex> g(m);
        ++locked_counter;
        if (i % 1000 == 0) std::this_thread::yield();
      }
    });
  for (auto& t : pool) t.join();
  std::printf("mutex counter %ld, atomic counter %ld\n", locked_counter, atomic_counter.load());

  // Producer/consumer over a condition variable.
  std::deque<int> queue;
  std::condition_variable cv;
  bool done = false;
  long sum = 0;
  std::vector<std::thread> consumers;
  std::atomic<long> consumed{0};
  for (int c = 0; c < 8; ++c)
    consumers.emplace_back([&] {
      for (;;) {
        std::unique_lock<std::mutex> lk(m);
        cv.wait(lk, [&] { return !queue.empty() || done; });
        if (queue.empty()) return;
        sum += queue.front();
        queue.pop_front();
        consumed.fetch_add(1);
      }
    });
  std::vector<std::thread> producers;
  for (int p = 0; p < 8; ++p)
    producers.emplace_back([&, p] {
      for (int i = 1; i <= 1000; ++i) {
        { std::lock_guard<std::mutex> g(m); queue.push_back(p * 1000 + i); }
        cv.notify_one();
      }
    });
  for (auto& t : producers) t.join();
  { std::lock_guard<std::mutex> g(m); done = true; }
  cv.notify_all();
  for (auto& t : consumers) t.join();
  std::printf("consumed %ld items, sum %ld\n", consumed.load(), sum);
  return 0;
}

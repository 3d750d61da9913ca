// A dynamically linked C++ program: libstdc++, libgcc_s and libm from the
// image; threads, exceptions, iostreams, <regex>, <map>.
#include <algorithm>
#include <iostream>
#include <map>
#include <mutex>
#include <numeric>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

int main() {
  std::vector<std::thread> threads;
  std::mutex m;
  long total = 0;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      long s = 0;
      for (int i = 0; i < 100000; ++i) s += i % (t + 2);
      std::lock_guard<std::mutex> g(m);
      total += s;
    });
  for (auto& t : threads) t.join();
  std::cout << "threads total " << total << "\n";
  try {
    throw std::runtime_error("thrown through libgcc_s");
  } catch (const std::exception& e) {
    std::cout << "caught: " << e.what() << "\n";
  }
  std::map<std::string, int> words;
  std::string text = "the quick brown fox jumps over the lazy dog the end";
  std::regex word("[a-z]+");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), word); it != std::sregex_iterator(); ++it)
    ++words[it->str()];
  for (const auto& [w, n] : words) std::cout << w << "=" << n << " ";
  std::cout << "\n";
  std::vector<int> v(20);
  std::iota(v.begin(), v.end(), 1);
  std::cout << "sum " << std::accumulate(v.begin(), v.end(), 0) << "\n";
  return 0;
}

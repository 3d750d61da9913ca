// An ordinary C++ program: built with `g++ -static`, it runs natively and, unchanged, as a
// shoal unikernel. It reads a file from its image's root filesystem, uses threads and time.
#include <chrono>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  auto t0 = std::chrono::steady_clock::now();
  std::string motd = "(no /etc/motd)";
  if (std::ifstream f{"/etc/motd"}; f) std::getline(f, motd);
  std::cout << "hello from " << argv[0] << ": " << motd << "\n";
  for (int i = 1; i < argc; ++i) std::cout << "  argument " << i << ": " << argv[i] << "\n";
  std::vector<std::thread> workers;
  std::vector<long> sums(4);
  for (int w = 0; w < 4; ++w)
    workers.emplace_back([&sums, w] {
      for (long i = 0; i < 1000000; ++i) sums[w] += i % (w + 2);
    });
  for (auto& t : workers) t.join();
  std::cout << "4 threads computed " << sums[0] + sums[1] + sums[2] + sums[3] << " in "
            << std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count()
            << " us\n";
  return 0;
}

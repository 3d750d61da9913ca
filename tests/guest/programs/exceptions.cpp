// C++ exceptions thrown across frames, caught by base class, rethrown, carried by exception_ptr.
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>

struct AppError : std::runtime_error {
  int code;
  AppError(const std::string& m, int c) : std::runtime_error(m), code(c) {}
};

struct Guard {
  const char* name;
  ~Guard() { std::printf("unwound %s\n", name); }
};

[[gnu::noinline]] static void level3(int n) {
  Guard g{"level3"};
  if (n > 2) throw AppError("deep failure", n);
}
[[gnu::noinline]] static void thrower(int n) { if (n >= 0) throw AppError("loop", n); }
[[gnu::noinline]] static void level2(int n) { Guard g{"level2"}; level3(n + 1); }
[[gnu::noinline]] static void level1(int n) {
  try {
    level2(n + 1);
  } catch (const AppError& e) {
    std::printf("level1 saw %s (%d), rethrowing\n", e.what(), e.code);
    throw;
  }
}

int main() {
  try {
    level1(1);
  } catch (const std::exception& e) {
    std::printf("main caught: %s\n", e.what());
  }
  std::exception_ptr saved;
  try {
    throw std::out_of_range("index 7");
  } catch (...) {
    saved = std::current_exception();
  }
  try {
    std::rethrow_exception(saved);
  } catch (const std::logic_error& e) {
    std::printf("rethrown: %s\n", e.what());
  }
  int caught = 0;
  for (int i = 0; i < 1000; ++i) {
    try { thrower(i); } catch (const AppError& e) { caught += e.code == i; }
  }
  std::printf("caught %d\n", caught);
  return 0;
}

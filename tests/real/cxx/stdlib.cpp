// A C++ program exercising the standard library broadly, run unmodified
// natively and under shoal; the outputs must be identical. Nothing printed
// depends on wall time, thread scheduling or the host's files.
//
//   stdlib DIR      (DIR: a writable scratch directory; /tmp under shoal)
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <iomanip>
#include <iostream>
#include <map>
#include <mutex>
#include <numeric>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;

static void section(const char* name) { std::cout << "== " << name << '\n'; }

static void test_filesystem(const fs::path& base) {
  section("filesystem");
  fs::path root = base / "cxx-fs";
  fs::remove_all(root);
  fs::create_directories(root / "a" / "b" / "c");
  fs::create_directory(root / "d");
  for (int i = 0; i < 3; ++i) std::ofstream(root / "a" / ("f" + std::to_string(i) + ".txt")) << std::string(10 * (i + 1), 'x');
  std::ofstream(root / "a" / "b" / "c" / "deep.log") << "deep\n";
  fs::copy_file(root / "a" / "f1.txt", root / "d" / "copy.txt");
  fs::rename(root / "a" / "f2.txt", root / "d" / "moved.txt");
  fs::resize_file(root / "d" / "moved.txt", 7);

  std::vector<std::string> entries;
  for (auto& e : fs::recursive_directory_iterator(root)) {
    std::string rel = fs::relative(e.path(), root).generic_string();
    if (e.is_regular_file())
      rel += " file " + std::to_string(e.file_size());
    else if (e.is_directory())
      rel += " dir";
    entries.push_back(rel);
  }
  std::sort(entries.begin(), entries.end());
  for (auto& s : entries) std::cout << "  " << s << '\n';
  std::cout << "  exists(d/copy.txt)=" << fs::exists(root / "d" / "copy.txt")
            << " exists(a/f2.txt)=" << fs::exists(root / "a" / "f2.txt") << '\n';
  fs::path p = root / "a" / "b" / "c" / "deep.log";
  std::cout << "  stem=" << p.stem() << " ext=" << p.extension()
            << " parent=" << fs::relative(p.parent_path(), root).generic_string() << '\n';
  try {
    fs::remove(root / "a");  // not empty
    std::cout << "  removed a non-empty directory?!\n";
  } catch (const fs::filesystem_error& e) {
    std::cout << "  filesystem_error: " << e.code().message() << '\n';
  }
  fs::path copy = root / "d" / "copy.txt";
  fs::permissions(copy, fs::perms::owner_read | fs::perms::group_read);
  std::cout << "  perms after set: " << std::oct << static_cast<unsigned>(fs::status(copy).permissions()) << std::dec;
  fs::permissions(copy, fs::perms::owner_write, fs::perm_options::add);
  std::cout << " after add: " << std::oct << static_cast<unsigned>(fs::status(copy).permissions()) << std::dec << '\n';
  std::chrono::sys_seconds day{std::chrono::sys_days{std::chrono::year(2020) / 1 / 2}};
  auto stamp = fs::file_time_type::clock::from_sys(day);
  fs::last_write_time(copy, stamp);
  std::cout << "  mtime set and read back: " << (fs::last_write_time(copy) == stamp) << '\n';
  std::error_code ec;
  (void)fs::file_size(root / "nope", ec);
  std::cout << "  file_size(nope): " << ec.message() << '\n';
  auto old_cwd = fs::current_path();
  fs::current_path(root / "a");
  std::cout << "  cwd ends with a: " << (fs::current_path().filename() == "a") << '\n';
  fs::current_path(old_cwd);
  std::cout << "  removed " << fs::remove_all(root) << " entries\n";
}

static void test_iostream_files(const fs::path& base) {
  section("iostream files");
  fs::path file = base / "cxx-numbers.txt";
  {
    std::ofstream out(file);
    for (int i = 1; i <= 1000; ++i) out << i << ' ' << i * i << '\n';
  }
  std::ifstream in(file);
  long long a, b, sa = 0, sb = 0;
  int lines = 0;
  while (in >> a >> b) sa += a, sb += b, ++lines;
  std::cout << "  lines " << lines << " sums " << sa << ' ' << sb << '\n';
  {
    std::ofstream app(file, std::ios::app);
    app << "tail line\n";
  }
  std::ifstream again(file, std::ios::ate);
  std::cout << "  size " << again.tellg() << '\n';
  again.seekg(-10, std::ios::end);
  std::string last;
  std::getline(again, last);
  std::cout << "  last line '" << last << "'\n";
  std::fstream bin(base / "cxx-bin.dat", std::ios::in | std::ios::out | std::ios::trunc | std::ios::binary);
  for (uint32_t v = 0; v < 256; ++v) bin.write(reinterpret_cast<const char*>(&v), 4);
  bin.seekg(4 * 200);
  uint32_t v;
  bin.read(reinterpret_cast<char*>(&v), 4);
  std::cout << "  binary record 200 = " << v << '\n';
  std::ifstream missing(base / "does-not-exist");
  std::cout << "  missing file opens: " << missing.is_open() << '\n';
  fs::remove(file);
  fs::remove(base / "cxx-bin.dat");
}

static void test_regex() {
  section("regex");
  std::string text = "alice@example.com, bob@test.org; carol at nowhere, dave@x.io";
  std::regex email(R"(([a-z]+)@([a-z]+)\.([a-z]+))");
  for (std::sregex_iterator it(text.begin(), text.end(), email), end; it != end; ++it)
    std::cout << "  user=" << (*it)[1] << " domain=" << (*it)[2] << " tld=" << (*it)[3] << '\n';
  std::cout << "  replaced: " << std::regex_replace(text, email, "<$1>") << '\n';
  std::cout << "  date match: " << std::regex_match("2024-02-29", std::regex(R"(\d{4}-\d{2}-\d{2})")) << '\n';
  std::smatch m;
  std::string kv = "key = value42";
  if (std::regex_search(kv, m, std::regex(R"((\w+)\s*=\s*(\w+))", std::regex::ECMAScript | std::regex::icase)))
    std::cout << "  kv: " << m[1] << " -> " << m[2] << '\n';
  try {
    std::regex bad("(unclosed");
  } catch (const std::regex_error& e) {
    std::cout << "  regex_error code " << e.code() << '\n';
  }
}

static void test_threads() {
  section("threads");
  std::mutex mu;
  std::condition_variable cv;
  long counter = 0;
  std::atomic<long> atomic_counter{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 50000; ++i) {
        std::lock_guard<std::mutex> lock(mu);
        ++counter;
        atomic_counter.fetch_add(1, std::memory_order_relaxed);
        if (i % 1000 == 0) std::this_thread::yield();
      }
    });
  for (auto& t : threads) t.join();
  std::cout << "  counter " << counter << " atomic " << atomic_counter.load() << '\n';

  // A ping-pong over a condition variable: strict alternation, deterministic output.
  int turn = 0;
  std::vector<int> order;
  auto player = [&](int me) {
    for (int round = 0; round < 5; ++round) {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return turn == me; });
      order.push_back(me);
      turn = 1 - me;
      cv.notify_all();
    }
  };
  std::thread p0(player, 0), p1(player, 1);
  p0.join();
  p1.join();
  std::cout << "  ping-pong";
  for (int o : order) std::cout << ' ' << o;
  std::cout << '\n';
  std::cout << "  thread ids differ: " << (std::this_thread::get_id() != std::thread::id()) << '\n';
}

static long long sum_range(long long from, long long to) {
  long long s = 0;
  for (long long i = from; i < to; ++i) s += i * i % 7;
  return s;
}

static void test_async() {
  section("async");
  std::vector<std::future<long long>> parts;
  for (int i = 0; i < 8; ++i) parts.push_back(std::async(std::launch::async, sum_range, i * 100000LL, (i + 1) * 100000LL));
  long long total = 0;
  for (auto& f : parts) total += f.get();
  std::cout << "  async total " << total << " (serial " << sum_range(0, 800000) << ")\n";
  auto deferred = std::async(std::launch::deferred, [] { return std::string("deferred ran"); });
  std::cout << "  " << deferred.get() << '\n';
  std::promise<int> promise;
  std::future<int> fut = promise.get_future();
  std::thread setter([&] { promise.set_value(99); });
  std::cout << "  promise value " << fut.get() << '\n';
  setter.join();
  auto thrower = std::async(std::launch::async, []() -> int { throw std::runtime_error("from a task"); });
  try {
    thrower.get();
  } catch (const std::exception& e) {
    std::cout << "  task exception: " << e.what() << '\n';
  }
  std::packaged_task<int(int)> task([](int x) { return x * 3; });
  auto tf = task.get_future();
  std::thread(std::move(task), 14).join();
  std::cout << "  packaged_task " << tf.get() << '\n';
}

static void test_random() {
  section("random");
  std::mt19937 mt(12345);
  std::cout << "  mt19937:";
  for (int i = 0; i < 5; ++i) std::cout << ' ' << mt();
  std::cout << '\n';
  std::mt19937_64 mt64(777);
  std::cout << "  mt19937_64: " << mt64() << '\n';
  std::minstd_rand lcg(1);
  std::cout << "  minstd_rand: " << lcg() << ' ' << lcg() << '\n';
  std::mt19937 gen(2024);
  std::uniform_int_distribution<int> dice(1, 6);
  std::map<int, int> hist;
  for (int i = 0; i < 60000; ++i) ++hist[dice(gen)];
  std::cout << "  dice:";
  for (auto& [face, n] : hist) std::cout << ' ' << face << '=' << n;
  std::cout << '\n';
  std::normal_distribution<double> normal(10.0, 2.0);
  double s = 0;
  for (int i = 0; i < 10000; ++i) s += normal(gen);
  std::cout << "  normal mean " << std::fixed << std::setprecision(6) << s / 10000 << '\n';
  std::vector<int> v(10);
  std::iota(v.begin(), v.end(), 0);
  std::shuffle(v.begin(), v.end(), std::mt19937(5));
  std::cout << "  shuffled:";
  for (int x : v) std::cout << ' ' << x;
  std::cout << std::defaultfloat << '\n';
  std::random_device rd;  // nondeterministic: only check that it works
  unsigned r1 = rd(), r2 = rd(), r3 = rd();
  std::cout << "  random_device works: " << (r1 != r2 || r2 != r3) << '\n';
}

static void test_chrono() {
  section("chrono");
  using namespace std::chrono;
  auto d = hours(1) + minutes(30) + seconds(15) + milliseconds(250);
  std::cout << "  total ms " << duration_cast<milliseconds>(d).count() << '\n';
  std::cout << "  as minutes (double) " << duration<double, std::ratio<60>>(d).count() << '\n';
  std::cout << "  floor to minutes " << floor<minutes>(d).count() << '\n';
  auto t0 = steady_clock::now();
  std::this_thread::sleep_for(milliseconds(20));
  auto elapsed = steady_clock::now() - t0;
  std::cout << "  slept at least 20ms: " << (elapsed >= milliseconds(20)) << '\n';
  std::cout << "  slept less than 5s: " << (elapsed < seconds(5)) << '\n';
  auto sys = system_clock::now();
  std::cout << "  system clock after 2020: " << (sys > system_clock::time_point(seconds(1577836800))) << '\n';
  year_month_day ymd{year(2024), month(2), day(29)};
  sys_days days = ymd;
  std::cout << "  2024-02-29 is day " << days.time_since_epoch().count() << " ok=" << ymd.ok()
            << " weekday " << weekday(days).c_encoding() << '\n';
  std::cout << "  2023-02-29 ok=" << year_month_day{year(2023), month(2), day(29)}.ok() << '\n';
}

static void test_iomanip() {
  section("iomanip");
  std::cout << "  [" << std::setw(10) << std::left << "left" << "][" << std::setw(10) << std::right << "right" << "]\n";
  std::cout << "  [" << std::setfill('*') << std::setw(8) << 42 << "]" << std::setfill(' ') << '\n';
  std::cout << "  hex " << std::hex << std::showbase << 255 << " oct " << std::oct << 8 << std::dec << std::noshowbase << '\n';
  std::cout << "  fixed " << std::fixed << std::setprecision(3) << 3.14159265 << " sci " << std::scientific
            << 123456.789 << std::defaultfloat << '\n';
  std::cout << "  bool " << std::boolalpha << true << ' ' << false << std::noboolalpha << '\n';
  std::cout << "  quoted " << std::quoted("say \"hi\"") << '\n';
  std::tm tm{};
  tm.tm_year = 124, tm.tm_mon = 6, tm.tm_mday = 4, tm.tm_hour = 13, tm.tm_min = 5, tm.tm_sec = 9;
  std::cout << "  put_time " << std::put_time(&tm, "%Y-%m-%d %H:%M:%S") << '\n';
  std::istringstream in("2001-09-11 08:46");
  std::tm parsed{};
  in >> std::get_time(&parsed, "%Y-%m-%d %H:%M");
  std::cout << "  get_time year " << parsed.tm_year + 1900 << " hour " << parsed.tm_hour << '\n';
  std::ostringstream os;
  os << std::setprecision(15) << 0.1 + 0.2;
  std::cout << "  0.1+0.2 = " << os.str() << '\n';
}

struct ParseError : std::runtime_error {
  int line;
  ParseError(const std::string& what, int l) : std::runtime_error(what), line(l) {}
};

static int parse(const std::string& s, int line) {
  if (s.empty()) throw ParseError("empty field", line);
  size_t used = 0;
  int v = std::stoi(s, &used);
  if (used != s.size()) throw ParseError("trailing junk in '" + s + "'", line);
  return v;
}

static void test_exceptions() {
  section("exceptions");
  const char* inputs[] = {"12", "", "7x", "99999999999", "abc", "-5"};
  int line = 0, sum = 0;
  for (const char* in : inputs) {
    ++line;
    try {
      sum += parse(in, line);
    } catch (const ParseError& e) {
      std::cout << "  line " << e.line << ": " << e.what() << '\n';
    } catch (const std::out_of_range& e) {
      std::cout << "  line " << line << ": out_of_range\n";
    } catch (const std::invalid_argument& e) {
      std::cout << "  line " << line << ": invalid_argument\n";
    }
  }
  std::cout << "  sum " << sum << '\n';
  try {
    std::vector<int> v(3);
    (void)v.at(10);
  } catch (const std::out_of_range&) {
    std::cout << "  vector::at threw out_of_range\n";
  }
  try {
    try {
      throw std::logic_error("inner");
    } catch (...) {
      std::throw_with_nested(std::runtime_error("outer"));
    }
  } catch (const std::runtime_error& e) {
    std::cout << "  caught " << e.what();
    try {
      std::rethrow_if_nested(e);
    } catch (const std::logic_error& inner) {
      std::cout << " nesting " << inner.what();
    }
    std::cout << '\n';
  }
  std::exception_ptr ep;
  try {
    throw 42;
  } catch (...) {
    ep = std::current_exception();
  }
  try {
    std::rethrow_exception(ep);
  } catch (int x) {
    std::cout << "  rethrown int " << x << '\n';
  }
  try {
    [[maybe_unused]] auto p = std::make_unique<char[]>(static_cast<size_t>(1) << 50);
  } catch (const std::bad_alloc&) {
    std::cout << "  bad_alloc for 1 PiB\n";
  }
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " DIR\n";
    return 2;
  }
  fs::path base = argv[1];
  test_filesystem(base);
  test_iostream_files(base);
  test_regex();
  test_threads();
  test_async();
  test_random();
  test_chrono();
  test_iomanip();
  test_exceptions();
  std::cout << "done\n";
  return 0;
}

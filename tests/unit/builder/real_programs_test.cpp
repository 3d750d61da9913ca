// The whole builder on real static programs: glibc C, glibc C++ with threads,
// musl, static PIE, Debian's busybox. Each image must rewrite >= 95% of its
// syscall sites, and the rewritten program must still behave the same when
// run natively through native_run (the LibOS replaced by a stub that makes
// the real system call), so a bad patch shows up as a crash or wrong output.
#include <gtest/gtest.h>

#include <shoal/builder/build_image.hpp>

#include "test_util.hpp"

namespace {

using namespace shoal;

const char* kThreadsCpp = R"(#include <iostream>
#include <mutex>
#include <thread>
#include <vector>
int main() {
  std::mutex m; long counter = 0; std::vector<std::thread> ts;
  for (int i = 0; i < 8; ++i) ts.emplace_back([&] { for (int k = 0; k < 10000; ++k) { std::lock_guard<std::mutex> g(m); ++counter; } });
  for (auto& t : ts) t.join();
  try { throw std::runtime_error("boom"); } catch (const std::exception& e) { std::cout << e.what() << " "; }
  std::cout << "counter " << counter << std::endl;
}
)";

struct Built {
  uint32_t sites = 0, rewritten = 0;
  std::string image;
};

Built build(const std::string& program, const std::string& name, bool rewrite = true) {
  Built out;
  auto app = builder::load_elf(program, builder::ElfRole::app);
  EXPECT_TRUE(app.ok()) << app.error().message;
  auto libos = builder::load_libos(SHOAL_TEST_DUMMY_LIBOS);
  EXPECT_TRUE(libos.ok()) << libos.error().message;
  if (!app.ok() || !libos.ok()) return out;
  builder::BuildInputs in{std::move(app.value()), std::move(libos.value()), std::nullopt, program, name, 0, rewrite};
  out.image = test::scratch_dir() + "/" + name + (rewrite ? "" : "-nr") + ".shoal";
  auto sum = builder::assemble_image(in, out.image);
  EXPECT_TRUE(sum.ok()) << sum.error().message;
  if (!sum.ok()) return out;
  out.sites = sum->syscall_sites;
  out.rewritten = sum->syscall_rewritten;
  return out;
}

void expect_same_behaviour(const std::string& program, const std::string& name, const std::string& args,
                           double min_ratio = 0.95) {
  ASSERT_FALSE(program.empty());
  Built b = build(program, name);
  ASSERT_GT(b.sites, 0u);
  double ratio = static_cast<double>(b.rewritten) / b.sites;
  ::testing::Test::RecordProperty("syscall_sites", static_cast<int>(b.sites));
  ::testing::Test::RecordProperty("syscall_rewritten", static_cast<int>(b.rewritten));
  EXPECT_GE(ratio, min_ratio) << name << ": rewritten " << b.rewritten << " of " << b.sites;
  auto native = test::run(program + " " + args + " 2>/dev/null");
  auto rewritten = test::run(std::string(SHOAL_TEST_NATIVE_RUN) + " " + b.image + " " + args + " 2>/dev/null");
  EXPECT_EQ(rewritten.status, native.status) << name;
  EXPECT_EQ(rewritten.out, native.out) << name;
  std::cout << name << ": syscall sites " << b.sites << ", rewritten " << b.rewritten << "\n";
}

TEST(RealPrograms, GlibcStaticC) {
  auto p = test::compile("rp_hello", ".c", test::kHelloC, SHOAL_TEST_CC, "-static -O2");
  expect_same_behaviour(p, "rp_hello", "a b c");
}

TEST(RealPrograms, GlibcStaticCxxThreads) {
  auto p = test::compile("rp_threads", ".cpp", kThreadsCpp, SHOAL_TEST_CXX, "-static -O2 -pthread");
  expect_same_behaviour(p, "rp_threads", "");
}

TEST(RealPrograms, GlibcStaticPie) {
  auto p = test::compile("rp_pie", ".c", test::kHelloC, SHOAL_TEST_CC, "-static-pie -fPIE -O2");
  expect_same_behaviour(p, "rp_pie", "x");
}

TEST(RealPrograms, MuslStatic) {
  if (access("/usr/bin/musl-gcc", X_OK) != 0) GTEST_SKIP() << "musl-gcc not installed (apt-get install musl-tools)";
  auto p = test::compile("rp_musl", ".c", test::kHelloC, "/usr/bin/musl-gcc", "-static -O2");
  expect_same_behaviour(p, "rp_musl", "1 2");
}

TEST(RealPrograms, Busybox) {
  if (access("/bin/busybox", X_OK) != 0) GTEST_SKIP() << "busybox-static not installed";
  Built b = build("/bin/busybox", "busybox");
  ASSERT_GT(b.sites, 0u);
  EXPECT_GE(static_cast<double>(b.rewritten) / b.sites, 0.95);
  std::cout << "busybox: syscall sites " << b.sites << ", rewritten " << b.rewritten << "\n";
  std::string run = std::string(SHOAL_TEST_NATIVE_RUN) + " " + b.image + " ";
  EXPECT_EQ(test::run(run + "echo hi there").out, "hi there\n");
  EXPECT_EQ(test::run(run + "sha256sum /bin/busybox").out, test::run("sha256sum /bin/busybox").out);
  EXPECT_EQ(test::run(run + "sh -c 'x=0; for i in 1 2 3 4; do x=$((x+i)); done; echo $x; exit 7'").out, "10\n");
  EXPECT_EQ(test::run(run + "sh -c 'exit 7'").status, 7);
  EXPECT_EQ(test::run("printf 'b\\na\\nc\\n' | " + run + "sort").out, "a\nb\nc\n");
}

TEST(RealPrograms, NoRewriteLeavesCodeAlone) {
  auto p = test::compile("rp_hello", ".c", test::kHelloC, SHOAL_TEST_CC, "-static -O2");
  Built b = build(p, "rp_hello_nr", false);
  EXPECT_GT(b.sites, 0u);
  EXPECT_EQ(b.rewritten, 0u);
}

}  // namespace

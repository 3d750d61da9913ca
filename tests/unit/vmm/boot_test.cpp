// Boots hand-made guests under the real shoal-vmm (needs /dev/kvm) and checks
// exit statuses, output and crash reports.
#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_image.hpp"

using namespace shoal;
using namespace shoal::vmm::test;
using shoal::abi::Hypercall;

namespace {

struct RunResult {
  int status = -1;
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::string s;
  FILE* f = fopen(path.c_str(), "r");
  if (!f) return s;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
  fclose(f);
  return s;
}

RunResult run_image(const std::string& image, const std::string& base, std::vector<std::string> opts,
                    std::vector<std::string> args) {
  std::vector<std::string> argv{SHOAL_VMM_PATH};
  argv.insert(argv.end(), opts.begin(), opts.end());
  argv.push_back(image);
  if (!args.empty()) {
    argv.push_back("--");
    argv.insert(argv.end(), args.begin(), args.end());
  }
  pid_t pid = fork();
  if (pid == 0) {
    int out = open((base + ".out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open((base + ".err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int in = open("/dev/null", O_RDONLY);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  RunResult r;
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r.out = slurp(base + ".out");
  r.err = slurp(base + ".err");
  unlink((base + ".out").c_str());
  unlink((base + ".err").c_str());
  return r;
}

std::string temp_base() {
  static int counter = 0;
  return "/tmp/shoal-vmm-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
}

RunResult run_guest(const TestGuest& g, std::vector<std::string> opts = {}, std::vector<std::string> args = {}) {
  std::string base = temp_base();
  std::string image = base + ".shoal";
  auto w = g.write(image);
  EXPECT_TRUE(w.ok()) << (w.ok() ? "" : w.error().message);
  auto r = run_image(image, base, std::move(opts), std::move(args));
  unlink(image.c_str());
  return r;
}

// Runs shoal-vmm on a file holding `bytes`.
RunResult run_bytes(const std::string& bytes, std::vector<std::string> opts = {}) {
  std::string base = temp_base();
  std::string image = base + ".shoal";
  FILE* f = fopen(image.c_str(), "w");
  fwrite(bytes.data(), 1, bytes.size(), f);
  fclose(f);
  auto r = run_image(image, base, std::move(opts), {});
  unlink(image.c_str());
  return r;
}

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE((haystack).find(needle), std::string::npos) << "missing '" << (needle) << "' in:\n" << (haystack)

TEST(Boot, ExitStatus) {
  TestGuest g;
  g.exit(42);
  auto r = run_guest(g);
  EXPECT_EQ(r.status, 42) << r.err;
  EXPECT_EQ(r.err, "");
}

TEST(Boot, ConsoleWrite) {
  TestGuest g;
  const char msg[] = "hello from ring 3\n";
  memcpy(g.data.data() + 0x200, msg, sizeof msg - 1);
  g.put(kData + 0x100, shoal::abi::HcConsoleWrite{1, 0, kData + 0x200, sizeof msg - 1, 0});
  g.hypercall(Hypercall::console_write, kData + 0x100);
  g.put(kData + 0x140, shoal::abi::HcConsoleWrite{2, 0, kData + 0x200, 5, 0});
  g.hypercall(Hypercall::console_write, kData + 0x140);
  g.exit(0);
  auto r = run_guest(g, {"--timing"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, msg);
  EXPECT_CONTAINS(r.err, "hello");
  EXPECT_CONTAINS(r.err, "shoal-vmm timing: setup_us=");
  EXPECT_CONTAINS(r.err, "maxrss_kb=");
}

TEST(Boot, BootInfoAndArgs) {
  // Reads BootInfo (rdi) fields in ring 3 and exits with argc * 10 + envc.
  TestGuest g;
  // mov 0x90(%rdi),%eax (argc); imul $10,%eax; add 0x94(%rdi),%eax (envc)
  g.emit({0x8b, 0x87}).emit32(offsetof(shoal::abi::BootInfo, argc));
  g.emit({0x6b, 0xc0, 0x0a});
  g.emit({0x03, 0x87}).emit32(offsetof(shoal::abi::BootInfo, envc));
  // mov %eax, kData (HcExit.status); hypercall exit
  g.emit({0x89, 0x04, 0x25}).emit32(static_cast<uint32_t>(kData));
  g.hypercall(Hypercall::exit, kData).emit({0xeb, 0xfe});
  // Two variables on top of the three defaults (HOME, PATH, LANG).
  auto r = run_guest(g, {"--env", "A=1", "--env", "B=2"}, {"x", "y"});
  EXPECT_EQ(r.status, 35) << r.err;
  r = run_guest(g, {"--env", "HOME", "--env", "PATH", "--env", "LANG"}, {"x"});
  EXPECT_EQ(r.status, 20) << r.err;
}

TEST(Boot, NullPointerWrite) {
  TestGuest g;
  g.symbols = {{kCode, 64, "crash_null_write"}};
  g.emit({0xc7, 0x04, 0x25, 0, 0, 0, 0, 1, 0, 0, 0});  // movl $1, 0x0
  auto r = run_guest(g);
  EXPECT_EQ(r.status, 139);
  EXPECT_CONTAINS(r.err, "page fault (SIGSEGV): write to address 0x0, not mapped (null pointer dereference)");
  EXPECT_CONTAINS(r.err, "crash_null_write+0");
}

TEST(Boot, InvalidOpcodeWithBacktrace) {
  TestGuest g;
  g.symbols = {{kCode, 0x20, "main"}, {kCode + 0x20, 0x10, "broken"}};
  g.set_rsp(0x4000000);                // 10 bytes
  g.emit({0xe8}).emit32(0x20 - 15);    // call broken (ends at 15)
  g.code.resize(0x20, 0x90);
  g.emit({0x0f, 0x0b});                // broken: ud2
  auto r = run_guest(g);
  EXPECT_EQ(r.status, 132);
  EXPECT_CONTAINS(r.err, "invalid opcode (SIGILL)");
  EXPECT_CONTAINS(r.err, "#0 0x200020 broken+0");
  EXPECT_CONTAINS(r.err, "#1 0x20000f main+15");
}

TEST(Boot, DivideError) {
  TestGuest g;
  g.emit({0x31, 0xc9, 0xf7, 0xf1});  // xor %ecx,%ecx; div %ecx
  auto r = run_guest(g);
  EXPECT_EQ(r.status, 136);
  EXPECT_CONTAINS(r.err, "divide error (SIGFPE)");
}

TEST(Boot, Breakpoint) {
  TestGuest g;
  g.emit({0xcc});
  auto r = run_guest(g);
  EXPECT_EQ(r.status, 133);
  EXPECT_CONTAINS(r.err, "breakpoint");
}

TEST(Boot, SoftwareInterruptIsReported) {
  // #GP on VT-x (the gate's DPL is 0); PVM reports #UD instead.
  TestGuest g;
  g.emit({0xcd, 0x80});  // int $0x80
  auto r = run_guest(g);
  EXPECT_TRUE(r.status == 139 || r.status == 132) << r.status;
  EXPECT_CONTAINS(r.err, "rip 0x0000000000200000");
}

TEST(Boot, StackOverflow) {
  TestGuest g;
  uint64_t stack_bottom = shoal::abi::kDefaultMemory - shoal::abi::kMainStackSize;
  g.set_rsp(stack_bottom + 16);
  for (int i = 0; i < 8; ++i) g.emit({0x50});  // push %rax
  auto r = run_guest(g);
  EXPECT_EQ(r.status, 139);
  EXPECT_CONTAINS(r.err, "stack overflow");
}

TEST(Boot, WriteToReadOnlyBootInfo) {
  TestGuest g;
  g.emit({0x48, 0x89, 0x07});  // mov %rax, (%rdi)
  auto r = run_guest(g);
  EXPECT_EQ(r.status, 139);
  EXPECT_CONTAINS(r.err, "write to address 0x100000, read-only memory");
}

TEST(Boot, ReadMonitorMemory) {
  TestGuest g;
  g.emit({0x48, 0x8b, 0x04, 0x25}).emit32(shoal::abi::kPageTableAddr);  // mov 0x10000, %rax
  auto r = run_guest(g);
  EXPECT_EQ(r.status, 139);
  EXPECT_CONTAINS(r.err, "monitor-owned memory");
}

TEST(Boot, SyscallBouncesThroughRing0) {
  // `syscall` at kCode enters the LSTAR stub, which saves the return rip in the
  // bounce slot and returns to the bounce target, here a routine that exits
  // with the low byte of the saved rip.
  TestGuest g;
  g.set_rsp(0x4000000);  // 10 bytes
  g.emit({0x0f, 0x05});  // syscall (returns to kCode + 12)
  g.code.resize(0x40, 0x90);
  g.bounce = kCode + 0x40;
  g.emit({0x48, 0x8b, 0x04, 0x25}).emit32(static_cast<uint32_t>(kBounceSlot));  // mov slot, %rax
  g.emit({0x89, 0x04, 0x25}).emit32(static_cast<uint32_t>(kData));              // mov %eax, HcExit.status
  g.hypercall(Hypercall::exit, kData).emit({0xeb, 0xfe});
  auto r = run_guest(g);
  EXPECT_EQ(r.status, 12) << r.err;
}

TEST(Boot, BadHypercallPointer) {
  TestGuest g;
  g.put(kData + 0x100, shoal::abi::HcConsoleWrite{1, 0, 0x7ffffff0000ull, 4096, 0});
  g.hypercall(Hypercall::console_write, kData + 0x100);
  g.exit(0);
  auto r = run_guest(g);
  EXPECT_EQ(r.status, 139);
  EXPECT_CONTAINS(r.err,
                  "guest passed an invalid argument to console_write: buffer 0x7ffffff0000 + 4096 outside guest "
                  "memory (512 MiB)");
}

TEST(Boot, UnknownPort) {
  TestGuest g;
  g.emit({0x66, 0xba, 0x34, 0x12, 0xef});  // mov $0x1234,%dx; out %eax,%dx
  auto r = run_guest(g);
  EXPECT_EQ(r.status, 139);
  EXPECT_CONTAINS(r.err, "I/O port 0x1234");
}

TEST(Boot, FaultPortFromRing3) {
  TestGuest g;
  g.emit({0x66, 0xba, 0xff, 0x04, 0xef});
  auto r = run_guest(g);
  EXPECT_EQ(r.status, 139);
  EXPECT_CONTAINS(r.err, "fault port");
}

TEST(Boot, Timeout) {
  TestGuest g;
  g.symbols = {{kCode, 16, "crash_spin"}};
  g.emit({0xeb, 0xfe});
  auto r = run_guest(g, {"--timeout", "0.3"});
  EXPECT_EQ(r.status, 124);
  EXPECT_CONTAINS(r.err, "timeout after 0.3 s");
  EXPECT_CONTAINS(r.err, "crash_spin");
}

TEST(Boot, TimeoutWhileStdoutIsBlocked) {
  // console_write of 1 MiB into a pipe nobody reads: --timeout still ends it.
  TestGuest g;
  g.put(kData + 0x100, shoal::abi::HcConsoleWrite{1, 0, 0x400000 + 0x100000, 1 << 20, 0});
  g.hypercall(Hypercall::console_write, kData + 0x100);
  g.exit(0);
  std::string image = temp_base() + ".shoal";
  ASSERT_TRUE(g.write(image).ok());
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 2);
    execl(SHOAL_VMM_PATH, SHOAL_VMM_PATH, "--timeout", "0.3", image.c_str(), nullptr);
    _exit(127);
  }
  close(fds[1]);
  int st = 0;
  waitpid(pid, &st, 0);
  close(fds[0]);
  unlink(image.c_str());
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 124);
}

TEST(Boot, BlockWithoutDeadlineIsDeadlock) {
  TestGuest g;
  g.put(kData + 0x100, shoal::abi::HcBlock{UINT64_MAX, 0});
  g.hypercall(Hypercall::block, kData + 0x100);
  auto r = run_guest(g);
  EXPECT_EQ(r.status, 134);
  EXPECT_CONTAINS(r.err, "deadlock");
}

TEST(Boot, BlockSleepsThenResumes) {
  TestGuest g;
  g.put(kData + 0x100, shoal::abi::HcBlock{20'000'000, 0});
  g.hypercall(Hypercall::block, kData + 0x100);
  g.exit(5);
  auto r = run_guest(g);
  EXPECT_EQ(r.status, 5) << r.err;
}

TEST(Boot, ReportPanic) {
  TestGuest g;
  const char msg[] = "kmalloc: heap corrupted";
  memcpy(g.data.data() + 0x400, msg, sizeof msg - 1);
  shoal::abi::HcReport rep{};
  rep.kind = static_cast<uint32_t>(shoal::abi::ReportKind::panic);
  rep.status = 134;
  rep.message = kData + 0x400;
  rep.message_len = sizeof msg - 1;
  g.put(kData + 0x100, rep);
  g.hypercall(Hypercall::report, kData + 0x100);
  auto r = run_guest(g);
  EXPECT_EQ(r.status, 134);
  EXPECT_CONTAINS(r.err, "LibOS panic: kmalloc: heap corrupted");
}

TEST(Boot, MemoryTooSmallForImage) {
  TestGuest g;
  g.exit(0);
  auto r = run_guest(g, {"--memory", "3M"});
  EXPECT_EQ(r.status, 1);
  EXPECT_CONTAINS(r.err, "--memory");
}

TEST(Boot, DefaultMemoryFromTheImage) {
  // Exits with BootInfo::memory_size >> 20 (from rdi).
  TestGuest g;
  g.default_memory = 48ull << 20;
  g.emit({0x48, 0x8b, 0x47}).emit({static_cast<uint8_t>(offsetof(shoal::abi::BootInfo, memory_size))});  // mov 16(%rdi),%rax
  g.emit({0x48, 0xc1, 0xe8, 20});                                       // shr $20, %rax
  g.emit({0x89, 0x04, 0x25}).emit32(static_cast<uint32_t>(kData));      // mov %eax, HcExit.status
  g.hypercall(Hypercall::exit, kData).emit({0xeb, 0xfe});
  EXPECT_EQ(run_guest(g).status, 48);
  EXPECT_EQ(run_guest(g, {"--memory", "64M"}).status, 64);
}

TEST(Boot, RefusesBadImages) {
  std::string random(8192, '\0');
  for (size_t i = 0; i < random.size(); ++i) random[i] = static_cast<char>((i * 2654435761u) >> 13);
  for (const std::string& bytes : {std::string(), std::string("SHOALIMG"), random}) {
    auto r = run_bytes(bytes);
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_CONTAINS(r.err, "shoal-vmm: ");
    EXPECT_CONTAINS(r.err, "image");
  }
  auto missing = run_image("/tmp/does-not-exist.shoal", temp_base(), {}, {});
  EXPECT_EQ(missing.status, 1);
  EXPECT_CONTAINS(missing.err, "No such file");
}

TEST(Boot, RefusesBadOptions) {
  TestGuest g;
  g.exit(0);
  EXPECT_EQ(run_guest(g, {"--memory", "100G"}).status, 1);
  EXPECT_EQ(run_guest(g, {"--memory", "33M"}).status, 1);  // not a 2 MiB multiple
  EXPECT_EQ(run_guest(g, {"--memory", "banana"}).status, 2);
}

TEST(Boot, ArgumentsTooLarge) {
  TestGuest g;
  g.exit(0);
  std::vector<std::string> opts;
  for (int i = 0; i < 12; ++i) {  // 12 x 100 KB > the 1 MiB argument area (one string may not exceed 128 KiB)
    opts.push_back("--env");
    opts.push_back("BIG" + std::to_string(i) + "=" + std::string(100000, 'x'));
  }
  auto r = run_guest(g, opts);
  EXPECT_EQ(r.status, 1);
  EXPECT_CONTAINS(r.err, "argument area");
}

TEST(Boot, ClosedStdoutIsNotFatal) {
  // console_write gets -EPIPE; the guest then exits normally.
  TestGuest g;
  memcpy(g.data.data() + 0x200, "x", 1);
  g.put(kData + 0x100, shoal::abi::HcConsoleWrite{1, 0, kData + 0x200, 1, 0});
  g.hypercall(Hypercall::console_write, kData + 0x100);
  // mov kData+0x118 (result), %eax; neg %eax; mov %eax, HcExit.status
  g.emit({0x8b, 0x04, 0x25}).emit32(static_cast<uint32_t>(kData + 0x118));
  g.emit({0xf7, 0xd8});
  g.emit({0x89, 0x04, 0x25}).emit32(static_cast<uint32_t>(kData));
  g.hypercall(Hypercall::exit, kData).emit({0xeb, 0xfe});
  std::string image = temp_base() + ".shoal";
  ASSERT_TRUE(g.write(image).ok());
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  close(fds[0]);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    execl(SHOAL_VMM_PATH, SHOAL_VMM_PATH, image.c_str(), nullptr);
    _exit(127);
  }
  close(fds[1]);
  int st = 0;
  waitpid(pid, &st, 0);
  unlink(image.c_str());
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), EPIPE);
}

}  // namespace

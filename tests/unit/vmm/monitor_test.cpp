// The run loop's exit handler and fault descriptions, with a fake vCPU.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>
#include <unistd.h>

#include <deque>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <shoal/abi/hypercall.h>
#include <shoal/abi/layout.h>

#include "descriptors.hpp"
#include "devices/console/console_hypercalls.hpp"
#include "fault.hpp"
#include "preempt.hpp"
#include "monitor.hpp"
#include "testing/fake_vcpu.hpp"
#include "timeout.hpp"

using namespace shoal;
using namespace shoal::vmm;
namespace sabi = shoal::abi;

namespace {

// Stops the --timeout interval timer and restores SIGALRM's default action.
void stop_alarm() {
  itimerval none{};
  setitimer(ITIMER_REAL, &none, nullptr);
  signal(SIGALRM, SIG_DFL);
}

VcpuExit out(uint16_t port, uint32_t value, uint8_t size = 4) {
  VcpuExit e;
  e.kind = VcpuExit::Kind::io;
  e.port = port;
  e.size = size;
  e.is_out = true;
  e.value = value;
  return e;
}

class MonitorTest : public ::testing::Test {
 protected:
  static constexpr uint64_t kMem = 32ull << 20;
  std::vector<uint8_t> buf = std::vector<uint8_t>(kMem, 0);
  GuestMemory mem = GuestMemory::wrap(buf.data(), kMem);
  FakeVcpu vcpu;
  FILE* report = tmpfile();
  bool timed_out = false;

  Monitor make() {
    HypercallEnv env;
    env.mem = &mem;
    env.image_end = 0x400000;
    env.stdout_fd = env.stderr_fd = fileno(report);
    env.sleep = [](uint64_t) { return true; };
    env.timed_out = [this] { return timed_out; };
    env.realtime_ns = [] { return uint64_t{0}; };
    // As main.cpp does for the console module.
    EXPECT_TRUE(install_hypercalls(env, console_hypercalls()).ok());
    Symbolizer sym;
    sym.code = {{0x200000, 0x201000}};
    sym.stack_end = kMem;
    MonitorConfig config{"prog", 2.0, fileno(report)};
    return Monitor(mem, vcpu, sym, std::move(env), config);
  }
  std::string report_text() {
    fflush(report);
    std::string s;
    rewind(report);
    char tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, report)) > 0) s.append(tmp, n);
    return s;
  }
  void TearDown() override { fclose(report); }
};

TEST_F(MonitorTest, ExitHypercallEndsTheRun) {
  ASSERT_TRUE(mem.write(0x300000, sabi::HcExit{7, 0}).ok());
  vcpu.exits = {out(sabi::kHypercallPortBase + 4, 0x300000)};
  auto m = make();
  EXPECT_EQ(m.run(), 7);
  EXPECT_EQ(report_text(), "");
}

TEST_F(MonitorTest, ResumesAfterConsoleWriteAndInterrupts) {
  memcpy(buf.data() + 0x300100, "hi", 2);
  ASSERT_TRUE(mem.write(0x300000, sabi::HcConsoleWrite{1, 0, 0x300100, 2, 0}).ok());
  ASSERT_TRUE(mem.write(0x300040, sabi::HcExit{0, 0}).ok());
  VcpuExit intr;
  intr.kind = VcpuExit::Kind::interrupted;
  vcpu.exits = {out(sabi::kHypercallPortBase + 1, 0x300000), intr, out(sabi::kHypercallPortBase + 4, 0x300040)};
  auto m = make();
  EXPECT_EQ(m.run(), 0);
  EXPECT_EQ(vcpu.runs, 3);
  EXPECT_EQ(report_text(), "hi");
}

// --verbose's exit summary counts each exit by its cause (issue 11: where a
// guest's time goes).
TEST_F(MonitorTest, ExitSummaryCountsExitsByCause) {
  memcpy(buf.data() + 0x300100, "hi", 2);
  ASSERT_TRUE(mem.write(0x300000, sabi::HcConsoleWrite{1, 0, 0x300100, 2, 0}).ok());
  ASSERT_TRUE(mem.write(0x300040, sabi::HcExit{0, 0}).ok());
  VcpuExit intr;
  intr.kind = VcpuExit::Kind::interrupted;
  vcpu.exits = {out(sabi::kHypercallPortBase + 1, 0x300000), out(sabi::kHypercallPortBase + 1, 0x300000), intr,
                out(sabi::kHypercallPortBase + 4, 0x300040)};
  auto m = make();
  EXPECT_EQ(m.run(), 0);
  EXPECT_EQ(m.exit_summary(),
            "exits: 4 (console_write 2, exit 1, slice 0, fault 0, other 1); blocked 0 ms");
}

TEST_F(MonitorTest, TimeoutIsCheckedBeforeEachRun) {
  timed_out = true;
  auto m = make();
  EXPECT_EQ(m.run(), 124);
  EXPECT_EQ(vcpu.runs, 0);
  EXPECT_NE(report_text().find("timeout after 2.0 s"), std::string::npos);
}

TEST_F(MonitorTest, BadHypercallPointer) {
  ASSERT_TRUE(mem.write(0x300000, sabi::HcConsoleWrite{1, 0, 0x7ffffff0000ull, 4096, 0}).ok());
  auto m = make();
  EXPECT_EQ(m.handle_exit(out(sabi::kHypercallPortBase + 1, 0x300000)), 139);
  EXPECT_NE(report_text().find("guest passed an invalid argument to console_write: buffer 0x7ffffff0000 + 4096 "
                               "outside guest memory (32 MiB)"),
            std::string::npos);
}

TEST_F(MonitorTest, UnknownPortsAndWidths) {
  auto m = make();
  EXPECT_EQ(m.handle_exit(out(0x80, 0)), 139);
  EXPECT_EQ(m.handle_exit(out(sabi::kHypercallPortBase, 0)), 139);      // number 0
  EXPECT_EQ(m.handle_exit(out(sabi::kHypercallPortBase + 1, 0, 1)), 139);  // outb
  VcpuExit in = out(sabi::kHypercallPortBase + 1, 0);
  in.is_out = false;
  EXPECT_EQ(m.handle_exit(in), 139);
  EXPECT_NE(report_text().find("I/O port 0x80"), std::string::npos);
}

TEST_F(MonitorTest, AbnormalExits) {
  auto m = make();
  for (auto kind : {VcpuExit::Kind::shutdown, VcpuExit::Kind::internal_error, VcpuExit::Kind::mmio,
                    VcpuExit::Kind::hlt, VcpuExit::Kind::other}) {
    VcpuExit e;
    e.kind = kind;
    EXPECT_EQ(m.handle_exit(e), 139);
  }
  VcpuExit fail;
  fail.kind = VcpuExit::Kind::fail_entry;
  EXPECT_EQ(m.handle_exit(fail), 1);
  auto text = report_text();
  EXPECT_NE(text.find("triple fault"), std::string::npos);
  EXPECT_NE(text.find("KVM internal error"), std::string::npos);
}

TEST_F(MonitorTest, FaultPortReadsTheRing0Frame) {
  // A ring-3 write to address 0 (#PF, error 6) as the stubs leave it.
  FaultFrame f{0xdd, 14, 6, 0x200010, sabi::kUserCs, 0x3002, 0x7f0000, sabi::kUserDs};
  uint64_t rsp0 = sabi::kRing0StackTop - sizeof f;
  ASSERT_TRUE(mem.write(rsp0, f).ok());
  vcpu.regs.rsp = rsp0;
  vcpu.regs.rax = 0xaa;
  vcpu.regs.rdx = sabi::kFaultPort;
  vcpu.sregs.cs.selector = sabi::kKernelCs;
  vcpu.sregs.cr2 = 0;
  auto m = make();
  EXPECT_EQ(m.handle_exit(out(sabi::kFaultPort, 14)), 139);
  auto text = report_text();
  EXPECT_NE(text.find("page fault (SIGSEGV): write to address 0x0, not mapped (null pointer dereference)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("rip 0x0000000000200010"), std::string::npos) << text;
  EXPECT_NE(text.find("rdx     0x00000000000000dd"), std::string::npos) << text;
  EXPECT_NE(text.find("rsp     0x00000000007f0000"), std::string::npos) << text;
  EXPECT_NE(text.find("#0 0x200010"), std::string::npos) << text;
}

// Issue 11.2: once the LibOS registered its fault upcall, a fault of program
// code resumes the vCPU in ring 3 at the upcall with the record written, and
// the crash report comes only when the LibOS declines the fault.
TEST_F(MonitorTest, FaultGoesToTheRegisteredUpcall) {
  constexpr uint64_t kEntry = 0x200040, kRecord = 0x300200, kArgs = 0x300000;
  sabi::HcUpcall reg{kEntry, kRecord, 1};
  ASSERT_TRUE(mem.write(kArgs, reg).ok());
  auto m = make();
  EXPECT_EQ(m.handle_exit(out(sabi::kHypercallPortBase + static_cast<uint16_t>(sabi::Hypercall::upcall), kArgs)), std::nullopt);
  EXPECT_EQ(mem.read<sabi::HcUpcall>(kArgs).value().result, 0);

  // The program (rip 0x401234, outside the LibOS) reads address 0x10.
  FaultFrame f{0xdd, 14, 4, 0x401234, sabi::kUserCs, 0x40346, 0x7f0000, sabi::kUserDs};  // TF and AC set
  uint64_t rsp0 = sabi::kRing0StackTop - sizeof f;
  ASSERT_TRUE(mem.write(rsp0, f).ok());
  vcpu.regs.rsp = rsp0;
  vcpu.regs.rax = 0xaa;
  vcpu.regs.rbx = 0xbb;
  vcpu.sregs.cs.selector = sabi::kKernelCs;
  vcpu.sregs.cs.dpl = 0;
  vcpu.sregs.cr2 = 0x10;
  EXPECT_EQ(m.handle_exit(out(sabi::kFaultPort, 14)), std::nullopt);
  // The stub's tail irets through the rewritten frame: ring 3, at the entry.
  auto back = mem.read<FaultFrame>(rsp0).value();
  EXPECT_EQ(back.rip, kEntry);
  EXPECT_EQ(back.cs, sabi::kUserCs);
  EXPECT_EQ(back.ss, sabi::kUserDs);
  EXPECT_EQ(back.rsp, 0x7f0000u);
  EXPECT_EQ(back.rflags & 0x40100, 0u);  // no TF, no AC into the LibOS
  auto rec = mem.read<sabi::FaultUpcall>(kRecord).value();
  EXPECT_EQ(rec.vector, 14u);
  EXPECT_EQ(rec.error, 4u);
  EXPECT_EQ(rec.cr2, 0x10u);
  EXPECT_EQ(rec.count, 1u);
  EXPECT_EQ(rec.regs.rip, 0x401234u);
  EXPECT_EQ(rec.regs.rsp, 0x7f0000u);
  EXPECT_EQ(rec.regs.rflags, 0x40346u);
  EXPECT_EQ(rec.regs.rdx, 0xddu);
  EXPECT_EQ(rec.regs.rax, 0xaau);
  EXPECT_EQ(rec.regs.rbx, 0xbbu);
  EXPECT_EQ(report_text(), "");

  // The guest scribbles over the record, then declines: the report is the
  // monitor's own record of the fault.
  sabi::FaultUpcall junk{};
  junk.regs.rip = 0x666;
  ASSERT_TRUE(mem.write(kRecord, junk).ok());
  sabi::HcReport rep{};
  rep.kind = static_cast<uint32_t>(sabi::ReportKind::fault);
  rep.status = 1;
  ASSERT_TRUE(mem.write(kArgs, rep).ok());
  EXPECT_EQ(m.handle_exit(out(sabi::kHypercallPortBase + 5, kArgs)), 139);
  auto text = report_text();
  EXPECT_NE(text.find("page fault (SIGSEGV): read from address 0x10, not mapped"), std::string::npos) << text;
  EXPECT_NE(text.find("rip 0x0000000000401234"), std::string::npos) << text;
}

TEST_F(MonitorTest, FaultsTheUpcallDoesNotTake) {
  constexpr uint64_t kArgs = 0x300000;
  sabi::HcUpcall reg{0x200040, 0x300200, 1};
  ASSERT_TRUE(mem.write(kArgs, reg).ok());
  auto m = make();
  EXPECT_EQ(m.handle_exit(out(sabi::kHypercallPortBase + static_cast<uint16_t>(sabi::Hypercall::upcall), kArgs)), std::nullopt);
  uint64_t rsp0 = sabi::kRing0StackTop - sizeof(FaultFrame);
  vcpu.regs.rsp = rsp0;
  vcpu.sregs.cs.selector = sabi::kKernelCs;
  // A fault inside the LibOS is a LibOS bug: reported, not handed back.
  FaultFrame libos{0, 6, 0, 0x200100, sabi::kUserCs, 0x3002, 0x7f0000, sabi::kUserDs};
  ASSERT_TRUE(mem.write(rsp0, libos).ok());
  EXPECT_EQ(m.handle_exit(out(sabi::kFaultPort, 6)), 132);
  // So is a fault of ring 0 and a double fault.
  FaultFrame ring0{0, 13, 0, 0x401000, sabi::kKernelCs, 0x2, 0x7000, sabi::kKernelDs};
  ASSERT_TRUE(mem.write(rsp0, ring0).ok());
  EXPECT_EQ(m.handle_exit(out(sabi::kFaultPort, 13)), 139);
  FaultFrame df{0, 8, 0, 0x401000, sabi::kUserCs, 0x3002, 0x7f0000, sabi::kUserDs};
  ASSERT_TRUE(mem.write(rsp0, df).ok());
  EXPECT_EQ(m.handle_exit(out(sabi::kFaultPort, 8)), 139);
  EXPECT_EQ(mem.read<FaultFrame>(rsp0).value().rip, 0x401000u);  // never redirected
}

TEST_F(MonitorTest, UpcallRegistrationIsValidated) {
  constexpr uint64_t kArgs = 0x300000;
  auto m = make();
  // Entry outside the LibOS, a misaligned record, a record past memory, a
  // record over the page tables (the monitor must not write there for the guest).
  const sabi::HcUpcall bad[] = {{0x401000, 0x300200, 0},
                                {0x200040, 0x300201, 0},
                                {0x200040, kMem - 8, 0},
                                {0x200040, sabi::kPageTableAddr, 0},
                                {0x200040, sabi::kLibosLimit - 8, 0}};
  for (const auto& b : bad) {
    ASSERT_TRUE(mem.write(kArgs, b).ok());
    EXPECT_EQ(m.handle_exit(out(sabi::kHypercallPortBase + static_cast<uint16_t>(sabi::Hypercall::upcall), kArgs)), std::nullopt);
    EXPECT_EQ(mem.read<sabi::HcUpcall>(kArgs).value().result, -EINVAL);
  }
  // Nothing registered: a fault of program code is reported as before.
  FaultFrame f{0, 0, 0, 0x401000, sabi::kUserCs, 0x3002, 0x7f0000, sabi::kUserDs};
  uint64_t rsp0 = sabi::kRing0StackTop - sizeof f;
  ASSERT_TRUE(mem.write(rsp0, f).ok());
  vcpu.regs.rsp = rsp0;
  vcpu.sregs.cs.selector = sabi::kKernelCs;
  EXPECT_EQ(m.handle_exit(out(sabi::kFaultPort, 0)), 136);
  // A "fault" report with no fault handed over is the guest breaking the contract.
  sabi::HcReport rep{};
  rep.kind = static_cast<uint32_t>(sabi::ReportKind::fault);
  ASSERT_TRUE(mem.write(kArgs, rep).ok());
  EXPECT_EQ(m.handle_exit(out(sabi::kHypercallPortBase + 5, kArgs)), 139);
  EXPECT_NE(report_text().find("none was handed to it"), std::string::npos);
}

// Issue 11.7: at a slice's end (SIGVTALRM), program code is sent to the
// upcall with kPreemptVector; LibOS code only gets `pending`; a single ready
// thread stops the timer.
TEST_F(MonitorTest, SliceEndEntersTheUpcallOnlyInProgramCode) {
  constexpr uint64_t kEntry = 0x200040, kRecord = 0x300200, kArea = 0x300400, kArgs = 0x300000;
  ASSERT_TRUE(install_slice_handler(nullptr).ok());
  auto m = make();
  sabi::HcPreempt early{kArea, 10000000, 1};
  ASSERT_TRUE(mem.write(kArgs, early).ok());
  EXPECT_EQ(m.handle_exit(out(sabi::kHypercallPortBase + static_cast<uint16_t>(sabi::Hypercall::preempt), kArgs)), std::nullopt);
  EXPECT_EQ(mem.read<sabi::HcPreempt>(kArgs).value().result, -EINVAL);  // no upcall yet
  sabi::HcUpcall reg{kEntry, kRecord, 1};
  ASSERT_TRUE(mem.write(kArgs, reg).ok());
  EXPECT_EQ(m.handle_exit(out(sabi::kHypercallPortBase + static_cast<uint16_t>(sabi::Hypercall::upcall), kArgs)), std::nullopt);
  sabi::HcPreempt bad_slice{kArea, 10, 1};
  ASSERT_TRUE(mem.write(kArgs, bad_slice).ok());
  EXPECT_EQ(m.handle_exit(out(sabi::kHypercallPortBase + static_cast<uint16_t>(sabi::Hypercall::preempt), kArgs)), std::nullopt);
  EXPECT_EQ(mem.read<sabi::HcPreempt>(kArgs).value().result, -EINVAL);

  sabi::PreemptArea area{2, 0, 0, 0, 0};  // two threads ready
  ASSERT_TRUE(mem.write(kArea, area).ok());
  sabi::HcPreempt ok{kArea, 10000000, 1};
  ASSERT_TRUE(mem.write(kArgs, ok).ok());
  EXPECT_EQ(m.handle_exit(out(sabi::kHypercallPortBase + static_cast<uint16_t>(sabi::Hypercall::preempt), kArgs)), std::nullopt);
  EXPECT_EQ(mem.read<sabi::HcPreempt>(kArgs).value().result, 0);
  EXPECT_EQ(mem.read<sabi::PreemptArea>(kArea).value().armed, 1u);

  VcpuExit intr;
  intr.kind = VcpuExit::Kind::interrupted;
  // In the LibOS: only `pending`.
  vcpu.regs.rip = 0x200100;
  raise(SIGVTALRM);
  EXPECT_EQ(m.handle_exit(intr), std::nullopt);
  EXPECT_EQ(vcpu.regs.rip, 0x200100u);
  EXPECT_EQ(mem.read<sabi::PreemptArea>(kArea).value().pending, 1u);
  // In program code: the upcall, with the program's registers recorded.
  vcpu.regs.rip = 0x401000;
  vcpu.regs.rsp = 0x7f0000;
  vcpu.regs.rax = 0x1234;
  raise(SIGVTALRM);
  EXPECT_EQ(m.handle_exit(intr), std::nullopt);
  EXPECT_EQ(vcpu.regs.rip, kEntry);
  auto rec = mem.read<sabi::FaultUpcall>(kRecord).value();
  EXPECT_EQ(rec.vector, sabi::kPreemptVector);
  EXPECT_EQ(rec.regs.rip, 0x401000u);
  EXPECT_EQ(rec.regs.rsp, 0x7f0000u);
  EXPECT_EQ(rec.regs.rax, 0x1234u);
  EXPECT_EQ(mem.read<sabi::PreemptArea>(kArea).value().preemptions, 1u);
  // An interruption that is not a slice's end (the --timeout alarm) changes nothing.
  vcpu.regs.rip = 0x401000;
  EXPECT_EQ(m.handle_exit(intr), std::nullopt);
  EXPECT_EQ(vcpu.regs.rip, 0x401000u);
  // One thread ready: the slice ends without an upcall, and the timer stops.
  area = mem.read<sabi::PreemptArea>(kArea).value();
  area.ready = 1;
  ASSERT_TRUE(mem.write(kArea, area).ok());
  raise(SIGVTALRM);
  EXPECT_EQ(m.handle_exit(intr), std::nullopt);
  EXPECT_EQ(vcpu.regs.rip, 0x401000u);
  EXPECT_EQ(mem.read<sabi::PreemptArea>(kArea).value().armed, 0u);
  set_slice_timer(0);
  disarm_slice_handler();
}

TEST_F(MonitorTest, FaultPortFromRing3IsRefused) {
  vcpu.sregs.cs.selector = sabi::kUserCs;
  auto m = make();
  EXPECT_EQ(m.handle_exit(out(sabi::kFaultPort, 0)), 139);
  EXPECT_NE(report_text().find("fault port"), std::string::npos);
}

TEST_F(MonitorTest, FaultFrameOutsideMemory) {
  vcpu.sregs.cs.selector = sabi::kKernelCs;
  vcpu.regs.rsp = UINT64_MAX - 8;
  auto m = make();
  EXPECT_EQ(m.handle_exit(out(sabi::kFaultPort, 0)), 139);
  EXPECT_NE(report_text().find("ring-0 stack is unreadable"), std::string::npos);
}

TEST_F(MonitorTest, ReportHypercallKinds) {
  const char msg[] = "abort() called";
  memcpy(buf.data() + 0x300100, msg, sizeof msg - 1);
  sabi::HcReport rep{};
  rep.kind = static_cast<uint32_t>(sabi::ReportKind::signal);
  rep.status = 134;
  rep.message = 0x300100;
  rep.message_len = sizeof msg - 1;
  ASSERT_TRUE(mem.write(0x300000, rep).ok());
  auto m = make();
  EXPECT_EQ(m.handle_exit(out(sabi::kHypercallPortBase + 5, 0x300000)), 134);
  auto text = report_text();
  EXPECT_NE(text.find("SIGABRT raised by the program (abort)"), std::string::npos) << text;
  EXPECT_NE(text.find("LibOS: abort() called"), std::string::npos) << text;
}

// Regression: the report's first and last lines carried the image header's
// name raw, so an image could put escape sequences or newlines on the terminal.
TEST_F(MonitorTest, CrashReportEscapesTheImageName) {
  CrashReport r{"evil\x1b[2J\nname", "what", 139};
  std::string text = format_crash_report(r, mem, Symbolizer{});
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
  EXPECT_NE(text.find("shoal-vmm: evil\\x1b[2J\\x0aname: what\n"), std::string::npos) << text;
  EXPECT_NE(text.find("shoal-vmm: evil\\x1b[2J\\x0aname: exit status 139\n"), std::string::npos) << text;
}

// Regression: the SIGALRM backstop keeps firing after the run, and its handler
// called request_immediate_exit() on a vCPU that main() had already destroyed.
TEST(Timeout, DisarmKeepsTheHandlerAwayFromTheVcpu) {
  FakeVcpu vcpu;
  ASSERT_TRUE(arm_timeout(1000.0, &vcpu).ok());
  raise(SIGALRM);
  EXPECT_EQ(vcpu.immediate_exits, 1);
  EXPECT_TRUE(timeout_expired());
  disarm_timeout();
  raise(SIGALRM);
  EXPECT_EQ(vcpu.immediate_exits, 1);
  stop_alarm();
}

// Regression: after --timeout expired, a crash report written to a full pipe
// nobody reads blocked the monitor forever (write_fully retried every EINTR).
TEST_F(MonitorTest, ReportToAFullPipeGivesUpAfterTimeout) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  fcntl(fds[1], F_SETFL, O_NONBLOCK);
  char junk[4096] = {};
  while (write(fds[1], junk, sizeof junk) > 0) {
  }
  fcntl(fds[1], F_SETFL, 0);
  HypercallEnv env;
  env.mem = &mem;
  env.timed_out = [] { return true; };
  Monitor m(mem, vcpu, Symbolizer{}, std::move(env), MonitorConfig{"prog", 1.0, fds[1]});
  ASSERT_TRUE(arm_timeout(0.02, nullptr).ok());
  EXPECT_EQ(m.run(), 124);
  stop_alarm();
  close(fds[0]);
  close(fds[1]);
}

TEST(DescribeFault, StatusesFollowSignals) {
  EXPECT_EQ(describe_fault({0}).status, 136);
  EXPECT_EQ(describe_fault({3}).status, 133);
  EXPECT_EQ(describe_fault({6}).status, 132);
  EXPECT_EQ(describe_fault({13}).status, 139);
  EXPECT_EQ(describe_fault({17}).status, 135);
  EXPECT_EQ(describe_fault({19}).status, 136);
  EXPECT_EQ(describe_fault({6}).what, "invalid opcode (SIGILL)");
  EXPECT_EQ(describe_fault({0}).what, "divide error (SIGFPE)");
}

TEST(DescribeFault, PageFaults) {
  constexpr uint64_t kMem = 128ull << 20;
  uint64_t guard = kMem - sabi::kMainStackSize - 8;
  EXPECT_EQ(describe_fault({14, 6, 0, kMem}).what,
            "page fault (SIGSEGV): write to address 0x0, not mapped (null pointer dereference)");
  EXPECT_EQ(describe_fault({14, 4, 0x18, kMem}).what,
            "page fault (SIGSEGV): read from address 0x18, not mapped (null pointer dereference)");
  EXPECT_EQ(describe_fault({14, 6, guard, kMem}).what.substr(0, 46), "stack overflow: page fault in the stack guard ");
  EXPECT_NE(describe_fault({14, 7, 0x401000, kMem}).what.find("read-only memory"), std::string::npos);
  EXPECT_NE(describe_fault({14, 0x15, 0x600000, kMem}).what.find("instruction fetch from address 0x600000, not executable"),
            std::string::npos);
  EXPECT_NE(describe_fault({14, 4, kMem + 5, kMem}).what.find("outside guest memory"), std::string::npos);
  EXPECT_NE(describe_fault({14, 5, 0x10000, kMem}).what.find("monitor-owned"), std::string::npos);
}

TEST(DescribeFault, RefusedPortAccess) {
  FaultFacts f{13, 0, 0, 128 << 20};
  f.has_insn = true;
  f.insn[0] = 0xef;  // out %eax, %dx
  f.rdx = 0x1234;
  EXPECT_NE(describe_fault(f).what.find("`out` to I/O port 0x1234, which is not a hypercall port"), std::string::npos);
  f.rdx = sabi::kFaultPort;
  EXPECT_NE(describe_fault(f).what.find("fault port"), std::string::npos);
  f.insn[0] = 0x66;
  f.insn[1] = 0xe4;  // in $0x60, %al (with a prefix)
  f.insn[2] = 0x60;
  EXPECT_NE(describe_fault(f).what.find("`in` from I/O port 0x60"), std::string::npos);
}

}  // namespace

namespace {

// The `ready` hypercall: a guest at its ready point with --snapshot-out.
class ReadyTest : public MonitorTest {
 protected:
  static constexpr uint64_t kArgs = 0x300000;
  VcpuExit interrupted() {
    VcpuExit e;
    e.kind = VcpuExit::Kind::interrupted;
    return e;
  }
  sabi::HcReady ready_args() { return mem.read<sabi::HcReady>(kArgs).value(); }
};

TEST_F(ReadyTest, WithoutSnapshotOutTheGuestIsToldFailed) {
  auto m = make();
  vcpu.exits = {out(sabi::kHypercallPortBase + 10, kArgs), out(sabi::kHypercallPortBase + 4, 0x300040)};
  EXPECT_EQ(m.run(), 0);
  EXPECT_EQ(ready_args().result, sabi::kReadyFailed);
  EXPECT_EQ(vcpu.immediate_exits, 0);
}

TEST_F(ReadyTest, SavesAfterCompletingTheExitWithResumedInTheSavedCopy) {
  HypercallEnv env = make().env();
  env.snapshot_wanted = true;
  uint32_t result_at_save = 0;
  int runs_at_save = 0;
  MonitorConfig config{"prog", 0, fileno(report)};
  config.exit_after_save = false;
  config.save_snapshot = [&](const HypercallEnv&, uint64_t args, uint64_t) -> Result<std::string> {
    EXPECT_EQ(args, kArgs);
    result_at_save = ready_args().result;
    runs_at_save = vcpu.runs;
    return std::string();
  };
  Monitor saving(mem, vcpu, Symbolizer{}, std::move(env), config);
  // ready; the completing KVM_RUN (interrupted); a second ready; exit.
  vcpu.exits = {out(sabi::kHypercallPortBase + 10, kArgs), interrupted(), out(sabi::kHypercallPortBase + 10, kArgs),
                out(sabi::kHypercallPortBase + 4, 0x300040)};
  EXPECT_EQ(saving.run(), 0);
  EXPECT_EQ(vcpu.immediate_exits, 1);
  EXPECT_EQ(runs_at_save, 2);  // the save came after the exit was completed
  EXPECT_EQ(result_at_save, sabi::kReadyResumed);
  EXPECT_TRUE(saving.ready_reached());
  // A second `ready` saves nothing: the guest is told failed.
  EXPECT_EQ(ready_args().result, sabi::kReadyFailed);
}

TEST_F(ReadyTest, SnapshotThenExitEndsWithZeroAndAFailedSaveWithOne) {
  for (bool ok : {true, false}) {
    HypercallEnv env = make().env();
    env.snapshot_wanted = true;
    MonitorConfig config{"prog", 0, fileno(report)};
    config.save_snapshot = [&](const HypercallEnv&, uint64_t, uint64_t) -> Result<std::string> {
      if (!ok) return make_error("disk full");
      return std::string();
    };
    Monitor m(mem, vcpu, Symbolizer{}, std::move(env), config);
    vcpu.exits = {out(sabi::kHypercallPortBase + 10, kArgs), interrupted()};
    EXPECT_EQ(m.run(), ok ? 0 : 1);
    EXPECT_EQ(ready_args().result, ok ? sabi::kReadySaved : sabi::kReadyFailed);
  }
  EXPECT_NE(report_text().find("snapshot not saved: disk full"), std::string::npos);
}

}  // namespace

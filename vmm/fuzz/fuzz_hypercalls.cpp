// libFuzzer target: the monitor's VM-exit handler (Monitor::handle_exit) fed
// port I/O exits over a fuzzer-controlled guest memory image. This is the
// path every hypercall takes in shoal-vmm: handle_io -> dispatch_hypercall ->
// handler -> handle_action -> finish -> format_crash_report (backtrace scan
// over guest memory, symbols from a fuzzer-supplied symbols section). Only
// KVM is faked; the console goes to /dev/null and `block` never sleeps.
//
// Input layout (little-endian; missing bytes read as zero):
//   u32 memory_size       mod kMaxMemory + 1; guest memory is [0, memory_size)
//   u32 image_end         discard's floor
//   u8  flags             bit 0: sleep is cut short, bit 1: --timeout expired,
//                         bit 2: a channel exists (block may wait with no deadline)
//   u16 symbols_len, then that many bytes: a symbols section (parse_symbols)
//   u8  code_ranges (mod 5), each u32 start, u32 length: executable sections
//   u32 rip, u32 rsp, u32 rdx, u16 cs selector, u32 cr2: the fake vCPU's state
//   u8  patches (mod 9), each u32 addr, u16 len, bytes: written into memory
//   then exits until the input ends (at most kMaxExits), each
//     u16 port, u8 size, u8 flags (bit 0 out, bits 1-3 exit kind), u32 value
#include <fcntl.h>
#include <sanitizer/asan_interface.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <shoal/image/symbols.hpp>

#include "devices/console/console_hypercalls.hpp"
#include "process_hypercalls.hpp"
#include "fuzz_input.hpp"
#include "monitor.hpp"
#include "testing/fake_vcpu.hpp"

namespace {

using namespace shoal;
using namespace shoal::vmm;

// Large enough for the LibOS floor (0x200000) that hypercall argument
// structs must lie above, plus a 1 MiB console buffer and a stack to scan.
constexpr uint64_t kMaxMemory = 0x380000;
// Poisoned bytes on both sides of guest memory: an access the bounds checks
// miss lands here and ASan reports it.
constexpr uint64_t kRedzone = 0x10000;
constexpr int kMaxExits = 8;

struct Arena {
  uint8_t* base = nullptr;  // guest address 0
  int null_out = -1, null_in = -1;
};

const Arena& arena() {
  static const Arena a = [] {
    Arena r;
    void* p = mmap(nullptr, kMaxMemory + 2 * kRedzone, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) abort();
    r.base = static_cast<uint8_t*>(p) + kRedzone;
    ASAN_POISON_MEMORY_REGION(p, kRedzone);
    ASAN_POISON_MEMORY_REGION(r.base + kMaxMemory, kRedzone);
    // SHOAL_FUZZ_SHOW=1 sends console output and reports to stderr, to see
    // what a crashing or seed input does (never while fuzzing).
    r.null_out = getenv("SHOAL_FUZZ_SHOW") ? dup(2) : open("/dev/null", O_WRONLY | O_CLOEXEC);
    r.null_in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (r.null_out < 0 || r.null_in < 0) abort();
    return r;
  }();
  return a;
}

VcpuExit::Kind exit_kind(unsigned k) {
  using K = VcpuExit::Kind;
  static constexpr K kKinds[8] = {K::io,       K::io,   K::io,  K::interrupted,
                                  K::shutdown, K::mmio, K::hlt, K::other};
  return kKinds[k & 7];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Arena& a = arena();
  fuzz::FuzzInput in(data, size);

  uint64_t memory_size = in.take<uint32_t>() % (kMaxMemory + 1);
  uint64_t image_end = in.take<uint32_t>();
  uint8_t flags = in.take<uint8_t>();
  auto symbol_bytes = in.take_bytes(in.take<uint16_t>());

  Symbolizer sym;
  image::SymbolTable symbols;
  if (auto parsed = image::parse_symbols(symbol_bytes)) {
    symbols = std::move(parsed.value());
    sym.symbols = &symbols;
  }
  unsigned ranges = in.take<uint8_t>() % 5;
  for (unsigned i = 0; i < ranges; ++i) {
    uint64_t start = in.take<uint32_t>();
    sym.code.push_back({start, start + in.take<uint32_t>()});
  }
  sym.stack_end = memory_size;

  FakeVcpu vcpu;
  vcpu.regs.rip = in.take<uint32_t>();
  vcpu.regs.rsp = in.take<uint32_t>();
  vcpu.regs.rdx = in.take<uint32_t>();
  vcpu.sregs.cs.selector = in.take<uint16_t>();
  vcpu.sregs.cr2 = in.take<uint32_t>();

  // Fresh guest memory: zero pages, and everything past memory_size poisoned.
  madvise(a.base, kMaxMemory, MADV_DONTNEED);
  ASAN_UNPOISON_MEMORY_REGION(a.base, memory_size);
  ASAN_POISON_MEMORY_REGION(a.base + memory_size, kMaxMemory - memory_size);
  GuestMemory mem = GuestMemory::wrap(a.base, memory_size);

  unsigned patches = in.take<uint8_t>() % 9;
  for (unsigned i = 0; i < patches; ++i) {
    uint64_t addr = in.take<uint32_t>();
    auto bytes = in.take_bytes(in.take<uint16_t>());
    if (!mem.contains(addr, bytes.size())) continue;
    // SAFETY: the range was checked against memory_size just above.
    memcpy(a.base + addr, bytes.data(), bytes.size());
  }

  bool sleep_cut_short = flags & 1, timed_out = flags & 2;
  HypercallEnv env;
  env.mem = &mem;
  env.image_end = image_end;
  env.stdin_fd = a.null_in;
  env.stdout_fd = env.stderr_fd = a.null_out;
  env.sleep = [sleep_cut_short](uint64_t) { return !sleep_cut_short; };
  env.timed_out = [timed_out] { return timed_out; };
  env.has_event_source = flags & 4;
  env.realtime_ns = [] { return uint64_t{1700000000} * 1000000000; };
  int first_writes = 0;
  env.on_first_write = [&first_writes] { ++first_writes; };
  // The console module's hypercalls, as main.cpp installs them; the process
  // model's, as for a monitor that cannot fork (no family: its argument
  // structs are read and checked, every op answers ENOSYS; a family here
  // would let the input fork and block the fuzzer).
  if (!install_hypercalls(env, console_hypercalls())) abort();
  if (!install_hypercalls(env, process_hypercalls())) abort();

  MonitorConfig config;
  config.program = "fuzz";
  config.timeout_s = 1;
  config.report_fd = a.null_out;
  Monitor monitor(mem, vcpu, std::move(sym), std::move(env), config);

  for (int i = 0; i < kMaxExits && in.remaining() > 0; ++i) {
    VcpuExit exit;
    exit.port = in.take<uint16_t>();
    exit.size = in.take<uint8_t>();
    uint8_t exit_flags = in.take<uint8_t>();
    exit.is_out = exit_flags & 1;
    exit.kind = exit_kind(exit_flags >> 1);
    exit.value = in.take<uint32_t>();
    exit.address = exit.value;
    auto status = monitor.handle_exit(exit);
    if (first_writes > 1) __builtin_trap();  // on_first_write must run once per instance
    if (status) {
      if (*status < 0 || *status > 255) __builtin_trap();  // not a valid exit status
      break;
    }
  }

  ASAN_UNPOISON_MEMORY_REGION(a.base, kMaxMemory);
  return 0;
}

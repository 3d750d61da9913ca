// libFuzzer target: the crash-report renderer and its backtrace scanner over
// hostile guest memory (a stack the guest wrote, code ranges and a symbols
// section from the image). Guest memory is an exact-size heap copy of the
// input's tail, so any read the bounds checks miss is an ASan report.
//
// Input layout (little-endian; missing bytes read as zero):
//   u64 rip, u64 rsp, u64 stack_end, u8 flags (bit 0: has a fault address)
//   u8  code_ranges (mod 5), each u32 start, u32 length
//   u16 symbols_len, then that many bytes: a symbols section
//   the rest: guest memory from address 0
#include <stddef.h>
#include <stdint.h>

#include <shoal/image/symbols.hpp>
#include <vector>

#include "backtrace.hpp"
#include "crash_report.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shoal;
  using namespace shoal::vmm;
  fuzz::FuzzInput in(data, size);

  abi::GuestRegs regs{};
  regs.rip = in.take<uint64_t>();
  regs.rsp = in.take<uint64_t>();
  uint64_t stack_end = in.take<uint64_t>();
  uint8_t flags = in.take<uint8_t>();

  Symbolizer sym;
  unsigned ranges = in.take<uint8_t>() % 5;
  for (unsigned i = 0; i < ranges; ++i) {
    uint64_t start = in.take<uint32_t>();
    sym.code.push_back({start, start + in.take<uint32_t>()});
  }
  sym.stack_end = stack_end;
  image::SymbolTable symbols;
  if (auto parsed = image::parse_symbols(in.take_bytes(in.take<uint16_t>()))) {
    symbols = std::move(parsed.value());
    sym.symbols = &symbols;
  }

  auto rest = in.rest();
  std::vector<uint8_t> bytes(rest.begin(), rest.end());
  GuestMemory mem = GuestMemory::wrap(bytes.data(), bytes.size());

  auto frames = scan_backtrace(mem, sym.code, regs.rip, regs.rsp, stack_end);
  if (frames.empty() || frames.size() > kMaxFrames || frames[0] != regs.rip) __builtin_trap();
  for (size_t i = 1; i < frames.size(); ++i) {
    // Every scanned frame must be a return address inside a code range.
    if (!follows_call(mem, sym.code, frames[i])) __builtin_trap();
  }

  CrashReport report{"fuzz", "fuzzed crash", 139, regs};
  if (flags & 1) report.address = regs.rsp;
  std::string text = format_crash_report(report, mem, sym);
  // One line per frame, whatever the symbol names: a report whose frames run
  // together is unreadable.
  size_t frame_lines = 0;
  for (size_t at = text.find("\n  #"); at != std::string::npos; at = text.find("\n  #", at + 1))
    ++frame_lines;
  if (frame_lines != frames.size() || text.back() != '\n') __builtin_trap();
  std::string msg =
      sanitize_message(std::string(rest.begin(), rest.begin() + (rest.size() < 64 ? rest.size() : 64)));
  for (unsigned char c : msg)
    if (c != '\n' && c != '\t' && (c < 0x20 || c >= 0x7f)) __builtin_trap();
  return 0;
}

#include "core/panic.hpp"

#include "core/hypercall.hpp"
#include "core/klib.hpp"

namespace libos {

namespace {
void console_write_raw(const char* buf, size_t len) {
  shoal::abi::HcConsoleWrite args{};
  args.fd = 2;
  args.buf = reinterpret_cast<uint64_t>(buf);
  args.len = len;
  hypercall(shoal::abi::Hypercall::console_write, &args);
}
}  // namespace

void kprint(const char* message) { console_write_raw(message, strlen(message)); }

void kprint_u64(unsigned long long value) {
  char buf[24];
  size_t i = sizeof(buf);
  do {
    buf[--i] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  console_write_raw(buf + i, sizeof(buf) - i);
}

[[noreturn]] void panic(const char* message) {
  kprint("shoal: LibOS panic: ");
  kprint(message);
  kprint("\n");
  shoal::abi::HcReport report{};
  report.kind = static_cast<uint32_t>(shoal::abi::ReportKind::panic);
  report.status = 134;
  report.message = reinterpret_cast<uint64_t>(message);
  report.message_len = strlen(message);
  report.has_regs = 0;
  hypercall(shoal::abi::Hypercall::report, &report);
  for (;;) {
    // The report hypercall does not return; if a broken monitor resumes us, exit.
    shoal::abi::HcExit ex{134, 0};
    hypercall(shoal::abi::Hypercall::exit, &ex);
  }
}

}  // namespace libos

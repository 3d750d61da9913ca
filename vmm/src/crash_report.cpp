#include "crash_report.hpp"

#include <stdio.h>

#include <string_view>

namespace shoal::vmm {

namespace {

// Symbol names come from the image, so they are as hostile as guest memory:
// print them escaped (a newline or an escape sequence must not reach the
// terminal) and cut long ones (mangled C++ names) so a frame stays one line.
constexpr size_t kMaxSymbolName = 120;

std::string printable_symbol(std::string_view name, size_t max_len = kMaxSymbolName) {
  std::string out;
  for (unsigned char c : name.substr(0, max_len)) {
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (name.size() > max_len) out += "...";
  return out;
}

}  // namespace

std::string symbolize(const Symbolizer& sym, uint64_t addr) {
  if (sym.symbols == nullptr) return "";
  auto hit = sym.symbols->lookup(addr);
  if (!hit) return "";
  return printable_symbol(hit->name) + "+" + std::to_string(hit->offset);
}

std::string sanitize_message(const std::string& raw) {
  std::string out;
  for (unsigned char c : raw) {
    if (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f)) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string format_crash_report(const CrashReport& r, const GuestMemory& mem, const Symbolizer& sym) {
  // The program name is the image header's name field: hostile like symbol
  // names, so escaped the same way.
  const std::string program = printable_symbol(r.program, std::string_view::npos);
  std::string out = "shoal-vmm: " + program + ": " + r.what + "\n";
  char line[256];
  if (r.regs) {
    const auto& g = *r.regs;
    std::string where = symbolize(sym, g.rip);
    snprintf(line, sizeof line, "  rip 0x%016lx", static_cast<unsigned long>(g.rip));
    out += line + (where.empty() ? "" : " " + where);
    if (r.address) {
      snprintf(line, sizeof line, "   address 0x%lx", static_cast<unsigned long>(*r.address));
      out += line;
    }
    out += "\n";
    const struct {
      const char* name;
      uint64_t value;
    } regs[] = {{"rax", g.rax}, {"rbx", g.rbx}, {"rcx", g.rcx}, {"rdx", g.rdx}, {"rsi", g.rsi}, {"rdi", g.rdi},
                {"rbp", g.rbp}, {"rsp", g.rsp}, {"r8", g.r8},   {"r9", g.r9},   {"r10", g.r10}, {"r11", g.r11},
                {"r12", g.r12}, {"r13", g.r13}, {"r14", g.r14}, {"r15", g.r15}, {"rflags", g.rflags},
                {"fs_base", g.fs_base}};
    size_t i = 0;
    for (const auto& reg : regs) {
      snprintf(line, sizeof line, "  %-7s 0x%016lx", reg.name,
               static_cast<unsigned long>(reg.value));
      out += line;
      if (++i % 4 == 0) out += "\n";
    }
    if (i % 4 != 0) out += "\n";
  } else if (r.address) {
    snprintf(line, sizeof line, "  address 0x%lx\n", static_cast<unsigned long>(*r.address));
    out += line;
  }
  for (const auto& n : r.notes) out += "  " + n + "\n";
  if (r.regs) {
    auto frames = scan_backtrace(mem, sym.code, r.regs->rip, r.regs->rsp, sym.stack_end);
    out += "backtrace (stack scan; may include stale frames):\n";
    for (size_t i = 0; i < frames.size(); ++i) {
      std::string name = symbolize(sym, frames[i]);
      snprintf(line, sizeof line, "  #%zu 0x%lx ", i, static_cast<unsigned long>(frames[i]));
      out += line + (name.empty() ? "??" : name) + "\n";
    }
  }
  out += "shoal-vmm: " + program + ": exit status " + std::to_string(r.status) + "\n";
  return out;
}

}  // namespace shoal::vmm

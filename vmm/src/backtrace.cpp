#include "backtrace.hpp"

namespace shoal::vmm {
namespace {

const CodeRange* code_range_of(const std::vector<CodeRange>& code, uint64_t addr) {
  for (const auto& r : code) {
    if (addr >= r.start && addr < r.end) return &r;
  }
  return nullptr;
}

// Length of an `ff /2` (call r/m64) instruction given its ModRM and SIB bytes.
unsigned call_rm_length(uint8_t modrm, uint8_t sib) {
  unsigned mod = modrm >> 6, rm = modrm & 7;
  if (mod == 3) return 2;
  unsigned len = 2;
  if (rm == 4) {
    ++len;
    if (mod == 0 && (sib & 7) == 5) len += 4;
  }
  if (mod == 0 && rm == 5) len += 4;  // rip-relative
  if (mod == 1) len += 1;
  if (mod == 2) len += 4;
  return len;
}

}  // namespace

bool follows_call(const GuestMemory& mem, const std::vector<CodeRange>& code, uint64_t addr) {
  const CodeRange* r = code_range_of(code, addr);
  if (r == nullptr || addr - r->start < 2) return false;
  uint64_t avail = addr - r->start < 7 ? addr - r->start : 7;
  auto bytes_r = mem.span(addr - avail, avail);
  if (!bytes_r) return false;
  auto bytes = bytes_r.value();
  // bytes[avail - k] is the byte k before addr.
  auto before = [&](uint64_t k) { return bytes[avail - k]; };
  if (avail >= 5 && before(5) == 0xe8) return true;
  for (uint64_t len : {2, 3, 4, 6, 7}) {
    if (len > avail || before(len) != 0xff) continue;
    uint8_t modrm = before(len - 1);
    if (((modrm >> 3) & 7) != 2) continue;
    uint8_t sib = len >= 3 ? before(len - 2) : 0;
    if (call_rm_length(modrm, sib) == len) return true;
  }
  return false;
}

std::vector<uint64_t> scan_backtrace(const GuestMemory& mem, const std::vector<CodeRange>& code, uint64_t rip,
                                     uint64_t rsp, uint64_t stack_end, size_t max_frames) {
  std::vector<uint64_t> frames{rip};
  if (stack_end > mem.size()) stack_end = mem.size();
  uint64_t at = (rsp + 7) & ~7ull;
  if (at < rsp) return frames;  // rsp near UINT64_MAX
  uint64_t end = stack_end;
  if (at < end && end - at > kMaxStackScan) end = at + kMaxStackScan;
  for (; at + 8 <= end && frames.size() < max_frames; at += 8) {
    auto word = mem.read<uint64_t>(at);
    if (!word) break;
    // A word equal to the previous frame is a stale copy: skip it.
    if (word.value() != frames.back() && follows_call(mem, code, word.value())) frames.push_back(word.value());
  }
  return frames;
}

}  // namespace shoal::vmm

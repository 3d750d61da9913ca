// Linear-sweep decoding with Zydis, then one patch per syscall site. See
// rewriter.hpp for the shape of a patch and the rules it follows.
#include <string.h>

#include <algorithm>
#include <optional>

#include <Zydis/Zydis.h>

#include <shoal/abi/syscall.h>
#include <shoal/base/strf.hpp>
#include <shoal/builder/rewriter.hpp>

namespace shoal::builder {

namespace {

constexpr uint64_t kJmpSize = 5;

struct Insn {
  uint64_t addr;
  uint8_t len;
  bool valid;        // decoded
  bool syscall;
  bool movable;      // may be copied to a stub (after rip-relative fix-up)
  int8_t disp_off;   // offset of a rip-relative disp32, or -1
};

struct DecodedRegion {
  const CodeRegion* region;
  std::vector<Insn> insns;
};

bool is_control_flow(ZydisInstructionCategory c) {
  switch (c) {
    case ZYDIS_CATEGORY_COND_BR:
    case ZYDIS_CATEGORY_UNCOND_BR:
    case ZYDIS_CATEGORY_CALL:
    case ZYDIS_CATEGORY_RET:
    case ZYDIS_CATEGORY_INTERRUPT:
    case ZYDIS_CATEGORY_SYSCALL:
    case ZYDIS_CATEGORY_SYSRET:
    case ZYDIS_CATEGORY_SYSTEM:
      return true;
    default:
      return false;
  }
}

DecodedRegion decode_region(const ZydisDecoder& dec, const CodeRegion& r, std::vector<uint64_t>& targets) {
  DecodedRegion out{&r, {}};
  out.insns.reserve(r.bytes.size() / 3);
  size_t off = 0;
  while (off < r.bytes.size()) {
    ZydisDecoderContext ctx;
    ZydisDecodedInstruction in;
    uint64_t addr = r.addr + off;
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&dec, &ctx, r.bytes.data() + off, r.bytes.size() - off, &in))) {
      out.insns.push_back({addr, 1, false, false, false, -1});
      off += 1;
      continue;
    }
    Insn insn{addr, in.length, true, in.mnemonic == ZYDIS_MNEMONIC_SYSCALL, true, -1};
    bool relative = (in.attributes & ZYDIS_ATTRIB_IS_RELATIVE) != 0;
    bool rel_imm = false;
    for (int k = 0; k < 2; ++k) {
      if (in.raw.imm[k].is_relative) {
        rel_imm = true;
        targets.push_back(addr + in.length + static_cast<uint64_t>(in.raw.imm[k].value.s));
      }
    }
    if (is_control_flow(in.meta.category) || rel_imm) insn.movable = false;
    bool rip_mem = (in.attributes & ZYDIS_ATTRIB_HAS_MODRM) && in.raw.modrm.mod == 0 && in.raw.modrm.rm == 5;
    if (rip_mem) {
      if (in.address_width == 64 && in.raw.disp.size == 32)
        insn.disp_off = static_cast<int8_t>(in.raw.disp.offset);
      else
        insn.movable = false;
    } else if (relative) {
      insn.movable = false;  // reads rip some other way
    }
    out.insns.push_back(insn);
    off += in.length;
  }
  return out;
}

bool fits_rel32(int64_t v) { return v >= INT32_MIN && v <= INT32_MAX; }

void put_rel32(std::vector<uint8_t>& out, uint8_t opcode, uint64_t from_next, uint64_t to) {
  int32_t rel = static_cast<int32_t>(static_cast<int64_t>(to - from_next));
  out.push_back(opcode);
  uint8_t b[4];
  memcpy(b, &rel, 4);
  out.insert(out.end(), b, b + 4);
}

class Rewriter {
 public:
  Rewriter(const RewriteOptions& opt, std::vector<uint64_t> targets) : m_opt(opt), m_targets(std::move(targets)) {}

  // A target strictly inside (a, b)?
  bool target_inside(uint64_t a, uint64_t b) const {
    auto it = std::upper_bound(m_targets.begin(), m_targets.end(), a);
    return it != m_targets.end() && *it < b;
  }

  // Appends one copied instruction to the stub, fixing a rip-relative disp32.
  bool copy_insn(const DecodedRegion& d, const Insn& in, std::vector<uint8_t>& stub, uint64_t stub_addr) const {
    const uint8_t* src = d.region->bytes.data() + (in.addr - d.region->addr);
    size_t at = stub.size();
    stub.insert(stub.end(), src, src + in.len);
    if (in.disp_off < 0) return true;
    int32_t disp;
    // SAFETY: Zydis decoded a disp32 at disp_off inside this instruction.
    memcpy(&disp, src + in.disp_off, 4);
    uint64_t target = in.addr + in.len + static_cast<int64_t>(disp);
    uint64_t new_next = stub_addr + at + in.len;
    int64_t nd = static_cast<int64_t>(target - new_next);
    if (!fits_rel32(nd)) return false;
    int32_t nd32 = static_cast<int32_t>(nd);
    memcpy(stub.data() + at + in.disp_off, &nd32, 4);
    return true;
  }

  // Tries to patch d.insns[first, last] (inclusive) around the syscall at s.
  bool try_patch(DecodedRegion& d, size_t first, size_t s, size_t last, RewriteResult& res) {
    const Insn& a = d.insns[first];
    const Insn& z = d.insns[last];
    uint64_t start = a.addr, end = z.addr + z.len;
    if (end - start < kJmpSize || start < m_patched_end) return false;
    for (size_t k = first; k <= last; ++k) {
      if (k == s) continue;
      if (!d.insns[k].valid || !d.insns[k].movable) return false;
    }
    for (size_t k = first; k < last; ++k)
      if (d.insns[k].addr + d.insns[k].len != d.insns[k + 1].addr) return false;
    if (target_inside(start, end)) return false;

    uint64_t stub_addr = m_opt.trampoline_base + res.trampolines.size();
    std::vector<uint8_t> stub;
    for (size_t k = first; k < s; ++k)
      if (!copy_insn(d, d.insns[k], stub, stub_addr)) return false;
    static const uint8_t kLea[] = {0x48, 0x8d, 0x64, 0x24, 0x80};  // lea -128(%rsp), %rsp
    static_assert(abi::kRedZone == 128);
    stub.insert(stub.end(), kLea, kLea + sizeof kLea);
    if (m_opt.syscall_entry_slot != 0) {
      // call *slot(%rip): ff 15 disp32
      uint64_t call_next = stub_addr + stub.size() + 6;
      if (!fits_rel32(static_cast<int64_t>(m_opt.syscall_entry_slot - call_next))) return false;
      stub.push_back(0xff);
      put_rel32(stub, 0x15, call_next, m_opt.syscall_entry_slot);
    } else {
      uint64_t call_next = stub_addr + stub.size() + 5;
      if (!fits_rel32(static_cast<int64_t>(m_opt.syscall_entry - call_next))) return false;
      put_rel32(stub, 0xe8, call_next, m_opt.syscall_entry);
    }
    for (size_t k = s + 1; k <= last; ++k)
      if (!copy_insn(d, d.insns[k], stub, stub_addr)) return false;
    uint64_t jmp_next = stub_addr + stub.size() + 5;
    if (!fits_rel32(static_cast<int64_t>(end - jmp_next)) ||
        !fits_rel32(static_cast<int64_t>(stub_addr - (start + kJmpSize))))
      return false;
    put_rel32(stub, 0xe9, jmp_next, end);
    // Pad stubs to 16 bytes with int3, so a stray jump traps.
    while (stub.size() % 16) stub.push_back(0xcc);

    // Patch the site: jmp rel32 to the stub, int3 over the rest.
    uint8_t* site = d.region->bytes.data() + (start - d.region->addr);
    std::vector<uint8_t> jmp;
    put_rel32(jmp, 0xe9, start + kJmpSize, stub_addr);
    memcpy(site, jmp.data(), kJmpSize);
    memset(site + kJmpSize, 0xcc, end - start - kJmpSize);
    res.trampolines.insert(res.trampolines.end(), stub.begin(), stub.end());
    res.stubs.push_back({start, stub_addr, static_cast<uint32_t>(stub.size())});
    m_patched_end = end;
    return true;
  }

  void rewrite_site(DecodedRegion& d, size_t s, RewriteResult& res) {
    if (m_opt.count_only) {
      res.fallback_sites.push_back(d.insns[s].addr);
      return;
    }
    // Smallest displacement first; for one size prefer preceding
    // instructions (typically `mov $nr, %eax`).
    constexpr size_t kMaxNeighbours = 4;
    for (size_t total = 1; total <= 2 * kMaxNeighbours; ++total) {
      for (size_t before = std::min(total, kMaxNeighbours) + 1; before-- > 0;) {
        size_t after = total - before;
        if (after > kMaxNeighbours || before > s || s + after >= d.insns.size()) continue;
        if (try_patch(d, s - before, s, s + after, res)) {
          ++res.rewritten;
          return;
        }
      }
    }
    res.fallback_sites.push_back(d.insns[s].addr);
  }

  void reset_region() { m_patched_end = 0; }

 private:
  const RewriteOptions& m_opt;
  std::vector<uint64_t> m_targets;
  uint64_t m_patched_end = 0;
};

}  // namespace

Result<RewriteResult> rewrite_syscalls(std::span<const CodeRegion> regions, const RewriteOptions& options) {
  RewriteResult res;
  ZydisDecoder dec;
  // An empty result here would read as "no syscall sites" and build an image
  // whose every system call takes the slow ring-0 bounce: say so instead.
  if (ZyanStatus st = ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64); !ZYAN_SUCCESS(st))
    return make_error(strf("syscall rewriter: the x86 decoder (Zydis) failed to initialise (status {:#x})", st));

  // Pass 1: decode everything and collect every direct branch target, so a
  // patch in one function respects jumps from any other.
  std::vector<uint64_t> targets = options.extra_targets;
  std::vector<DecodedRegion> decoded;
  decoded.reserve(regions.size());
  for (const auto& r : regions) decoded.push_back(decode_region(dec, r, targets));
  std::sort(targets.begin(), targets.end());
  targets.erase(std::unique(targets.begin(), targets.end()), targets.end());

  // Pass 2: patch the sites in address order.
  Rewriter rw(options, std::move(targets));
  for (auto& d : decoded) {
    rw.reset_region();
    for (size_t i = 0; i < d.insns.size(); ++i) {
      if (!d.insns[i].syscall) continue;
      ++res.sites;
      rw.rewrite_site(d, i, res);
    }
  }
  return res;
}

}  // namespace shoal::builder

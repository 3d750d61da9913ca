// Indirect-target collection for the object rewriter; see object_targets.hpp.
#include "rewrite/object_targets.hpp"

#include <string.h>

#include <algorithm>

#include <Zydis/Zydis.h>

namespace shoal::builder::objrw {

namespace {

// A jump table longer than this is not one (the scan ran into other data).
constexpr size_t kMaxJumpTable = 1 << 16;

// The entries of a table section, read by copy: the file buffer need not be
// aligned for T.
template <typename T>
class Table {
 public:
  Table(const ObjectFile& o, const Section& s) {
    if (s.hdr.sh_type == SHT_NOBITS || s.hdr.sh_entsize != sizeof(T)) return;
    // SAFETY: parse_object checked the section lies inside the file; the
    // count rounds down.
    m_base = o.bytes.data() + s.hdr.sh_offset;
    m_count = s.hdr.sh_size / sizeof(T);
  }
  size_t size() const { return m_count; }
  T operator[](size_t i) const {
    T v;
    memcpy(&v, m_base + i * sizeof(T), sizeof v);
    return v;
  }

 private:
  const uint8_t* m_base = nullptr;
  size_t m_count = 0;
};

void symbol_targets(const ObjectFile& o, std::vector<uint64_t>& out) {
  for (const auto& s : o.sections) {
    if (s.hdr.sh_type != SHT_SYMTAB && s.hdr.sh_type != SHT_DYNSYM) continue;
    Table<Elf64_Sym> syms(o, s);
    for (size_t i = 0; i < syms.size(); ++i) {
      Elf64_Sym sym = syms[i];
      if (sym.st_shndx == SHN_UNDEF) continue;
      out.push_back(sym.st_value);
    }
  }
}

// The symbol value for a relocation's symbol index, via the section's sh_link.
uint64_t reloc_symbol(const ObjectFile& o, const Section& rel, uint64_t index) {
  if (index == 0 || rel.hdr.sh_link >= o.sections.size()) return 0;
  Table<Elf64_Sym> syms(o, o.sections[rel.hdr.sh_link]);
  if (index >= syms.size()) return 0;
  Elf64_Sym sym = syms[index];
  return sym.st_shndx == SHN_UNDEF ? 0 : sym.st_value;
}

void relocation_targets(const ObjectFile& o, std::vector<uint64_t>& out) {
  for (const auto& s : o.sections) {
    if (s.hdr.sh_type == SHT_RELA) {
      Table<Elf64_Rela> rel(o, s);
      for (size_t i = 0; i < rel.size(); ++i) {
        Elf64_Rela r = rel[i];
        out.push_back(static_cast<uint64_t>(r.r_addend));
        if (uint64_t v = reloc_symbol(o, s, ELF64_R_SYM(r.r_info)))
          out.push_back(v + static_cast<uint64_t>(r.r_addend));
        if (auto w = o.u64_at(r.r_offset)) out.push_back(*w);  // e.g. a JUMP_SLOT's lazy PLT address
      }
    } else if (s.hdr.sh_type == SHT_REL) {
      Table<Elf64_Rel> rel(o, s);
      for (size_t i = 0; i < rel.size(); ++i) {
        Elf64_Rel r = rel[i];
        if (auto w = o.u64_at(r.r_offset)) out.push_back(*w);
      }
    } else if (s.hdr.sh_type == SHT_RELR) {
      // Even entry: an address whose word is relocated; odd: a bitmap of the
      // 63 words after the last address.
      uint64_t where = 0;
      Table<Elf64_Relr> relr(o, s);
      for (size_t k = 0; k < relr.size(); ++k) {
        Elf64_Relr e = relr[k];
        if ((e & 1) == 0) {
          where = e;
          if (auto w = o.u64_at(where)) out.push_back(*w);
          where += 8;
        } else {
          for (int i = 0; i < 63; ++i)
            if ((e >> (i + 1)) & 1)
              if (auto w = o.u64_at(where + 8 * static_cast<uint64_t>(i))) out.push_back(*w);
          where += 63 * 8;
        }
      }
    } else if (s.hdr.sh_type == SHT_INIT_ARRAY || s.hdr.sh_type == SHT_FINI_ARRAY ||
               s.hdr.sh_type == SHT_PREINIT_ARRAY) {
      for (uint64_t off = 0; off + 8 <= s.hdr.sh_size; off += 8)
        if (auto w = o.u64_at(s.hdr.sh_addr + off)) out.push_back(*w);
    }
  }
}

// Words of a relative jump table at `t`: int32 offsets from t into code.
void jump_table(const ObjectFile& o, uint64_t t, std::vector<uint64_t>& out) {
  for (size_t i = 0; i < kMaxJumpTable; ++i) {
    auto v = o.i32_at(t + 4 * i);
    if (!v) return;
    uint64_t dest = t + static_cast<uint64_t>(static_cast<int64_t>(*v));
    if (!o.in_exec(dest)) return;
    out.push_back(dest);
  }
}

// Addresses computed from instructions: rip-relative operands (a `lea` of a
// function is how PIC code takes its address), the tables behind them, and in
// a fixed-address program any immediate or displacement into code.
void code_targets(const ObjectFile& o, std::span<const CodeRange> code, std::vector<uint64_t>& out) {
  ZydisDecoder dec;
  if (!ZYAN_SUCCESS(ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64))) return;
  bool fixed = o.eh.e_type == ET_EXEC;
  std::vector<uint64_t> tables;
  for (const auto& c : code) {
    auto bytes = o.bytes.subspan(c.offset, c.size);
    size_t off = 0;
    while (off < bytes.size()) {
      ZydisDecoderContext ctx;
      ZydisDecodedInstruction in;
      if (!ZYAN_SUCCESS(
              ZydisDecoderDecodeInstruction(&dec, &ctx, bytes.data() + off, bytes.size() - off, &in))) {
        ++off;
        continue;
      }
      uint64_t next = c.vaddr + off + in.length;
      bool rip = (in.attributes & ZYDIS_ATTRIB_HAS_MODRM) && in.raw.modrm.mod == 0 && in.raw.modrm.rm == 5;
      if (rip && in.raw.disp.size == 32) {
        uint64_t t = next + static_cast<uint64_t>(in.raw.disp.value);
        if (o.in_exec(t))
          out.push_back(t);
        else
          tables.push_back(t);
      }
      if (fixed) {
        for (int k = 0; k < 2; ++k)
          if (in.raw.imm[k].size >= 32 && !in.raw.imm[k].is_relative && o.in_exec(in.raw.imm[k].value.u))
            out.push_back(in.raw.imm[k].value.u);
        if (!rip && in.raw.disp.size == 32) {
          uint64_t d = static_cast<uint64_t>(in.raw.disp.value);
          if (o.in_exec(d))
            out.push_back(d);
          else
            tables.push_back(d);
        }
      }
      off += in.length;
    }
  }
  std::sort(tables.begin(), tables.end());
  tables.erase(std::unique(tables.begin(), tables.end()), tables.end());
  for (uint64_t t : tables) jump_table(o, t, out);
}

// A fixed-address program holds absolute code addresses in data without
// relocations (jump tables, function pointers): every aligned word of its
// allocated, non-executable sections that points into code is a target.
void absolute_words(const ObjectFile& o, std::vector<uint64_t>& out) {
  if (o.eh.e_type != ET_EXEC) return;
  for (const auto& s : o.sections) {
    if (!(s.hdr.sh_flags & SHF_ALLOC) || (s.hdr.sh_flags & SHF_EXECINSTR) || s.hdr.sh_type == SHT_NOBITS)
      continue;
    for (uint64_t off = 0; off + 8 <= s.hdr.sh_size; off += 8) {
      uint64_t w;
      memcpy(&w, o.bytes.data() + s.hdr.sh_offset + off, 8);
      if (o.in_exec(w)) out.push_back(w);
    }
  }
}

}  // namespace

std::vector<CodeRange> code_ranges(const ObjectFile& o) {
  std::vector<CodeRange> out;
  for (const auto& s : o.sections) {
    const auto& h = s.hdr;
    if (h.sh_type != SHT_PROGBITS || !(h.sh_flags & SHF_EXECINSTR) || !(h.sh_flags & SHF_ALLOC) ||
        h.sh_size == 0)
      continue;
    // Only bytes the loader maps executable, at the address the header says.
    for (const auto& p : o.loads)
      if ((p.p_flags & PF_X) && h.sh_addr >= p.p_vaddr && h.sh_addr - p.p_vaddr <= p.p_filesz &&
          h.sh_size <= p.p_filesz - (h.sh_addr - p.p_vaddr) &&
          h.sh_offset == p.p_offset + (h.sh_addr - p.p_vaddr))
        out.push_back({h.sh_addr, h.sh_offset, h.sh_size});
  }
  std::sort(out.begin(), out.end(), [](const CodeRange& a, const CodeRange& b) { return a.vaddr < b.vaddr; });
  std::vector<CodeRange> kept;
  for (const auto& c : out)
    if (kept.empty() || c.vaddr >= kept.back().vaddr + kept.back().size) kept.push_back(c);
  return kept;
}

std::vector<uint64_t> indirect_targets(const ObjectFile& o, std::span<const CodeRange> code) {
  std::vector<uint64_t> out;
  out.push_back(o.eh.e_entry);
  for (int64_t tag : {DT_INIT, DT_FINI})
    if (auto v = o.dyn(tag)) out.push_back(*v);
  symbol_targets(o, out);
  relocation_targets(o, out);
  code_targets(o, code, out);
  absolute_words(o, out);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace shoal::builder::objrw

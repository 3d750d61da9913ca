// Bounds checks for the object rewriter's input; see object_file.hpp.
#include "rewrite/object_file.hpp"

#include <string.h>

#include <algorithm>

#include <shoal/base/strf.hpp>

namespace shoal::builder::objrw {

namespace {

constexpr uint64_t kMaxSegmentSize = 4ull << 30;
constexpr uint64_t kMaxAddress = 1ull << 47;  // user half of x86-64
constexpr uint64_t kPage = 4096;

bool in_file(std::span<const uint8_t> b, uint64_t off, uint64_t n) {
  return off <= b.size() && n <= b.size() - off;
}

Result<void> read_sections(ObjectFile& o) {
  const auto& eh = o.eh;
  const auto b = o.bytes;
  if (eh.e_shnum == 0) return {};
  if (eh.e_shentsize != sizeof(Elf64_Shdr))
    return make_error(
        strf("section header size {} (e_shentsize), expected {}", eh.e_shentsize, sizeof(Elf64_Shdr)));
  uint64_t size = uint64_t{eh.e_shnum} * sizeof(Elf64_Shdr);
  if (!in_file(b, eh.e_shoff, size))
    return make_error(strf("truncated: section header table at {:#x}+{:#x} exceeds file size {:#x}",
                           eh.e_shoff, size, b.size()));
  o.sections.resize(eh.e_shnum);
  for (size_t i = 0; i < eh.e_shnum; ++i) {
    // SAFETY: the whole table lies inside the file (checked above).
    memcpy(&o.sections[i].hdr, b.data() + eh.e_shoff + i * sizeof(Elf64_Shdr), sizeof(Elf64_Shdr));
    const auto& sh = o.sections[i].hdr;
    if (sh.sh_type != SHT_NOBITS && !in_file(b, sh.sh_offset, sh.sh_size))
      return make_error(strf("truncated: section {} at {:#x}+{:#x} exceeds file size {:#x}", i, sh.sh_offset,
                             sh.sh_size, b.size()));
  }
  if (eh.e_shstrndx == SHN_UNDEF) return {};
  if (eh.e_shstrndx >= eh.e_shnum)
    return make_error(strf("section name table index {} (e_shstrndx) out of range ({} sections)",
                           eh.e_shstrndx, eh.e_shnum));
  const auto& st = o.sections[eh.e_shstrndx].hdr;
  if (st.sh_type != SHT_STRTAB)
    return make_error(strf("section name table (section {}) is not SHT_STRTAB", eh.e_shstrndx));
  for (auto& s : o.sections) {
    if (s.hdr.sh_name >= st.sh_size) continue;
    // SAFETY: the strtab lies inside the file; strnlen stays below its end.
    const char* p = reinterpret_cast<const char*>(b.data() + st.sh_offset + s.hdr.sh_name);
    s.name.assign(p, strnlen(p, st.sh_size - s.hdr.sh_name));
  }
  return {};
}

Result<void> read_dynamic(ObjectFile& o) {
  for (const auto& p : o.phdrs) {
    if (p.p_type != PT_DYNAMIC) continue;
    if (!in_file(o.bytes, p.p_offset, p.p_filesz))
      return make_error(strf("truncated: PT_DYNAMIC at {:#x}+{:#x} exceeds file size {:#x}", p.p_offset,
                             p.p_filesz, o.bytes.size()));
    size_t n = p.p_filesz / sizeof(Elf64_Dyn);
    for (size_t i = 0; i < n; ++i) {
      Elf64_Dyn d;
      // SAFETY: i < p_filesz / sizeof d and PT_DYNAMIC lies inside the file.
      memcpy(&d, o.bytes.data() + p.p_offset + i * sizeof d, sizeof d);
      if (d.d_tag == DT_NULL) break;
      o.dynamic.push_back(d);
    }
    break;
  }
  return {};
}

}  // namespace

std::optional<uint64_t> ObjectFile::offset_of(uint64_t vaddr, uint64_t n) const {
  for (const auto& p : loads)
    if (vaddr >= p.p_vaddr && vaddr - p.p_vaddr <= p.p_filesz && n <= p.p_filesz - (vaddr - p.p_vaddr))
      return p.p_offset + (vaddr - p.p_vaddr);
  return std::nullopt;
}

std::span<const uint8_t> ObjectFile::at(uint64_t vaddr, uint64_t n) const {
  auto off = offset_of(vaddr, n);
  if (!off) return {};
  return bytes.subspan(*off, n);
}

std::optional<uint64_t> ObjectFile::u64_at(uint64_t vaddr) const {
  auto s = at(vaddr, 8);
  if (s.empty()) return std::nullopt;
  uint64_t v;
  memcpy(&v, s.data(), 8);
  return v;
}

std::optional<int32_t> ObjectFile::i32_at(uint64_t vaddr) const {
  auto s = at(vaddr, 4);
  if (s.empty()) return std::nullopt;
  int32_t v;
  memcpy(&v, s.data(), 4);
  return v;
}

bool ObjectFile::in_exec(uint64_t vaddr) const {
  for (const auto& p : loads)
    if ((p.p_flags & PF_X) && vaddr >= p.p_vaddr && vaddr - p.p_vaddr < p.p_memsz) return true;
  return false;
}

std::optional<uint64_t> ObjectFile::dyn(int64_t tag) const {
  for (const auto& d : dynamic)
    if (d.d_tag == tag) return d.d_un.d_val;
  return std::nullopt;
}

const Section* ObjectFile::section(std::string_view name) const {
  for (const auto& s : sections)
    if (s.name == name) return &s;
  return nullptr;
}

Result<ObjectFile> parse_object(std::span<const uint8_t> b) {
  ObjectFile o;
  o.bytes = b;
  if (b.size() < SELFMAG || memcmp(b.data(), ELFMAG, SELFMAG) != 0)
    return make_error("not an ELF file (no \\x7fELF magic at offset 0)");
  if (b.size() < sizeof(Elf64_Ehdr))
    return make_error(strf("truncated: ELF header exceeds file size {:#x}", b.size()));
  memcpy(&o.eh, b.data(), sizeof o.eh);
  const auto& eh = o.eh;
  if (eh.e_ident[EI_CLASS] != ELFCLASS64)
    return make_error("not a 64-bit ELF (EI_CLASS): shoal runs x86-64 code");
  if (eh.e_ident[EI_DATA] != ELFDATA2LSB)
    return make_error("big-endian ELF (EI_DATA): shoal runs x86-64 code");
  if (eh.e_machine != EM_X86_64) return make_error(strf("ELF for machine {}, not x86-64", eh.e_machine));
  if (eh.e_type != ET_DYN && eh.e_type != ET_EXEC)
    return make_error(strf(
        "ELF type {} (e_type) is neither a shared object/PIE (ET_DYN) nor a program (ET_EXEC)", eh.e_type));
  if (eh.e_ehsize != sizeof(Elf64_Ehdr))
    return make_error(strf("ELF header size {} (e_ehsize)", eh.e_ehsize));
  if (eh.e_phnum == 0 || eh.e_phnum >= 0xfff0)
    return make_error(strf("{} program headers (e_phnum)", eh.e_phnum));
  if (eh.e_phentsize != sizeof(Elf64_Phdr))
    return make_error(
        strf("program header size {} (e_phentsize), expected {}", eh.e_phentsize, sizeof(Elf64_Phdr)));
  uint64_t ph_size = uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr);
  if (!in_file(b, eh.e_phoff, ph_size))
    return make_error(strf("truncated: program header table at {:#x}+{:#x} exceeds file size {:#x}",
                           eh.e_phoff, ph_size, b.size()));
  o.phdrs.resize(eh.e_phnum);
  memcpy(o.phdrs.data(), b.data() + eh.e_phoff, ph_size);

  for (size_t i = 0; i < o.phdrs.size(); ++i) {
    const auto& p = o.phdrs[i];
    if (p.p_type != PT_LOAD || p.p_memsz == 0) continue;
    if (!in_file(b, p.p_offset, p.p_filesz))
      return make_error(strf("truncated: segment {} (PT_LOAD) file range {:#x}+{:#x} exceeds file size {:#x}",
                             i, p.p_offset, p.p_filesz, b.size()));
    if (p.p_filesz > p.p_memsz)
      return make_error(
          strf("segment {} (PT_LOAD): p_filesz {:#x} exceeds p_memsz {:#x}", i, p.p_filesz, p.p_memsz));
    if (p.p_memsz > kMaxSegmentSize || p.p_vaddr >= kMaxAddress || p.p_memsz > kMaxAddress - p.p_vaddr)
      return make_error(strf("segment {} (PT_LOAD): absurd size or address: vaddr {:#x} memsz {:#x}", i,
                             p.p_vaddr, p.p_memsz));
    if ((p.p_vaddr - p.p_offset) % kPage != 0)
      return make_error(strf("segment {} (PT_LOAD): vaddr {:#x} and offset {:#x} differ in their page offset",
                             i, p.p_vaddr, p.p_offset));
    o.loads.push_back(p);
  }
  if (o.loads.empty()) return make_error("no loadable segments (PT_LOAD)");
  // ld.so requires PT_LOADs in ascending order; a file that breaks this is
  // not one it loads, so refuse rather than guess.
  for (size_t i = 1; i < o.loads.size(); ++i) {
    const auto& a = o.loads[i - 1];
    const auto& c = o.loads[i];
    if (c.p_vaddr < a.p_vaddr + a.p_memsz)
      return make_error(strf("overlapping or unsorted segments: {:#x}+{:#x} and {:#x}+{:#x}", a.p_vaddr,
                             a.p_memsz, c.p_vaddr, c.p_memsz));
  }
  TRY(read_sections(o));
  TRY(read_dynamic(o));
  return o;
}

}  // namespace shoal::builder::objrw

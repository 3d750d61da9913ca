// read_dynamic_info: the ELF header, program headers and dynamic section of a
// file the builder is about to pack, read by hand on <elf.h> structures so
// every refusal names the bytes that are wrong. The file is untrusted (it
// may be anything a search directory holds): every offset is checked.
#include <elf.h>
#include <string.h>

#include <algorithm>

#include <shoal/base/strf.hpp>
#include <shoal/builder/dynamic.hpp>
#include <shoal/builder/elf_program.hpp>

namespace shoal::builder {

namespace {

// The file offset of the `len` bytes at virtual address `vaddr`, through the
// PT_LOAD segments' file ranges; false if no segment holds all of them.
bool vaddr_to_offset(const std::vector<Elf64_Phdr>& loads, uint64_t vaddr, uint64_t len, uint64_t* off) {
  for (const auto& p : loads) {
    if (vaddr >= p.p_vaddr && vaddr - p.p_vaddr <= p.p_filesz && len <= p.p_filesz - (vaddr - p.p_vaddr)) {
      *off = p.p_offset + (vaddr - p.p_vaddr);
      return true;
    }
  }
  return false;
}

// Splits a DT_RPATH/DT_RUNPATH value at ':' (empty entries dropped).
std::vector<std::string> split_path(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= s.size()) {
    size_t c = s.find(':', i);
    if (c == std::string::npos) c = s.size();
    if (c > i) out.push_back(s.substr(i, c - i));
    i = c + 1;
  }
  return out;
}

}  // namespace

bool is_elf(std::span<const uint8_t> b) { return b.size() >= SELFMAG && memcmp(b.data(), ELFMAG, SELFMAG) == 0; }

Result<DynamicInfo> read_dynamic_info(std::span<const uint8_t> b) {
  DynamicInfo info;
  if (!is_elf(b)) return make_error("not an ELF file (invalid ELF header)");
  // e_machine sits at offset 18 in both classes.
  if (b.size() < 20) return make_error(strf("truncated: {} bytes, shorter than an ELF header", b.size()));
  uint16_t machine = static_cast<uint16_t>(b[18] | (b[19] << 8));
  if (b[EI_DATA] != ELFDATA2LSB) machine = static_cast<uint16_t>((b[18] << 8) | b[19]);
  if (b[EI_CLASS] != ELFCLASS64 || b[EI_DATA] != ELFDATA2LSB || machine != EM_X86_64) {
    info.machine = strf("{}{}", b[EI_CLASS] == ELFCLASS32 ? "32-bit " : "", elf_machine_name(machine));
    return info;
  }
  if (b.size() < sizeof(Elf64_Ehdr))
    return make_error(strf("truncated: ELF header at 0x0+{:#x} exceeds file size {:#x}", sizeof(Elf64_Ehdr), b.size()));
  Elf64_Ehdr eh;
  // SAFETY: size >= sizeof(Elf64_Ehdr) was checked above.
  memcpy(&eh, b.data(), sizeof eh);
  info.x86_64 = true;
  info.machine = "x86-64";
  info.type = eh.e_type;
  if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) return info;  // an object file, a core: nothing to load
  if (eh.e_phentsize != sizeof(Elf64_Phdr))
    return make_error(strf("program header size {} (e_phentsize), expected {}", eh.e_phentsize, sizeof(Elf64_Phdr)));
  uint64_t ph_size = uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr);
  if (eh.e_phnum == 0 || eh.e_phoff > b.size() || ph_size > b.size() - eh.e_phoff)
    return make_error(strf("truncated: program header table at {:#x}+{:#x} exceeds file size {:#x}", eh.e_phoff,
                           ph_size, b.size()));
  std::vector<Elf64_Phdr> phdrs(eh.e_phnum);
  memcpy(phdrs.data(), b.data() + eh.e_phoff, ph_size);
  std::vector<Elf64_Phdr> loads;
  const Elf64_Phdr* dyn = nullptr;
  for (const auto& p : phdrs) {
    if (p.p_type == PT_LOAD) {
      if (p.p_offset > b.size() || p.p_filesz > b.size() - p.p_offset)
        return make_error(strf("truncated: PT_LOAD file range {:#x}+{:#x} exceeds file size {:#x}", p.p_offset,
                               p.p_filesz, b.size()));
      loads.push_back(p);
    } else if (p.p_type == PT_DYNAMIC) {
      dyn = &p;
    } else if (p.p_type == PT_INTERP) {
      if (p.p_offset > b.size() || p.p_filesz > b.size() - p.p_offset || p.p_filesz < 2 || p.p_filesz > 4096)
        return make_error(strf("PT_INTERP at {:#x}+{:#x} is out of bounds (file size {:#x})", p.p_offset, p.p_filesz,
                               b.size()));
      // SAFETY: the range lies inside the file (checked above).
      const char* s = reinterpret_cast<const char*>(b.data() + p.p_offset);
      size_t n = strnlen(s, p.p_filesz);
      if (n == p.p_filesz || s[0] != '/') return make_error("PT_INTERP is not an absolute, NUL-terminated path");
      info.interp.assign(s, n);
    }
  }
  if (loads.empty()) return make_error("no loadable segments (PT_LOAD)");
  if (dyn == nullptr) return info;
  if (dyn->p_offset > b.size() || dyn->p_filesz > b.size() - dyn->p_offset)
    return make_error(strf("truncated: PT_DYNAMIC at {:#x}+{:#x} exceeds file size {:#x}", dyn->p_offset,
                           dyn->p_filesz, b.size()));
  uint64_t strtab = 0, strsz = 0;
  bool have_strtab = false;
  std::vector<std::pair<int64_t, uint64_t>> names;  // (tag, string offset)
  for (size_t i = 0; i < dyn->p_filesz / sizeof(Elf64_Dyn); ++i) {
    Elf64_Dyn d;
    // SAFETY: i < p_filesz / sizeof d and PT_DYNAMIC lies inside the file (checked above).
    memcpy(&d, b.data() + dyn->p_offset + i * sizeof d, sizeof d);
    if (d.d_tag == DT_NULL) break;
    if (d.d_tag == DT_STRTAB) strtab = d.d_un.d_ptr, have_strtab = true;
    if (d.d_tag == DT_STRSZ) strsz = d.d_un.d_val;
    if (d.d_tag == DT_NEEDED || d.d_tag == DT_RPATH || d.d_tag == DT_RUNPATH || d.d_tag == DT_SONAME)
      names.push_back({d.d_tag, d.d_un.d_val});
  }
  if (names.empty()) return info;
  uint64_t str_off = 0;
  if (!have_strtab || strsz == 0 || !vaddr_to_offset(loads, strtab, strsz, &str_off))
    return make_error(strf("dynamic string table (DT_STRTAB {:#x}, DT_STRSZ {:#x}) is not inside a loaded segment",
                           strtab, strsz));
  for (const auto& [tag, off] : names) {
    if (off >= strsz) return make_error(strf("dynamic entry string offset {:#x} exceeds DT_STRSZ {:#x}", off, strsz));
    // SAFETY: str_off + strsz lies inside the file (vaddr_to_offset), off < strsz.
    const char* s = reinterpret_cast<const char*>(b.data() + str_off + off);
    size_t n = strnlen(s, strsz - off);
    if (n == strsz - off) return make_error(strf("dynamic entry string at {:#x} is not NUL-terminated", off));
    std::string v(s, n);
    if (tag == DT_NEEDED) {
      if (v.empty()) return make_error("empty DT_NEEDED name");
      info.needed.push_back(v);
    } else if (tag == DT_SONAME) {
      info.soname = v;
    } else {
      auto parts = split_path(v);
      auto& dst = tag == DT_RPATH ? info.rpath : info.runpath;
      dst.insert(dst.end(), parts.begin(), parts.end());
    }
  }
  return info;
}

}  // namespace shoal::builder

// ELF validation for `shoal build`. The checks on the file header, program
// headers and dynamic section are done by hand on <elf.h> structures so that
// each refusal can say exactly which bytes are wrong; libelf reads the section
// headers (code sections, .symtab) only once those checks passed.
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include <shoal/abi/image.h>
#include <shoal/abi/layout.h>
#include <shoal/base/strf.hpp>
#include <shoal/builder/elf_program.hpp>

namespace shoal::builder {

namespace {

// Larger than any real program, small enough that sizes derived from it
// cannot overflow.
constexpr uint64_t kMaxSegmentSize = 4ull << 30;
constexpr uint64_t kMaxFileSize = 1ull << 30;


uint32_t section_flags(uint32_t pf) {
  uint32_t f = 0;
  if (pf & PF_R) f |= abi::kSectionRead;
  if (pf & PF_W) f |= abi::kSectionWrite;
  if (pf & PF_X) f |= abi::kSectionExec;
  return f;
}

// A bounded, NUL-free view of the PT_INTERP string for the message.
std::string interp_string(const std::vector<uint8_t>& b, const Elf64_Phdr& p) {
  if (p.p_offset >= b.size()) return "?";
  uint64_t n = std::min<uint64_t>({p.p_filesz, b.size() - p.p_offset, 256});
  // SAFETY: p_offset < size and n <= size - p_offset (checked above).
  std::string s(reinterpret_cast<const char*>(b.data() + p.p_offset), n);
  s.resize(strnlen(s.c_str(), s.size()));
  return s;
}

Result<void> check_static_pie(const std::vector<uint8_t>& b, const Elf64_Ehdr& eh,
                              const std::vector<Elf64_Phdr>& phdrs) {
  const Elf64_Phdr* dyn = nullptr;
  for (const auto& p : phdrs)
    if (p.p_type == PT_DYNAMIC) dyn = &p;
  if (dyn == nullptr)
    return make_error("position-independent ELF (ET_DYN) without PT_DYNAMIC: not a static PIE; link it with -static or -static-pie");
  if (dyn->p_offset > b.size() || dyn->p_filesz > b.size() - dyn->p_offset)
    return make_error(strf("truncated: PT_DYNAMIC at {:#x}+{:#x} exceeds file size {:#x}", dyn->p_offset,
                           dyn->p_filesz, b.size()));
  bool pie_flag = false;
  uint64_t needed = 0;
  size_t n = dyn->p_filesz / sizeof(Elf64_Dyn);
  for (size_t i = 0; i < n; ++i) {
    Elf64_Dyn d;
    // SAFETY: i < p_filesz / sizeof d and PT_DYNAMIC lies inside the file (checked above).
    memcpy(&d, b.data() + dyn->p_offset + i * sizeof d, sizeof d);
    if (d.d_tag == DT_NULL) break;
    if (d.d_tag == DT_NEEDED) ++needed;
    if (d.d_tag == DT_FLAGS_1 && (d.d_un.d_val & DF_1_PIE)) pie_flag = true;
  }
  if (needed != 0 && !pie_flag)
    return make_error(strf("shared library or dynamically linked program ({} DT_NEEDED entries): link it with -static or -static-pie",
                           needed));
  if (needed != 0)
    return make_error(strf("dynamically linked PIE ({} DT_NEEDED entries): link it with -static-pie", needed));
  if (!pie_flag && eh.e_entry == 0)
    return make_error("shared library (ET_DYN without DF_1_PIE or an entry point): shoal runs programs; link one with -static or -static-pie");
  return {};
}

// Section headers, via libelf: code ranges and function symbols. A file
// whose section headers are damaged still loads (from its segments), it just
// has no names.
void read_sections(ElfProgram& prog) {
  static const bool kInit = elf_version(EV_CURRENT) != EV_NONE;
  if (!kInit) return;
  // SAFETY: libelf only reads the buffer (ELF_C_READ semantics); it outlives `elf`.
  Elf* elf = elf_memory(reinterpret_cast<char*>(prog.bytes.data()), prog.bytes.size());
  if (elf == nullptr) return;
  auto in_exec_segment = [&](uint64_t off, uint64_t size) {
    for (const auto& s : prog.segments)
      if ((s.flags & abi::kSectionExec) && off >= s.offset && off - s.offset <= s.filesz &&
          size <= s.filesz - (off - s.offset))
        return true;
    return false;
  };
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) == nullptr) continue;
    if (sh.sh_type == SHT_PROGBITS && (sh.sh_flags & SHF_EXECINSTR) && (sh.sh_flags & SHF_ALLOC) &&
        sh.sh_size != 0 && in_exec_segment(sh.sh_offset, sh.sh_size)) {
      prog.code.push_back({sh.sh_addr + prog.load_bias, sh.sh_offset, sh.sh_size});
    }
    if (sh.sh_type != SHT_SYMTAB || sh.sh_entsize != sizeof(Elf64_Sym)) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (data == nullptr) continue;
    size_t count = data->d_size / sizeof(Elf64_Sym);
    for (size_t i = 0; i < count; ++i) {
      GElf_Sym sym;
      if (gelf_getsym(data, static_cast<int>(i), &sym) == nullptr) break;
      int type = GELF_ST_TYPE(sym.st_info);
      if (sym.st_shndx == SHN_UNDEF || sym.st_shndx >= SHN_LORESERVE || sym.st_value == 0) continue;
      if (type != STT_FUNC && type != STT_NOTYPE && type != STT_OBJECT) continue;
      const char* name = elf_strptr(elf, sh.sh_link, sym.st_name);
      if (name == nullptr || *name == '\0') continue;
      prog.symbols.push_back({sym.st_value + prog.load_bias, sym.st_size, name, type == STT_FUNC});
    }
  }
  elf_end(elf);
  // NOTE: the symbol/section view is a convenience; keep only code ranges
  // that do not overlap each other (a corrupt table must not make the
  // rewriter decode the same bytes twice).
  std::sort(prog.code.begin(), prog.code.end(), [](const ElfCode& a, const ElfCode& b) { return a.vaddr < b.vaddr; });
  std::vector<ElfCode> kept;
  for (const auto& c : prog.code)
    if (kept.empty() || c.vaddr >= kept.back().vaddr + kept.back().size) kept.push_back(c);
  prog.code = std::move(kept);
}

}  // namespace

const ElfSymbol* ElfProgram::find_symbol(std::string_view name) const {
  for (const auto& s : symbols)
    if (s.name == name) return &s;
  return nullptr;
}

Result<ElfProgram> parse_elf(std::vector<uint8_t> bytes, ElfRole role) {
  const auto& b = bytes;
  if (b.empty()) return make_error("not an ELF file (empty file)");
  if (b.size() < SELFMAG || memcmp(b.data(), ELFMAG, SELFMAG) != 0)
    return make_error("not an ELF file (no \\x7fELF magic at offset 0)");
  if (b.size() > EI_CLASS && b[EI_CLASS] == ELFCLASS32)
    return make_error("32-bit ELF (ELFCLASS32): shoal runs x86-64 programs");
  if (b.size() > EI_CLASS && b[EI_CLASS] != ELFCLASS64)
    return make_error(strf("ELF with unknown class {} (EI_CLASS): shoal runs 64-bit x86-64 programs",
                           b[EI_CLASS]));
  if (b.size() < sizeof(Elf64_Ehdr))
    return make_error(strf("truncated: ELF header at 0x0+{:#x} exceeds file size {:#x}", sizeof(Elf64_Ehdr),
                           b.size()));
  Elf64_Ehdr eh;
  // SAFETY: size >= sizeof(Elf64_Ehdr) was checked above.
  memcpy(&eh, b.data(), sizeof eh);
  if (eh.e_ident[EI_DATA] != ELFDATA2LSB)
    return make_error("big-endian ELF (EI_DATA): shoal runs little-endian x86-64 programs");
  if (eh.e_machine != EM_X86_64)
    return make_error(strf("ELF for machine {} ({}), not x86-64: shoal runs x86-64 programs", eh.e_machine,
                           elf_machine_name(eh.e_machine)));
  if (eh.e_type == ET_REL) return make_error("relocatable object file (ET_REL): link it into a static program first");
  if (eh.e_type == ET_CORE) return make_error("core dump (ET_CORE), not a program");
  if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) return make_error(strf("unknown ELF type {} (e_type)", eh.e_type));
  if (eh.e_phnum == 0) return make_error("no program headers (e_phnum is 0): not a loadable program");
  if (eh.e_phentsize != sizeof(Elf64_Phdr))
    return make_error(strf("program header size {} (e_phentsize), expected {}", eh.e_phentsize, sizeof(Elf64_Phdr)));
  uint64_t ph_size = uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr);
  if (eh.e_phoff > b.size() || ph_size > b.size() - eh.e_phoff)
    return make_error(strf("truncated: program header table at {:#x}+{:#x} exceeds file size {:#x}", eh.e_phoff,
                           ph_size, b.size()));
  // Section headers are optional (e_shnum 0), but a table that runs past the
  // end of the file means the file was cut short.
  uint64_t sh_size = uint64_t{eh.e_shnum} * eh.e_shentsize;
  if (eh.e_shnum != 0 && (eh.e_shoff > b.size() || sh_size > b.size() - eh.e_shoff))
    return make_error(strf("truncated: section header table at {:#x}+{:#x} exceeds file size {:#x}", eh.e_shoff,
                           sh_size, b.size()));
  std::vector<Elf64_Phdr> phdrs(eh.e_phnum);
  memcpy(phdrs.data(), b.data() + eh.e_phoff, ph_size);

  ElfProgram prog;
  for (const auto& p : phdrs) {
    if (p.p_type != PT_INTERP) continue;
    // A dynamically linked program: its interpreter and libraries come from
    // the root filesystem (dynamic.hpp); the LibOS loads the interpreter.
    if (role == ElfRole::libos) return make_error("the LibOS must be a static ELF (it has PT_INTERP)");
    prog.interp = interp_string(b, p);
    if (p.p_offset >= b.size() || p.p_filesz > b.size() - p.p_offset || prog.interp.empty() ||
        prog.interp[0] != '/' || prog.interp.size() >= p.p_filesz)
      return make_error(strf("PT_INTERP at {:#x}+{:#x} is not an absolute, NUL-terminated path inside the file",
                             p.p_offset, p.p_filesz));
  }
  prog.pie = eh.e_type == ET_DYN;
  if (prog.pie) {
    if (role == ElfRole::libos) return make_error("the LibOS must be linked as ET_EXEC at its fixed address");
    if (prog.interp.empty()) TRY(check_static_pie(b, eh, phdrs));
    prog.load_bias = abi::kStaticPieBase;
  }

  uint64_t lo = role == ElfRole::app ? abi::kAppMinAddr : abi::kLibosBase;
  uint64_t hi = role == ElfRole::app ? abi::kMaxMemory : abi::kLibosLimit;
  for (size_t i = 0; i < phdrs.size(); ++i) {
    const auto& p = phdrs[i];
    if (p.p_type != PT_LOAD || p.p_memsz == 0) continue;
    if (p.p_offset > b.size() || p.p_filesz > b.size() - p.p_offset)
      return make_error(strf("truncated: segment {} (PT_LOAD) file range {:#x}+{:#x} exceeds file size {:#x}", i,
                             p.p_offset, p.p_filesz, b.size()));
    if (p.p_filesz > p.p_memsz)
      return make_error(strf("segment {} (PT_LOAD): p_filesz {:#x} exceeds p_memsz {:#x}", i, p.p_filesz, p.p_memsz));
    if (p.p_memsz > kMaxSegmentSize || p.p_vaddr > hi)
      return make_error(strf("segment {} (PT_LOAD): absurd size or address: vaddr {:#x} memsz {:#x}", i, p.p_vaddr,
                             p.p_memsz));
    uint64_t vaddr = p.p_vaddr + prog.load_bias;
    if (vaddr < lo || vaddr + p.p_memsz > hi) {
      if (role == ElfRole::app)
        return make_error(strf("segment {} (PT_LOAD) at {:#x}+{:#x} is outside the program area [{:#x}, {:#x}): link "
                               "at the default address (ld -Ttext-segment=0x400000) or as a static PIE",
                               i, vaddr, p.p_memsz, lo, hi));
      return make_error(strf("segment {} (PT_LOAD) at {:#x}+{:#x} is outside the LibOS area [{:#x}, {:#x})", i, vaddr,
                             p.p_memsz, lo, hi));
    }
    prog.segments.push_back({vaddr, p.p_memsz, p.p_offset, p.p_filesz, section_flags(p.p_flags)});
  }
  if (prog.segments.empty()) return make_error("no loadable segments (PT_LOAD)");
  std::sort(prog.segments.begin(), prog.segments.end(),
            [](const ElfSegment& a, const ElfSegment& b) { return a.vaddr < b.vaddr; });
  for (size_t i = 1; i < prog.segments.size(); ++i) {
    const auto& a = prog.segments[i - 1];
    const auto& c = prog.segments[i];
    if (c.vaddr < a.vaddr + a.memsz)
      return make_error(strf("overlapping segments: {:#x}+{:#x} and {:#x}+{:#x}", a.vaddr, a.memsz, c.vaddr, c.memsz));
  }

  prog.entry = eh.e_entry + prog.load_bias;
  bool entry_ok = false;
  for (const auto& s : prog.segments)
    if ((s.flags & abi::kSectionExec) && prog.entry >= s.vaddr && prog.entry - s.vaddr < s.filesz) entry_ok = true;
  if (!entry_ok)
    return make_error(strf("entry point {:#x} is not inside an executable segment", prog.entry));

  // AT_PHDR: PT_PHDR if present, else the loaded bytes that hold e_phoff.
  prog.phent = sizeof(Elf64_Phdr);
  prog.phnum = eh.e_phnum;
  for (const auto& p : phdrs)
    if (p.p_type == PT_PHDR) prog.phdr_addr = p.p_vaddr + prog.load_bias;
  if (prog.phdr_addr == 0) {
    for (const auto& s : prog.segments)
      if (eh.e_phoff >= s.offset && eh.e_phoff - s.offset <= s.filesz && ph_size <= s.filesz - (eh.e_phoff - s.offset))
        prog.phdr_addr = s.vaddr + (eh.e_phoff - s.offset);
  }
  bool phdr_ok = false;
  for (const auto& s : prog.segments)
    if (prog.phdr_addr >= s.vaddr && prog.phdr_addr - s.vaddr <= s.filesz && ph_size <= s.filesz - (prog.phdr_addr - s.vaddr))
      phdr_ok = true;
  if (!phdr_ok && role == ElfRole::app)
    return make_error(strf("program headers ({:#x}+{:#x}) are not inside a loaded segment", eh.e_phoff, ph_size));

  prog.bytes = std::move(bytes);
  read_sections(prog);
  if (prog.code.empty()) {
    for (const auto& s : prog.segments)
      if ((s.flags & abi::kSectionExec) && s.filesz) prog.code.push_back({s.vaddr, s.offset, s.filesz});
  }
  return prog;
}

Result<std::vector<uint8_t>> read_file(const std::string& path, uint64_t max_size) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(strf("{}: cannot open: {}", path, strerror(errno)), errno);
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return make_error(strf("{}: not a regular file", path));
  }
  if (static_cast<uint64_t>(st.st_size) > max_size) {
    close(fd);
    return make_error(strf("{}: file size {} exceeds the limit {}", path, st.st_size, max_size));
  }
  std::vector<uint8_t> out(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  close(fd);
  out.resize(done);
  return out;
}

Result<ElfProgram> load_elf(const std::string& path, ElfRole role) {
  auto bytes = TRY(read_file(path, kMaxFileSize));
  auto prog = parse_elf(std::move(bytes), role);
  if (!prog) return make_error(path + ": " + prog.error().message);
  return prog;
}

const char* elf_machine_name(uint16_t machine) {
  switch (machine) {
    case EM_386: return "i386";
    case EM_X86_64: return "x86-64";
    case EM_AARCH64: return "aarch64";
    case EM_ARM: return "arm";
    case EM_RISCV: return "riscv";
    case EM_PPC64: return "ppc64";
    case EM_S390: return "s390";
    case EM_MIPS: return "mips";
    default: return "unknown";
  }
}

}  // namespace shoal::builder

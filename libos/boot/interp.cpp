// The ELF interpreter loader (interp.hpp). The interpreter file comes from
// the image's root filesystem, which the builder wrote but a user may have
// edited: every header field is checked before it is used. Segments are
// mapped with the program's own mmap (sys_mmap): a reservation of the whole
// span, then each PT_LOAD MAP_FIXED inside it, as ld.so maps a library.
#include "boot/interp.hpp"

#include <shoal/abi/layout.h>

#include "core/errno.hpp"
#include "core/klib.hpp"
#include "core/panic.hpp"
#include "core/uaccess.hpp"
#include "fs/syscalls.hpp"
#include "mm/syscalls.hpp"
#include "sched/syscalls.hpp"
#include "uapi/elf.hpp"
#include "uapi/fcntl.hpp"
#include "uapi/limits.hpp"
#include "uapi/mman.hpp"

namespace libos {

namespace {

using namespace uapi;

constexpr uint64_t kPage = shoal::abi::kPageSize;
constexpr uint64_t kMaxSpan = 1ull << 30;  // larger than any real interpreter
constexpr uint16_t kMaxPhnum = 64;

uint64_t page_down(uint64_t v) { return v & ~(kPage - 1); }
uint64_t page_up(uint64_t v) { return (v + kPage - 1) & ~(kPage - 1); }

[[noreturn]] void fail(const char* interp, const char* why, long err) {
  kprint("shoal: cannot start the program: interpreter ");
  kprint(interp);
  kprint(": ");
  kprint(why);
  if (err < 0) {
    kprint(" (errno ");
    kprint_u64(static_cast<unsigned long long>(-err));
    kprint(err == -ENOENT ? ": no such file in the image)" : ")");
  }
  kprint("\n");
  sys_exit_group(127);
  panic("exit_group returned");
}

int prot_of(uint32_t flags) {
  return ((flags & PF_R) ? PROT_READ : 0) | ((flags & PF_W) ? PROT_WRITE : 0) | ((flags & PF_X) ? PROT_EXEC : 0);
}

// The PT_INTERP string of the mapped program, or nullptr.
const char* find_interp(uint64_t phdr, uint64_t phent, uint64_t phnum) {
  if (phdr == 0 || phent != sizeof(Elf64Phdr) || phnum == 0 || phnum > kMaxPhnum) return nullptr;
  // SAFETY: the monitor checked that the program headers lie in a loaded
  // app section (parse_image, app_phdr).
  const auto* ph = reinterpret_cast<const Elf64Phdr*>(phdr);
  // The load bias: PT_PHDR says where the headers were linked.
  uint64_t bias = 0;
  const Elf64Phdr* interp = nullptr;
  for (uint64_t i = 0; i < phnum; ++i) {
    if (ph[i].p_type == PT_PHDR) bias = phdr - ph[i].p_vaddr;
    if (ph[i].p_type == PT_INTERP) interp = &ph[i];
  }
  if (interp == nullptr) return nullptr;
  if (interp->p_filesz < 2 || interp->p_filesz > uapi::kPathMax) fail("?", "PT_INTERP has a bad size", 0);
  const char* s = reinterpret_cast<const char*>(interp->p_vaddr + bias);
  if (!user_readable(s, interp->p_filesz) || s[interp->p_filesz - 1] != '\0' || s[0] != '/')
    fail("?", "PT_INTERP is not an absolute, NUL-terminated path inside the program", 0);
  return s;
}

}  // namespace

Interp load_interpreter(uint64_t phdr, uint64_t phent, uint64_t phnum) {
  const char* path = find_interp(phdr, phent, phnum);
  if (path == nullptr) return {};
  long fd = sys_open(path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) fail(path, "cannot open", fd);
  // The headers are read through a page of program memory: the file
  // system's reads check their buffer as a program's (uaccess.hpp), and the
  // LibOS's own stack is not program memory.
  long page = sys_mmap(0, kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page < 0) fail(path, "no memory to read it", page);
  auto* buf = reinterpret_cast<uint8_t*>(page);
  long got = sys_pread64(static_cast<int>(fd), buf, sizeof(Elf64Ehdr), 0);
  if (got != static_cast<long>(sizeof(Elf64Ehdr))) fail(path, "shorter than an ELF header", got < 0 ? got : 0);
  Elf64Ehdr eh;
  memcpy(&eh, buf, sizeof eh);
  if (memcmp(eh.e_ident, ELFMAG, sizeof ELFMAG) != 0) fail(path, "not an ELF file (invalid ELF header)", 0);
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64)
    fail(path, "not a 64-bit x86-64 ELF file", 0);
  // Linux maps an ET_EXEC interpreter at its link address; shoal's window
  // places it, so it must be position-independent (every real one is).
  if (eh.e_type != ET_DYN) fail(path, "not a position-independent shared object (ET_DYN)", 0);
  if (eh.e_phentsize != sizeof(Elf64Phdr) || eh.e_phnum == 0 || eh.e_phnum > kMaxPhnum)
    fail(path, "bad program header table (e_phentsize, e_phnum)", 0);
  Elf64Phdr ph[kMaxPhnum];
  long want = static_cast<long>(eh.e_phnum * sizeof(Elf64Phdr));
  static_assert(kMaxPhnum * sizeof(Elf64Phdr) <= kPage);
  if (sys_pread64(static_cast<int>(fd), buf, static_cast<size_t>(want), static_cast<long>(eh.e_phoff)) != want)
    fail(path, "program header table past the end of the file", 0);
  memcpy(ph, buf, static_cast<size_t>(want));
  sys_munmap(static_cast<uint64_t>(page), kPage);

  // The span of the PT_LOAD segments, each checked.
  uint64_t lo = ~uint64_t{0}, hi = 0;
  for (uint16_t i = 0; i < eh.e_phnum; ++i) {
    const Elf64Phdr& p = ph[i];
    if (p.p_type != PT_LOAD || p.p_memsz == 0) continue;
    if (p.p_filesz > p.p_memsz || p.p_memsz > kMaxSpan || p.p_vaddr > kMaxSpan || p.p_offset > kMaxSpan ||
        (p.p_vaddr & (kPage - 1)) != (p.p_offset & (kPage - 1)))
      fail(path, "bad PT_LOAD segment (sizes, or offset and address not congruent)", 0);
    if (page_down(p.p_vaddr) < lo) lo = page_down(p.p_vaddr);
    if (page_up(p.p_vaddr + p.p_memsz) > hi) hi = page_up(p.p_vaddr + p.p_memsz);
  }
  if (hi == 0 || hi - lo > kMaxSpan) fail(path, "no loadable segments, or a span over 1 GiB", 0);

  // One reservation for the whole span, so the segments keep their distances.
  long base = sys_mmap(0, hi - lo, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base < 0) fail(path, "no address space for it", base);
  uint64_t bias = static_cast<uint64_t>(base) - lo;
  for (uint16_t i = 0; i < eh.e_phnum; ++i) {
    const Elf64Phdr& p = ph[i];
    if (p.p_type != PT_LOAD || p.p_memsz == 0) continue;
    int prot = prot_of(p.p_flags);
    uint64_t start = page_down(bias + p.p_vaddr);
    uint64_t file_end = bias + p.p_vaddr + p.p_filesz;
    uint64_t mem_end = page_up(bias + p.p_vaddr + p.p_memsz);
    if (p.p_filesz != 0) {
      // Writable first when a partial page of bss must be cleared in it.
      bool pad = p.p_memsz > p.p_filesz && (file_end & (kPage - 1)) != 0;
      long r = sys_mmap(start, page_up(file_end) - start, pad ? (prot | PROT_WRITE) : prot, MAP_PRIVATE | MAP_FIXED,
                        static_cast<int>(fd), page_down(p.p_offset));
      if (r < 0) fail(path, "cannot map a segment", r);
      if (pad) {
        // The rest of the last file page is the start of .bss, not file bytes.
        memset(reinterpret_cast<void*>(file_end), 0, page_up(file_end) - file_end);
        if (!(prot & PROT_WRITE)) (void)sys_mprotect(start, page_up(file_end) - start, prot);
      }
    }
    uint64_t anon = page_up(file_end);
    if (p.p_filesz == 0) anon = start;
    if (mem_end > anon) {
      long r = sys_mmap(anon, mem_end - anon, prot, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0);
      if (r < 0) fail(path, "cannot map a segment's bss", r);
    }
  }
  sys_close(static_cast<int>(fd));
  uint64_t entry = bias + eh.e_entry;
  if (entry < static_cast<uint64_t>(base) || entry >= static_cast<uint64_t>(base) + (hi - lo))
    fail(path, "entry point outside its segments", 0);
  return {static_cast<uint64_t>(base), entry};
}

}  // namespace libos

// native_run IMAGE [ARGS...]: runs a .shoal image's program as a plain Linux
// process, to test the syscall rewriter on real binaries without KVM. The app
// and trampolines sections are mapped at their guest addresses; the LibOS is
// replaced by native_entry.S at the shoal_syscall_entry address (found in the
// image's symbols section); the stack gets argc/argv/envp/auxv as Linux does.
//
// native_run --ld ENTRY LDSO [ARGS...]: the same for objects rewritten by
// rewrite_elf_object: native_entry.S goes to address ENTRY, the (rewritten)
// dynamic loader LDSO is mapped as the kernel maps a program and entered with
// argv = LDSO ARGS..., so `--ld ENTRY dir/ld.so --library-path dir dir/prog`
// runs a rewritten program on rewritten libraries.
//
// native_run --interp ENTRY LDSO PROG [ARGS...]: PROG (a PIE) and LDSO are
// both mapped, LDSO entered as PROG's interpreter (AT_PHDR of PROG, AT_BASE
// of LDSO), as the LibOS starts a dynamically linked program. Libraries come
// from NATIVE_RUN_LIBRARY_PATH (passed on as the program's LD_LIBRARY_PATH).
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <shoal/abi/layout.h>
#include <shoal/abi/syscall.h>
#include <shoal/image/format.hpp>

extern "C" char native_entry_begin[], native_entry_end[];

namespace {

[[noreturn]] void die(const std::string& m) {
  fprintf(stderr, "native_run: %s\n", m.c_str());
  _exit(125);
}

int prot_of(uint32_t flags) {
  return ((flags & shoal::abi::kSectionRead) ? PROT_READ : 0) | ((flags & shoal::abi::kSectionWrite) ? PROT_WRITE : 0) |
         ((flags & shoal::abi::kSectionExec) ? PROT_EXEC : 0);
}

// The dispatcher stand-in at `entry_addr` (two pages: it may straddle one).
void map_entry(uint64_t entry_addr) {
  uint64_t page = entry_addr & ~(shoal::abi::kPageSize - 1);
  void* ep = mmap(reinterpret_cast<void*>(page), 2 * shoal::abi::kPageSize, PROT_READ | PROT_WRITE | PROT_EXEC,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (ep != reinterpret_cast<void*>(page)) die("cannot map the entry page");
  memcpy(reinterpret_cast<void*>(entry_addr), native_entry_begin, native_entry_end - native_entry_begin);
}

// Builds the initial stack as the Linux ELF loader does and jumps to `entry`.
[[noreturn]] void start(const std::vector<const char*>& argv, char** envp, std::vector<std::pair<uint64_t, uint64_t>> aux,
                        uint64_t entry) {
  size_t stack_size = 8 << 20;
  auto* stack = static_cast<uint8_t*>(
      mmap(nullptr, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0));
  uint8_t* top = stack + stack_size;
  auto push_str = [&](const char* s) {
    size_t n = strlen(s) + 1;
    top -= n;
    memcpy(top, s, n);
    return reinterpret_cast<uint64_t>(top);
  };
  std::vector<uint64_t> args, envs;
  for (const char* a : argv) args.push_back(push_str(a));
  for (char** e = envp; *e; ++e) envs.push_back(push_str(*e));
  top -= 16;
  uint64_t random = reinterpret_cast<uint64_t>(top);
  memset(top, 0x5a, 16);
  std::vector<uint64_t> words;
  words.push_back(args.size());
  words.insert(words.end(), args.begin(), args.end());
  words.push_back(0);
  words.insert(words.end(), envs.begin(), envs.end());
  words.push_back(0);
  aux.insert(aux.end(), {{AT_PAGESZ, 4096},
                         {AT_RANDOM, random},
                         {AT_HWCAP, getauxval(AT_HWCAP)},
                         {AT_HWCAP2, getauxval(AT_HWCAP2)},
                         {AT_SECURE, 0},
                         {AT_UID, getuid()},
                         {AT_EUID, geteuid()},
                         {AT_GID, getgid()},
                         {AT_EGID, getegid()},
                         {AT_NULL, 0}});
  for (auto& a : aux) words.insert(words.end(), {a.first, a.second});
  top -= words.size() * 8;
  top = reinterpret_cast<uint8_t*>(reinterpret_cast<uintptr_t>(top) & ~uintptr_t{15});
  memcpy(top, words.data(), words.size() * 8);
  asm volatile("mov %0, %%rsp\n xor %%edx, %%edx\n xor %%ebp, %%ebp\n jmp *%1" ::"c"(top), "a"(entry) : "memory");
  __builtin_unreachable();
}

struct Mapped {
  uint64_t bias;   // load address - link address
  uint64_t phdr;   // where the program headers are in memory
  uint64_t phnum;
  uint64_t entry;  // bias applied
};

// Maps an ET_DYN file at an address the kernel picks, as binfmt_elf does:
// one reservation for the whole span, each PT_LOAD at its place in it, .bss
// zeroed; the program headers are found through PT_PHDR or the segment that
// holds e_phoff, as Linux computes AT_PHDR.
Mapped map_dyn(const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) die(std::string("cannot open ") + path);
  Elf64_Ehdr eh;
  if (pread(fd, &eh, sizeof eh, 0) != sizeof eh || eh.e_type != ET_DYN || eh.e_phentsize != sizeof(Elf64_Phdr))
    die(std::string(path) + ": not an ET_DYN ELF");
  std::vector<Elf64_Phdr> ph(eh.e_phnum);
  if (pread(fd, ph.data(), ph.size() * sizeof(Elf64_Phdr), static_cast<off_t>(eh.e_phoff)) !=
      static_cast<ssize_t>(ph.size() * sizeof(Elf64_Phdr)))
    die("short read of the program headers");
  uint64_t lo = ~uint64_t{0}, hi = 0, page = shoal::abi::kPageSize;
  for (const auto& p : ph)
    if (p.p_type == PT_LOAD) {
      lo = std::min(lo, p.p_vaddr & ~(page - 1));
      hi = std::max(hi, p.p_vaddr + p.p_memsz);
    }
  if (hi <= lo) die("no PT_LOAD");
  auto* base = static_cast<uint8_t*>(mmap(nullptr, hi - lo, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  if (base == MAP_FAILED) die("cannot reserve an object's span");
  Mapped m{reinterpret_cast<uint64_t>(base) - lo, 0, eh.e_phnum, 0};
  m.entry = m.bias + eh.e_entry;
  for (const auto& p : ph) {
    if (p.p_type == PT_PHDR) m.phdr = m.bias + p.p_vaddr;
    if (p.p_type != PT_LOAD) continue;
    if (!m.phdr && eh.e_phoff >= p.p_offset && eh.e_phoff - p.p_offset < p.p_filesz)
      m.phdr = m.bias + p.p_vaddr + (eh.e_phoff - p.p_offset);
    uint64_t start = (m.bias + p.p_vaddr) & ~(page - 1);
    uint64_t len = m.bias + p.p_vaddr + p.p_memsz - start;
    void* seg = mmap(reinterpret_cast<void*>(start), len, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (seg == MAP_FAILED) die("cannot map a segment");
    if (pread(fd, reinterpret_cast<void*>(m.bias + p.p_vaddr), p.p_filesz, static_cast<off_t>(p.p_offset)) !=
        static_cast<ssize_t>(p.p_filesz))
      die("short read of a segment");
    mprotect(seg, len,
             ((p.p_flags & PF_R) ? PROT_READ : 0) | ((p.p_flags & PF_W) ? PROT_WRITE : 0) |
                 ((p.p_flags & PF_X) ? PROT_EXEC : 0));
  }
  close(fd);
  return m;
}

// --ld ENTRY LDSO ARGS: the loader run as the program (`ld.so prog`).
// --interp ENTRY LDSO PROG ARGS: PROG mapped as the kernel maps a PIE with
// PT_INTERP, LDSO as its interpreter (AT_BASE), which is how the LibOS
// starts a dynamically linked program.
[[noreturn]] void run_dynamic(int argc, char** argv, char** envp, bool interp) {
  if (argc < (interp ? 5 : 4)) die("usage: native_run --ld ENTRY LDSO [ARGS...] | --interp ENTRY LDSO PROG [ARGS...]");
  uint64_t entry_addr = strtoull(argv[2], nullptr, 0);
  Mapped ld = map_dyn(argv[3]);
  map_entry(entry_addr);
  if (!interp) {
    std::vector<const char*> args(argv + 3, argv + argc);
    start(args, envp,
          {{AT_PHDR, ld.phdr}, {AT_PHENT, sizeof(Elf64_Phdr)}, {AT_PHNUM, ld.phnum}, {AT_ENTRY, ld.entry},
           {AT_BASE, 0}, {AT_EXECFN, reinterpret_cast<uint64_t>(argv[3])}},
          ld.entry);
  }
  Mapped prog = map_dyn(argv[4]);
  std::vector<const char*> args(argv + 4, argv + argc);
  // The program's LD_LIBRARY_PATH comes in as NATIVE_RUN_LIBRARY_PATH: as
  // LD_LIBRARY_PATH it would have loaded native_run itself on the rewritten
  // libraries, whose stubs call an entry not mapped yet.
  static std::vector<std::string> env_store;
  static std::vector<char*> env;
  constexpr std::string_view kLibPath = "NATIVE_RUN_LIBRARY_PATH=";
  for (char** e = envp; *e; ++e) {
    std::string_view v(*e);
    env_store.push_back(v.starts_with(kLibPath) ? "LD_LIBRARY_PATH=" + std::string(v.substr(kLibPath.size()))
                                                : std::string(v));
  }
  for (auto& e : env_store) env.push_back(e.data());
  env.push_back(nullptr);
  start(args, env.data(),
        {{AT_PHDR, prog.phdr}, {AT_PHENT, sizeof(Elf64_Phdr)}, {AT_PHNUM, prog.phnum}, {AT_ENTRY, prog.entry},
         {AT_BASE, ld.bias}, {AT_EXECFN, reinterpret_cast<uint64_t>(argv[4])}},
        ld.entry);
}

}  // namespace

int main(int argc, char** argv, char** envp) {
  using namespace shoal;
  if (argc >= 2 && strcmp(argv[1], "--ld") == 0) run_dynamic(argc, argv, envp, false);
  if (argc >= 2 && strcmp(argv[1], "--interp") == 0) run_dynamic(argc, argv, envp, true);
  if (argc < 2) die("usage: native_run IMAGE [ARGS...] | --ld ENTRY LDSO [ARGS...]");
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) die(std::string("cannot open ") + argv[1]);
  struct stat st;
  fstat(fd, &st);
  auto img = image::read_image(fd, static_cast<uint64_t>(st.st_size));
  if (!img) die(img.error().message);

  uint64_t entry_addr = 0;
  const auto* sym = image::find_section(*img, abi::SectionKind::symbols);
  if (!sym) die("no symbols section");
  std::vector<uint8_t> symbytes(sym->file_size);
  if (pread(fd, symbytes.data(), symbytes.size(), static_cast<off_t>(sym->file_offset)) < 0) die("read symbols");
  auto table = image::parse_symbols(symbytes);
  if (!table) die(table.error().message);
  for (size_t i = 0; i < table->size(); ++i)
    if (table->name_at(i) == abi::kSyscallEntrySymbol) entry_addr = table->entry(i).addr;
  if (!entry_addr) die("no shoal_syscall_entry symbol");

  for (const auto& s : img->sections) {
    if (s.kind != static_cast<uint32_t>(abi::SectionKind::app) &&
        s.kind != static_cast<uint32_t>(abi::SectionKind::trampolines))
      continue;
    void* p = mmap(reinterpret_cast<void*>(s.guest_addr), s.mem_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != reinterpret_cast<void*>(s.guest_addr)) die("cannot map a section at its guest address");
    if (pread(fd, p, s.file_size, static_cast<off_t>(s.file_offset)) != static_cast<ssize_t>(s.file_size))
      die("short read");
    mprotect(p, s.mem_size, prot_of(s.flags));
  }
  map_entry(entry_addr);
  // argv[0] is the image's name, as under shoal-vmm (busybox picks its applet by it).
  std::vector<const char*> args{img->header.name};
  for (int i = 2; i < argc; ++i) args.push_back(argv[i]);
  const auto& h = img->header;
  close(fd);
  start(args, envp,
        {{AT_PHDR, h.app_phdr}, {AT_PHENT, h.app_phent}, {AT_PHNUM, h.app_phnum}, {AT_ENTRY, h.app_entry}, {AT_BASE, 0}},
        h.app_entry);
}

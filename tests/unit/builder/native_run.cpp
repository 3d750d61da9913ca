// native_run IMAGE [ARGS...]: runs a .shoal image's program as a plain Linux
// process, to test the syscall rewriter on real binaries without KVM. The app
// and trampolines sections are mapped at their guest addresses; the LibOS is
// replaced by native_entry.S at the shoal_syscall_entry address (found in the
// image's symbols section); the stack gets argc/argv/envp/auxv as Linux does.
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
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

}  // namespace

int main(int argc, char** argv, char** envp) {
  using namespace shoal;
  if (argc < 2) die("usage: native_run IMAGE [ARGS...]");
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
  uint64_t page = entry_addr & ~(abi::kPageSize - 1);
  void* ep = mmap(reinterpret_cast<void*>(page), 2 * abi::kPageSize, PROT_READ | PROT_WRITE | PROT_EXEC,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (ep != reinterpret_cast<void*>(page)) die("cannot map the entry page");
  memcpy(reinterpret_cast<void*>(entry_addr), native_entry_begin, native_entry_end - native_entry_begin);

  // Initial stack, as the Linux ELF loader builds it.
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
  // argv[0] is the image's name, as under shoal-vmm (busybox picks its applet by it).
  args.push_back(push_str(img->header.name));
  for (int i = 2; i < argc; ++i) args.push_back(push_str(argv[i]));
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
  const auto& h = img->header;
  uint64_t aux[][2] = {{AT_PHDR, h.app_phdr}, {AT_PHENT, h.app_phent}, {AT_PHNUM, h.app_phnum},
                       {AT_PAGESZ, 4096},    {AT_ENTRY, h.app_entry}, {AT_RANDOM, random},
                       {AT_HWCAP, getauxval(AT_HWCAP)}, {AT_HWCAP2, getauxval(AT_HWCAP2)},
                       {AT_SECURE, 0},       {AT_BASE, 0},            {AT_NULL, 0}};
  for (auto& a : aux) words.insert(words.end(), {a[0], a[1]});
  top -= words.size() * 8;
  top = reinterpret_cast<uint8_t*>(reinterpret_cast<uintptr_t>(top) & ~uintptr_t{15});
  memcpy(top, words.data(), words.size() * 8);
  close(fd);
  asm volatile("mov %0, %%rsp\n xor %%edx, %%edx\n xor %%ebp, %%ebp\n jmp *%1" ::"c"(top), "a"(h.app_entry)
               : "memory");
  __builtin_unreachable();
}

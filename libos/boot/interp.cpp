// Boot's interpreter step (interp.hpp): the program the monitor mapped names
// its interpreter in PT_INTERP; the interpreter is loaded from the root
// filesystem by the one ELF loader (exec/elf_load.hpp), which execve uses too.
#include "boot/interp.hpp"

#include "core/errno.hpp"
#include "core/klib.hpp"
#include "core/panic.hpp"
#include "core/uaccess.hpp"
#include "exec/elf_load.hpp"
#include "fs/syscalls.hpp"
#include "sched/syscalls.hpp"
#include "uapi/elf.hpp"
#include "uapi/fcntl.hpp"
#include "uapi/limits.hpp"

namespace libos {

namespace {

using namespace uapi;

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

// The PT_INTERP string of the mapped program, or nullptr.
const char* find_interp(uint64_t phdr, uint64_t phent, uint64_t phnum) {
  if (phdr == 0 || phent != sizeof(Elf64Phdr) || phnum == 0 || phnum > exec::kMaxPhnum) return nullptr;
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
  static exec::ElfFile file;  // 3.6 KiB: not on the boot stack
  long r = exec::elf_read(static_cast<int>(fd), &file);
  // elf_read copied the header before it checked it.
  if (r < 0 && memcmp(file.eh.e_ident, ELFMAG, sizeof ELFMAG) != 0) fail(path, "not an ELF file (invalid ELF header)", 0);
  if (r < 0) fail(path, "not a loadable 64-bit x86-64 ELF file (bad header, program headers or segments)", r);
  // Linux maps an ET_EXEC interpreter at its link address; shoal's window
  // places it, so it must be position-independent (every real one is).
  if (file.eh.e_type != ET_DYN) fail(path, "not a position-independent shared object (ET_DYN)", 0);
  exec::Loaded loaded;
  r = exec::elf_map(file, &loaded);
  if (r < 0) fail(path, "cannot map its segments", r);
  sys_close(static_cast<int>(fd));
  return {loaded.base, loaded.entry};
}

}  // namespace libos

// The ELF loader (exec/elf_load.hpp). The file comes from the image's root
// filesystem, which the builder wrote but a user may have edited, or from
// /tmp, which the program wrote: every header field is checked before use.
#include "exec/elf_load.hpp"

#include <shoal/abi/layout.h>

#include "core/boot_flags.hpp"
#include "core/errno.hpp"
#include "core/klib.hpp"
#include "fs/syscalls.hpp"
#include "mm/heap_protect.hpp"
#include "mm/kmalloc.hpp"
#include "mm/syscalls.hpp"
#include "uapi/limits.hpp"
#include "uapi/mman.hpp"
#include "uapi/stat.hpp"

namespace libos::exec {

namespace {

using namespace uapi;

constexpr uint64_t kPage = shoal::abi::kPageSize;
constexpr uint64_t kMaxSpan = 1ull << 30;  // larger than any real program

uint64_t page_down(uint64_t v) { return v & ~(kPage - 1); }
uint64_t page_up(uint64_t v) { return (v + kPage - 1) & ~(kPage - 1); }

int prot_of(uint32_t flags) {
  return ((flags & PF_R) ? PROT_READ : 0) | ((flags & PF_W) ? PROT_WRITE : 0) | ((flags & PF_X) ? PROT_EXEC : 0);
}

// pread into LibOS memory: kmalloc'd buffers lie in the heap area, which the
// file system's user-pointer checks accept (the boot stack would not be).
long read_exact(int fd, void* buf, uint64_t len, uint64_t off) {
  long got = sys_pread64(fd, buf, len, static_cast<long>(off));
  if (got < 0) return got;
  return static_cast<uint64_t>(got) == len ? 0 : -EIO;
}

// Where the program headers are in memory: PT_PHDR's address, else inside
// the PT_LOAD that holds them in the file (as binfmt_elf computes AT_PHDR).
uint64_t phdr_address(const ElfFile& f, uint64_t bias) {
  for (uint16_t i = 0; i < f.eh.e_phnum; ++i)
    if (f.ph[i].p_type == PT_PHDR) return f.ph[i].p_vaddr + bias;
  for (uint16_t i = 0; i < f.eh.e_phnum; ++i) {
    const Elf64Phdr& p = f.ph[i];
    if (p.p_type == PT_LOAD && f.eh.e_phoff >= p.p_offset && f.eh.e_phoff - p.p_offset < p.p_filesz)
      return p.p_vaddr + (f.eh.e_phoff - p.p_offset) + bias;
  }
  return 0;
}

// ET_DYN: one reservation for the whole span in the window, so the
// segments keep their distances, then each segment MAP_FIXED from the file.
long map_anywhere(const ElfFile& f, Loaded* out) {
  long base = sys_mmap(0, f.hi - f.lo, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base < 0) return base;
  uint64_t bias = static_cast<uint64_t>(base) - f.lo;
  for (uint16_t i = 0; i < f.eh.e_phnum; ++i) {
    const Elf64Phdr& p = f.ph[i];
    if (p.p_type != PT_LOAD || p.p_memsz == 0) continue;
    int prot = prot_of(p.p_flags);
    uint64_t start = page_down(bias + p.p_vaddr);
    uint64_t file_end = bias + p.p_vaddr + p.p_filesz;
    uint64_t mem_end = page_up(bias + p.p_vaddr + p.p_memsz);
    if (p.p_filesz != 0) {
      // Writable first when a partial page of bss must be cleared in it.
      bool pad = p.p_memsz > p.p_filesz && (file_end & (kPage - 1)) != 0;
      long r = sys_mmap(start, page_up(file_end) - start, pad ? (prot | PROT_WRITE) : prot, MAP_PRIVATE | MAP_FIXED,
                        f.fd, page_down(p.p_offset));
      if (r < 0) return r;
      if (pad) {
        // The rest of the last file page is the start of .bss, not file bytes.
        memset(reinterpret_cast<void*>(file_end), 0, page_up(file_end) - file_end);
        if (!(prot & PROT_WRITE)) (void)sys_mprotect(start, page_up(file_end) - start, prot);
      }
    }
    uint64_t anon = p.p_filesz == 0 ? start : page_up(file_end);
    if (mem_end > anon) {
      long r = sys_mmap(anon, mem_end - anon, prot, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0);
      if (r < 0) return r;
    }
  }
  out->bias = bias;
  out->base = static_cast<uint64_t>(base);
  return 0;
}

// The rights of a page as heap_protect::prot_at reports them.
int normal(int prot) { return prot == 0 ? 0 : PROT_READ | (prot & (PROT_WRITE | PROT_EXEC)); }

// The rights page p gets from the segments of f (several share a page: all).
int target_prot(const ElfFile& f, uint64_t p) {
  int prot = 0;
  for (uint16_t i = 0; i < f.eh.e_phnum; ++i) {
    const Elf64Phdr& s = f.ph[i];
    if (s.p_type == PT_LOAD && s.p_memsz != 0 && p + kPage > s.p_vaddr && p < s.p_vaddr + s.p_memsz)
      prot |= prot_of(s.p_flags);
  }
  return normal(prot);
}

// Writes segment p's bytes: the file's whole pages (as a mapping would; past
// the file's end a page reads as zero), then zeroed bss. The pages are
// writable. 0 or -errno.
long fill_segment(const ElfFile& f, const Elf64Phdr& p) {
  uint64_t start = page_down(p.p_vaddr);
  uint64_t file_end = p.p_vaddr + p.p_filesz;
  uint64_t mem_end = page_up(p.p_vaddr + p.p_memsz);
  uint64_t copy_end = p.p_filesz == 0 ? start : page_up(file_end);
  if (copy_end > start) {
    long got = sys_pread64(f.fd, reinterpret_cast<void*>(start), copy_end - start,
                           static_cast<long>(page_down(p.p_offset)));
    if (got < 0) return got;
    uint64_t got_end = start + static_cast<uint64_t>(got);
    if (got_end < file_end) return -EIO;
    if (got_end < copy_end) memset(reinterpret_cast<void*>(got_end), 0, copy_end - got_end);
  }
  // bss: the rest of the last file page, and whole pages after it.
  if (mem_end > file_end && p.p_filesz != 0)
    memset(reinterpret_cast<void*>(file_end), 0, (copy_end > file_end ? copy_end : file_end) - file_end);
  if (mem_end > copy_end) memset(reinterpret_cast<void*>(copy_end), 0, mem_end - copy_end);
  return 0;
}

// Whether page p (read-only in f) already holds what f would put there.
bool page_matches(const ElfFile& f, uint64_t p, uint8_t* buf) {
  memset(buf, 0, kPage);
  for (uint16_t i = 0; i < f.eh.e_phnum; ++i) {
    const Elf64Phdr& s = f.ph[i];
    if (s.p_type != PT_LOAD || s.p_memsz == 0 || s.p_filesz == 0) continue;
    uint64_t lo = page_down(s.p_vaddr), hi = page_up(s.p_vaddr + s.p_filesz);
    if (p < lo || p >= hi) continue;
    long got = sys_pread64(f.fd, buf, kPage, static_cast<long>(page_down(s.p_offset) + (p - lo)));
    if (got < 0) return false;
    // Past the file's end or the segment's file bytes the page is zero.
    uint64_t keep = s.p_vaddr + s.p_filesz > p + kPage ? kPage : s.p_vaddr + s.p_filesz - p;
    if (static_cast<uint64_t>(got) < keep) return false;
    if (keep < kPage) memset(buf + keep, 0, kPage - keep);
  }
  return memcmp(buf, reinterpret_cast<const void*>(p), kPage) == 0;
}

// The same program again (busybox running an applet, a shell re-executing
// itself): when every page of the image area already has the rights f
// gives it and every read-only page holds f's bytes, only the writable
// segments are written, and no page table changes. That matters here: a
// new table makes the shadow MMU fault every page of its 2 MiB region again
// (~20 us each under kvm_pvm, PLATFORM.md). False (nothing written) when
// the general path is needed.
bool load_in_place(const ElfFile& f) {
  uint64_t area_hi = image_area_end();
  auto* buf = static_cast<uint8_t*>(kmalloc(kPage));
  if (buf == nullptr) return false;
  bool same = true;
  for (uint64_t p = shoal::abi::kAppMinAddr; p < area_hi && same; p += kPage) {
    int want = target_prot(f, p);
    if (mm::heap_protect::prot_at(p) != want) same = false;
    else if (want != 0 && !(want & PROT_WRITE)) same = page_matches(f, p, buf);
  }
  kfree(buf);
  // A read-only segment sharing a page with a writable one: that page may
  // hold the old program's writes over the read-only part (general path).
  for (uint16_t i = 0; i < f.eh.e_phnum && same; ++i) {
    const Elf64Phdr& p = f.ph[i];
    if (p.p_type != PT_LOAD || p.p_memsz == 0 || (p.p_flags & PF_W)) continue;
    uint64_t last = page_down(p.p_vaddr + p.p_memsz - 1);
    same = !(target_prot(f, page_down(p.p_vaddr)) & PROT_WRITE) && !(target_prot(f, last) & PROT_WRITE);
  }
  if (!same) return false;
  for (uint16_t i = 0; i < f.eh.e_phnum; ++i) {
    const Elf64Phdr& p = f.ph[i];
    if (p.p_type == PT_LOAD && p.p_memsz != 0 && (p.p_flags & PF_W) && fill_segment(f, p) < 0) return false;
  }
  return true;
}

// ET_EXEC: at its link addresses in the image area, in place when it can
// (load_in_place). Otherwise the area's pages become absent, then each
// segment's pages read-write, get the file's bytes and zeroed bss, then the
// segment's rights; a page two segments share gets the rights of both.
long map_at_link(const ElfFile& f, Loaded* out) {
  out->bias = 0;
  out->base = f.lo;
  if (load_in_place(f)) return 0;
  clear_image_area();
  uint64_t prev_end = 0;
  int prev_prot = 0;
  for (uint16_t i = 0; i < f.eh.e_phnum; ++i) {
    const Elf64Phdr& p = f.ph[i];
    if (p.p_type != PT_LOAD || p.p_memsz == 0) continue;
    uint64_t start = page_down(p.p_vaddr);
    uint64_t mem_end = page_up(p.p_vaddr + p.p_memsz);
    long r = mm::heap_protect::protect(start, mem_end - start, PROT_READ | PROT_WRITE | PROT_EXEC);
    if (r < 0) return r;
    r = fill_segment(f, p);
    if (r < 0) return r;
    int prot = prot_of(p.p_flags);
    r = mm::heap_protect::protect(start, mem_end - start, prot);
    if (r < 0) return r;
    if (prev_end > start) {
      r = mm::heap_protect::protect(start, prev_end - start, prot | prev_prot);
      if (r < 0) return r;
    }
    prev_end = mem_end;
    prev_prot = prot;
  }
  return 0;
}

}  // namespace

void clear_image_area() {
  uint64_t lo = shoal::abi::kAppMinAddr, hi = image_area_end();
  if (hi > lo) (void)mm::heap_protect::protect(lo, hi - lo, PROT_NONE);
}

uint64_t image_area_end() {
  const auto& boot = boot_info();
  return boot.rootfs_addr != 0 ? page_down(boot.rootfs_addr) : page_up(boot.image_end);
}

long elf_read(int fd, ElfFile* out) {
  out->fd = fd;
  auto* buf = static_cast<uint8_t*>(kmalloc(kMaxPhnum * sizeof(Elf64Phdr)));
  if (buf == nullptr) return -ENOMEM;
  long r = read_exact(fd, buf, sizeof(Elf64Ehdr), 0);
  if (r < 0) {
    kfree(buf);
    return r == -EIO ? -ENOEXEC : r;
  }
  Elf64Ehdr& eh = out->eh;
  memcpy(&eh, buf, sizeof eh);
  r = 0;
  if (memcmp(eh.e_ident, ELFMAG, sizeof ELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64 ||
      (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) || eh.e_phentsize != sizeof(Elf64Phdr) || eh.e_phnum == 0 ||
      eh.e_phnum > kMaxPhnum || eh.e_phoff > kMaxSpan) {
    r = -ENOEXEC;
  } else {
    r = read_exact(fd, buf, eh.e_phnum * sizeof(Elf64Phdr), eh.e_phoff);
    if (r == -EIO) r = -ENOEXEC;
    if (r == 0) memcpy(out->ph, buf, eh.e_phnum * sizeof(Elf64Phdr));
  }
  kfree(buf);
  if (r < 0) return r;

  // The span of the PT_LOAD segments, each checked.
  uint64_t lo = ~uint64_t{0}, hi = 0;
  out->interp_len = 0;
  for (uint16_t i = 0; i < eh.e_phnum; ++i) {
    const Elf64Phdr& p = out->ph[i];
    if (p.p_type == PT_INTERP) {
      if (p.p_filesz < 2 || p.p_filesz > uapi::kPathMax || p.p_offset > kMaxSpan) return -ENOEXEC;
      out->interp_off = p.p_offset;
      out->interp_len = p.p_filesz;
    }
    if (p.p_type != PT_LOAD || p.p_memsz == 0) continue;
    if (p.p_filesz > p.p_memsz || p.p_memsz > kMaxSpan || p.p_vaddr > kMaxSpan << 2 || p.p_offset > kMaxSpan ||
        (p.p_vaddr & (kPage - 1)) != (p.p_offset & (kPage - 1)))
      return -ENOEXEC;
    if (page_down(p.p_vaddr) < lo) lo = page_down(p.p_vaddr);
    if (page_up(p.p_vaddr + p.p_memsz) > hi) hi = page_up(p.p_vaddr + p.p_memsz);
  }
  if (hi == 0 || hi - lo > kMaxSpan) return -ENOEXEC;
  // Every segment's bytes must be in the file: Linux would map past the end
  // and fault at the first touch (SIGBUS); shoal copies an ET_EXEC program
  // after its point of no return, so it refuses such a file while the caller
  // can still be told.
  auto* st = static_cast<Stat*>(kmalloc(sizeof(Stat)));
  if (st == nullptr) return -ENOMEM;
  long sr = sys_fstat(fd, st);
  uint64_t size = static_cast<uint64_t>(st->size);
  kfree(st);
  if (sr < 0) return sr;
  for (uint16_t i = 0; i < eh.e_phnum; ++i) {
    const Elf64Phdr& p = out->ph[i];
    if (p.p_type == PT_LOAD && p.p_memsz != 0 && p.p_offset + p.p_filesz > size) return -ENOEXEC;
  }
  out->lo = lo;
  out->hi = hi;
  uint64_t entry_link = eh.e_entry;
  if (entry_link < lo || entry_link >= hi) return -ENOEXEC;
  if (eh.e_type == ET_EXEC && (lo < shoal::abi::kAppMinAddr || hi > image_area_end())) return -ENOMEM;
  return 0;
}

long elf_interp_path(const ElfFile& f, char* buf, uint64_t cap) {
  if (f.interp_len == 0 || f.interp_len > cap) return -ENOEXEC;
  long r = read_exact(f.fd, buf, f.interp_len, f.interp_off);
  if (r < 0) return -ENOEXEC;
  if (buf[f.interp_len - 1] != '\0' || buf[0] != '/' || strlen(buf) != f.interp_len - 1) return -ENOEXEC;
  return 0;
}

long elf_map(const ElfFile& f, Loaded* out) {
  long r = f.eh.e_type == ET_EXEC ? map_at_link(f, out) : map_anywhere(f, out);
  if (r < 0) return r;
  out->entry = f.eh.e_entry + out->bias;
  out->phdr = phdr_address(f, out->bias);
  return 0;
}

}  // namespace libos::exec

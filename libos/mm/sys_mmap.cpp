// mmap, munmap, mremap, mprotect, madvise and friends over the page-range
// allocator. Guest memory is identity-mapped once by the monitor, so these
// only manage address ranges; pages the program frees are zeroed (or handed
// back to the host) so that they read as zero when mapped again.
//
// Every mapping the program places (anonymous or file, any protection) goes
// to the reservation window (mm/window.hpp): there a reservation costs
// nothing, the parts mapped readable or writable are committed out of guest
// memory, a touch of a never-committed part faults, and mprotect gives each
// page its rights. Only MAP_FIXED mappings into the heap area (beside brk)
// and the break itself live in the heap area, where mprotect splits the
// monitor's 2 MiB entries into 4 KiB ones (mm/heap_protect.hpp). Elsewhere
// (the image, the main stack) mprotect validates its arguments and returns 0.
#include "core/errno.hpp"
#include "core/family.hpp"
#include "core/klib.hpp"
#include "mm/file_map.hpp"
#include "mm/heap_protect.hpp"
#include "mm/page_alloc.hpp"
#include "mm/syscalls.hpp"
#include "mm/window.hpp"
#include "core/window.hpp"
#include "uapi/mman.hpp"

using namespace libos;
using namespace libos::uapi;  // Linux's names, as the man pages spell them

namespace {

long no_files(int, void*, size_t, uint64_t, bool) { return -EBADF; }
// Constant-initialized; fs/init.cpp registers fs_mmap_file.
constinit mm::FileReader g_file_reader = no_files;
long no_sharing(int, size_t, uint64_t, bool) { return -ENODEV; }
constinit mm::FileSharer g_file_sharer = no_sharing;
void no_shared_unmap(uint64_t, uint64_t) {}
constinit mm::SharedUnmap g_shared_unmap = no_shared_unmap;

constexpr int kProtMask = PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN | PROT_GROWSUP;

bool aligned(uint64_t v) { return (v & (mm::kPage - 1)) == 0; }

// Rounds len up to pages; 0 on overflow.
uint64_t page_len(uint64_t len) {
  if (len > ~uint64_t{0} - mm::kPage) return 0;
  return mm::page_up(len);
}

bool shared_write(int prot, int flags) {
  return (prot & PROT_WRITE) != 0 && (flags & MAP_TYPE) != MAP_PRIVATE;
}

// mmap into the reservation window: a reservation, committed unless PROT_NONE.
long window_mmap(uint64_t addr, uint64_t size, int prot, int flags, int fd, uint64_t off) {
  bool anonymous = (flags & MAP_ANONYMOUS) != 0;
  uint64_t where = 0;
  if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) != 0) {
    if ((flags & MAP_FIXED_NOREPLACE) != 0 && !mm::window::is_free(addr, size)) return -EEXIST;
    // A fixed mapping replaces what was there: the new one reads as zero. A
    // file mapping is not zeroed first: the file reader writes every byte of
    // it (the file, then zeros past its end), and zeroing 64 KiB or more
    // hands the pages back to the host, so that the copy then took a first
    // touch (~22 us) per page again. ld.so maps each library's segments so,
    // over the span it mapped from the same file a moment before.
    if (anonymous) mm::window::zero(addr, size);
    if (!mm::window::reserve_fixed(addr, size)) return -ENOMEM;
    where = addr;
  } else {
    where = mm::window::reserve(addr, size);
    if (where == 0) return -ENOMEM;
  }
  // The pages get the rights prot asks for (committed unless PROT_NONE; a
  // file is read in through read-write pages first).
  bool huge = size >= mm::kHugeThreshold;
  long r = mm::window::protect(where, size, anonymous ? prot : 3, huge);
  if (r < 0) {
    mm::window::unmap(where, size);
    return r;
  }
  if (!anonymous) {
    r = g_file_reader(fd, reinterpret_cast<void*>(where), size, off, shared_write(prot, flags));
    if (r >= 0 && (prot & 3) != 3) r = mm::window::protect(where, size, prot, huge);
    if (r < 0) {
      mm::window::unmap(where, size);
      return r;
    }
  }
  return static_cast<long>(where);
}

}  // namespace

long sys_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd, uint64_t off) {
  if (len == 0 || !aligned(off)) return -EINVAL;
  if ((prot & ~kProtMask) != 0) return -EINVAL;
  int type = flags & MAP_TYPE;
  if (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE) return -EINVAL;
  uint64_t size = page_len(len);
  if (size == 0) return -ENOMEM;
  bool anonymous = (flags & MAP_ANONYMOUS) != 0;
  bool fixed = (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) != 0;
  if (fixed && !aligned(addr)) return -EINVAL;
  // A file whose memory is shared as it is (/dev/shm in the family region):
  // the mapping is that memory, at its one address, not a copy. A fixed
  // address cannot be honoured there: such a mapping stays a copy.
  if (!anonymous && type != MAP_PRIVATE && !fixed) {
    long r = g_file_sharer(fd, size, off, shared_write(prot, flags));
    if (r != -ENODEV) return r;
  }
  if (window::contains(addr, size) && (fixed || aligned(addr))) return window_mmap(addr, size, prot, flags, fd, off);
  // Every mapping the program places itself goes to the window, where its
  // pages have the rights it asks for (mprotect included). Only MAP_FIXED
  // into the heap area (next to brk) stays there (protected below).
  if (!fixed) {
    long r = window_mmap(0, size, prot, flags, fd, off);
    if (r != -ENOMEM) return r;
    // The window's address space or its range table is full: the heap area
    // still serves an accessible mapping.
    if ((prot & 7) == 0) return r;
  }

  uint64_t where = 0;
  if (fixed) {
    if (addr < mm::heap_lo() || addr + size < addr || addr + size > mm::heap_hi()) return -ENOMEM;
    if ((flags & MAP_FIXED_NOREPLACE) != 0 && !mm::is_free(addr, size)) return -EEXIST;
    // A fixed mapping replaces what was there: the new one reads as zero.
    mm::release(addr, size);
    if (!mm::map(addr, size)) return -ENOMEM;
    where = addr;
  } else if (addr != 0 && aligned(addr) && mm::is_free(addr, size) && addr >= mm::page_up(mm::brk_current())) {
    if (!mm::map(addr, size)) return -ENOMEM;
    where = addr;
  } else {
    // A large mapping starts on a 2 MiB boundary so that host huge pages
    // cover all of it.
    where = size >= mm::kHugeThreshold ? mm::alloc_top_down_aligned(size, mm::kHugeChunk) : 0;
    if (where == 0) where = mm::alloc_top_down(size);
    if (where == 0) return -ENOMEM;
  }
  if (anonymous && size >= mm::kHugeThreshold) mm::advise_huge(where, size);

  if (!anonymous) {
    // A private copy of the file. MAP_SHARED file mappings get the same copy:
    // writes to it do not reach the file (there is one process, no sharer).
    long r = g_file_reader(fd, reinterpret_cast<void*>(where), size, off, shared_write(prot, flags));
    if (r < 0) {
      mm::release(where, size);
      return r;
    }
  }
  // The pages get the rights prot asks for (the file read in first).
  if ((prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) != (PROT_READ | PROT_WRITE | PROT_EXEC) &&
      mm::heap_protect::protect(where, size, prot) < 0) {
    mm::release(where, size);
    return -ENOMEM;
  }
  return static_cast<long>(where);
}

long sys_munmap(uint64_t addr, uint64_t len) {
  if (!aligned(addr) || len == 0) return -EINVAL;
  uint64_t size = page_len(len);
  if (size == 0 || addr + size < addr) return -EINVAL;
  if (window::contains(addr, size)) {
    mm::window::unmap(addr, size);
    return 0;
  }
  // The family region: /dev/shm mappings end (their memory stays the file's).
  if (family::contains(addr, size)) {
    g_shared_unmap(addr, size);
    return 0;
  }
  // Only the heap area is the allocator's; unmapping elsewhere (the image)
  // is accepted and does nothing.
  uint64_t lo = addr < mm::heap_lo() ? mm::heap_lo() : addr;
  uint64_t hi = addr + size > mm::heap_hi() ? mm::heap_hi() : addr + size;
  if (lo < hi) mm::release(lo, hi - lo);
  return 0;
}

namespace {

// mremap of a window mapping: shrink in place, grow in place when the
// address space after it is free, else move (copying the committed bytes).
long window_mremap(uint64_t old_addr, uint64_t old_size, uint64_t new_size, int flags, uint64_t new_addr) {
  if (!mm::window::is_reserved(old_addr, old_size)) return -EFAULT;
  bool committed = window::committed(old_addr, old_size);
  if ((flags & MREMAP_FIXED) == 0) {
    if (new_size <= old_size) {
      mm::window::unmap(old_addr + new_size, old_size - new_size);
      return static_cast<long>(old_addr);
    }
    uint64_t grow = new_size - old_size;
    if (mm::window::is_free(old_addr + old_size, grow)) {
      if (!mm::window::reserve_fixed(old_addr + old_size, grow)) return -ENOMEM;
      // A growing mapping is likely to grow again: advise as much again as
      // it has (up to 64 MiB) with this commit (window.hpp, commit).
      uint64_t ahead = new_size < (64ull << 20) ? new_size : (64ull << 20);
      if (committed && mm::window::commit(old_addr + old_size, grow, new_size >= mm::kHugeThreshold, ahead) < 0) {
        mm::window::unmap(old_addr + old_size, grow);
        return -ENOMEM;
      }
      return static_cast<long>(old_addr);
    }
    if ((flags & MREMAP_MAYMOVE) == 0) return -ENOMEM;
    new_addr = mm::window::reserve_growable(new_size);
    if (new_addr == 0) return -ENOMEM;
  } else {
    if (!aligned(new_addr) || !window::contains(new_addr, new_size)) return -EINVAL;
    if (new_addr < old_addr + old_size && old_addr < new_addr + new_size) return -EINVAL;
    mm::window::unmap(new_addr, new_size);
    if (!mm::window::reserve_fixed(new_addr, new_size)) return -ENOMEM;
  }
  if (committed) {
    if (mm::window::commit(new_addr, new_size, new_size >= mm::kHugeThreshold) < 0) {
      mm::window::unmap(new_addr, new_size);
      return -ENOMEM;
    }
    memcpy(reinterpret_cast<void*>(new_addr), reinterpret_cast<void*>(old_addr),
           old_size < new_size ? old_size : new_size);
  }
  mm::window::unmap(old_addr, old_size);
  return static_cast<long>(new_addr);
}

}  // namespace

long sys_mremap(uint64_t old_addr, uint64_t old_len, uint64_t new_len, int flags, uint64_t new_addr) {
  if ((flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) != 0) return -EINVAL;
  if ((flags & MREMAP_FIXED) != 0 && (flags & MREMAP_MAYMOVE) == 0) return -EINVAL;
  if ((flags & MREMAP_DONTUNMAP) != 0) return -EINVAL;  // not supported here
  if (!aligned(old_addr)) return -EINVAL;
  uint64_t old_size = page_len(old_len);
  uint64_t new_size = page_len(new_len);
  if (new_size == 0) return -EINVAL;
  if (old_size == 0) return -EINVAL;  // duplicating a shared mapping: not supported
  if (window::contains(old_addr, old_size)) return window_mremap(old_addr, old_size, new_size, flags, new_addr);
  if (!mm::is_mapped(old_addr, old_size)) return -EFAULT;
  // The pages are copied, then freed: readable first. (A moved mapping is
  // read-write-execute at its new place; the rights are not carried over.)
  mm::heap_protect::reset(old_addr, old_size);

  if ((flags & MREMAP_FIXED) != 0) {
    if (!aligned(new_addr)) return -EINVAL;
    if (new_addr < mm::heap_lo() || new_addr + new_size < new_addr || new_addr + new_size > mm::heap_hi()) {
      return -EINVAL;
    }
    if (new_addr < old_addr + old_size && old_addr < new_addr + new_size) return -EINVAL;
    mm::release(new_addr, new_size);
    if (!mm::map(new_addr, new_size)) return -ENOMEM;
    memcpy(reinterpret_cast<void*>(new_addr), reinterpret_cast<void*>(old_addr),
           old_size < new_size ? old_size : new_size);
    mm::release(old_addr, old_size);
    return static_cast<long>(new_addr);
  }
  if (new_size <= old_size) {
    mm::release(old_addr + new_size, old_size - new_size);
    return static_cast<long>(old_addr);
  }
  uint64_t grow = new_size - old_size;
  if (mm::is_free(old_addr + old_size, grow) && mm::map(old_addr + old_size, grow)) {
    if (new_size >= mm::kHugeThreshold) mm::advise_huge(old_addr + old_size, grow);
    return static_cast<long>(old_addr);
  }
  if ((flags & MREMAP_MAYMOVE) == 0) return -ENOMEM;
  // A mapping that must move goes to the reservation window, with free
  // address space after it: the next growths happen in place, committing
  // frames, and copy nothing (a realloc loop copies once, not every time).
  // The copy writes old_size bytes of fresh frames: from half a chunk up,
  // one host huge-page fault per chunk costs far less than a fault per
  // 4 KiB page (~22 us each here), and host memory stays within twice what
  // is written.
  uint64_t moved = mm::window::reserve_growable(new_size);
  bool huge = new_size >= mm::kHugeThreshold || old_size >= mm::kHugeChunk / 2;
  if (moved != 0 && mm::window::commit(moved, new_size, huge, huge ? new_size : 0) == 0) {
    memcpy(reinterpret_cast<void*>(moved), reinterpret_cast<void*>(old_addr), old_size);
    mm::release(old_addr, old_size);
    return static_cast<long>(moved);
  }
  if (moved != 0) mm::window::unmap(moved, new_size);
  uint64_t fresh = mm::alloc_top_down(new_size);
  if (fresh == 0) return -ENOMEM;
  memcpy(reinterpret_cast<void*>(fresh), reinterpret_cast<void*>(old_addr), old_size);
  mm::release(old_addr, old_size);
  return static_cast<long>(fresh);
}

long sys_mprotect(uint64_t addr, uint64_t len, int prot) {
  if (!aligned(addr)) return -EINVAL;
  if ((prot & ~kProtMask) != 0) return -EINVAL;
  if (len == 0) return 0;
  uint64_t size = page_len(len);
  if (size == 0 || addr + size < addr) return -ENOMEM;
  if (window::contains(addr, size)) {
    // As Linux: the whole range must be mapped. Making a reservation
    // accessible commits it; PROT_NONE leaves committed chunks as they are.
    if (!mm::window::is_reserved(addr, size)) return -ENOMEM;
    // No huge pages here: glibc makes each thread's 8 MiB stack and its malloc
    // arenas accessible this way and touches little of them; a host huge page
    // would cost 2 MiB per touched 2 MiB.
    return mm::window::protect(addr, size, prot, false);
  }
  // The heap area: as Linux, the whole part of the range inside it must be
  // mapped (the break or a mapping placed there).
  uint64_t lo = addr < mm::heap_lo() ? mm::heap_lo() : addr;
  uint64_t hi = addr + size > mm::heap_hi() ? mm::heap_hi() : addr + size;
  if (lo < hi) {
    if (!mm::is_mapped(lo, hi - lo)) return -ENOMEM;
    return mm::heap_protect::protect(lo, hi - lo, prot);
  }
  // The image and the main stack: not enforced (see the top of this file).
  return 0;
}

// The advice values Linux 6.1 knows (MADV_NORMAL..MADV_DONTNEED,
// MADV_FREE..MADV_COLLAPSE); all are hints here except the zeroing ones.
bool madvise_valid(int advice) { return (advice >= 0 && advice <= 4) || (advice >= 8 && advice <= 25); }

long sys_madvise(uint64_t addr, uint64_t len, int advice) {
  if (!madvise_valid(advice)) return -EINVAL;
  if (!aligned(addr)) return -EINVAL;
  if (len == 0) return 0;
  uint64_t size = page_len(len);
  if (size == 0 || addr + size < addr) return -EINVAL;
  // MADV_FREE lets the kernel drop the pages whenever it likes; until it
  // does, they keep what they hold (Linux without memory pressure): nothing
  // to do here, and no page handed back to be faulted in again (jemalloc
  // purges with it).
  if (advice == MADV_DONTNEED || advice == MADV_REMOVE) {
    // The range reads as zero afterwards, as for private anonymous memory.
    if (window::contains(addr, size)) {
      mm::window::zero(addr, size);
      return 0;
    }
    uint64_t lo = addr < mm::heap_lo() ? mm::heap_lo() : addr;
    uint64_t hi = addr + size > mm::heap_hi() ? mm::heap_hi() : addr + size;
    if (lo < hi) mm::zero(lo, hi - lo);
  }
  return 0;
}

long sys_msync(uint64_t addr, uint64_t, int flags) {
  if ((flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) != 0) return -EINVAL;
  if ((flags & MS_ASYNC) != 0 && (flags & MS_SYNC) != 0) return -EINVAL;
  return aligned(addr) ? 0 : -EINVAL;
}

long sys_mincore(uint64_t addr, uint64_t len, unsigned char* vec) {
  if (!aligned(addr)) return -EINVAL;
  uint64_t pages = page_len(len) / mm::kPage;
  for (uint64_t i = 0; i < pages; ++i) vec[i] = 1;
  return 0;
}

long sys_mlock(uint64_t, uint64_t) { return 0; }
long sys_munlock(uint64_t, uint64_t) { return 0; }
long sys_mlockall(int flags) {
  if (flags == 0 || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) != 0 || flags == MCL_ONFAULT) {
    return -EINVAL;
  }
  return 0;
}
long sys_munlockall() { return 0; }

void libos::mm::set_file_reader(FileReader reader) { g_file_reader = reader; }
void libos::mm::set_file_sharer(FileSharer sharer) { g_file_sharer = sharer; }
void libos::mm::set_shared_unmap(SharedUnmap hook) { g_shared_unmap = hook; }

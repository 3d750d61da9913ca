// brk: the program break grows up from page_align(image_end). As on Linux, a
// request that cannot be met (it would run into an mmap'd range) returns the
// old break instead of an error. A large break is backed by host huge pages.
#include "mm/page_alloc.hpp"
#include "mm/syscalls.hpp"

using namespace libos;

long sys_brk(uint64_t addr) {
  uint64_t cur = mm::brk_current();
  if (addr < mm::brk_base() || addr > mm::heap_hi()) return static_cast<long>(cur);
  uint64_t cur_end = mm::page_up(cur);
  uint64_t new_end = mm::page_up(addr);
  if (new_end > cur_end) {
    if (!mm::is_free(cur_end, new_end - cur_end) || !mm::map(cur_end, new_end - cur_end)) {
      return static_cast<long>(cur);
    }
    // A break grown past kHugeThreshold is a growing malloc heap (Lua's,
    // glibc's main arena): host huge pages make its first touches one fault
    // per 2 MiB instead of one per 4 KiB page. As much again as it has (up
    // to 64 MiB) is advised ahead in the same exit, so that the next
    // growths cost none; frames advised already are skipped (page_alloc).
    // A small break (hello's) stays in small pages.
    uint64_t size = new_end - mm::brk_base();
    if (size >= mm::kHugeThreshold) {
      uint64_t ahead = size < (64ull << 20) ? size : (64ull << 20);
      uint64_t hi = new_end + ahead < mm::heap_hi() ? new_end + ahead : mm::heap_hi();
      mm::advise_huge(mm::brk_base(), hi - mm::brk_base());
    }
  } else if (new_end < cur_end) {
    mm::release(new_end, cur_end - new_end);
  }
  mm::set_brk_current(addr);
  return static_cast<long>(addr);
}

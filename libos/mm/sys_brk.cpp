// brk: the program break grows up from page_align(image_end). As on Linux, a
// request that cannot be met (it would run into an mmap'd range) returns the
// old break instead of an error.
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
  } else if (new_end < cur_end) {
    mm::release(new_end, cur_end - new_end);
  }
  mm::set_brk_current(addr);
  return static_cast<long>(addr);
}

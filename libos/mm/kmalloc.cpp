// The kernel heap: power-of-two size classes (32 B - 4 KiB including a
// 16-byte header) carved from 64 KiB slabs of the page allocator, and large
// allocations taken from the page allocator directly. Freed small blocks go
// on a per-class free list; freed large ones return to the page allocator
// (which zeroes them, possibly handing the pages back to the host).
#include "mm/kmalloc.hpp"

#include <stdint.h>

#include "core/klib.hpp"
#include "core/panic.hpp"
#include "mm/page_alloc.hpp"

namespace libos {

namespace {

constexpr uint32_t kMagic = 0x6b6d6c63;  // "kmlc"
constexpr size_t kHeader = 16;
constexpr unsigned kMinShift = 5;         // 32 bytes
constexpr unsigned kMaxShift = 12;        // 4096 bytes
constexpr unsigned kClasses = kMaxShift - kMinShift + 1;
constexpr uint32_t kLargeClass = 0xffff;
constexpr uint64_t kSlabSize = 64 * 1024;

struct Header {
  uint32_t magic;
  uint32_t cls;     // size class index or kLargeClass
  uint64_t bytes;   // large: bytes mapped; small: block size
};
static_assert(sizeof(Header) == kHeader);

struct FreeBlock {
  FreeBlock* next;
};

FreeBlock* g_free[kClasses];
uint64_t g_slab_cursor = 0;
uint64_t g_slab_end = 0;

unsigned class_for(size_t total) {
  unsigned cls = 0;
  while ((size_t{1} << (kMinShift + cls)) < total) ++cls;
  return cls;
}

void* alloc_small(unsigned cls) {
  size_t block = size_t{1} << (kMinShift + cls);
  if (FreeBlock* b = g_free[cls]) {
    g_free[cls] = b->next;
    return b;
  }
  if (g_slab_cursor + block > g_slab_end) {
    uint64_t slab = mm::alloc_top_down(kSlabSize);
    if (slab == 0) return nullptr;
    // The tail of the previous slab is wasted (at most 4 KiB).
    g_slab_cursor = slab;
    g_slab_end = slab + kSlabSize;
  }
  void* p = reinterpret_cast<void*>(g_slab_cursor);
  g_slab_cursor += block;
  return p;
}

}  // namespace

void* kmalloc(size_t size) {
  if (size > (uint64_t{1} << 40)) return nullptr;
  size_t total = size + kHeader;
  Header* h;
  if (total <= (size_t{1} << kMaxShift)) {
    unsigned cls = class_for(total);
    h = static_cast<Header*>(alloc_small(cls));
    if (h == nullptr) return nullptr;
    h->cls = cls;
    h->bytes = size_t{1} << (kMinShift + cls);
  } else {
    uint64_t bytes = mm::page_up(total);
    uint64_t addr = mm::alloc_top_down(bytes);
    if (addr == 0) return nullptr;
    h = reinterpret_cast<Header*>(addr);
    h->cls = kLargeClass;
    h->bytes = bytes;
  }
  h->magic = kMagic;
  return h + 1;
}

void* kzalloc(size_t size) {
  void* p = kmalloc(size);
  if (p != nullptr) memset(p, 0, size);
  return p;
}

void kfree(void* ptr) {
  if (ptr == nullptr) return;
  Header* h = static_cast<Header*>(ptr) - 1;
  LIBOS_ASSERT(h->magic == kMagic);
  h->magic = 0;
  if (h->cls == kLargeClass) {
    mm::release(reinterpret_cast<uint64_t>(h), h->bytes);
    return;
  }
  LIBOS_ASSERT(h->cls < kClasses);
  auto* b = reinterpret_cast<FreeBlock*>(h);
  b->next = g_free[h->cls];
  g_free[h->cls] = b;
}

void* krealloc(void* ptr, size_t size) {
  if (ptr == nullptr) return kmalloc(size);
  if (size == 0) {
    kfree(ptr);
    return nullptr;
  }
  Header* h = static_cast<Header*>(ptr) - 1;
  size_t usable = h->bytes - kHeader;
  if (size <= usable) return ptr;
  void* fresh = kmalloc(size);
  if (fresh == nullptr) return nullptr;
  memcpy(fresh, ptr, usable);
  kfree(ptr);
  return fresh;
}

}  // namespace libos

// Construct LibOS objects in kmalloc'd memory. There is no global operator
// new in the LibOS; objects with virtual functions are built with placement
// new so their vtable pointer is set, and freed with destroy().
#pragma once

#include <new>

#include "mm/kmalloc.hpp"

namespace libos::fs {

// nullptr when out of memory. T must be default-constructible.
template <typename T>
T* make() {
  void* mem = kzalloc(sizeof(T));
  if (mem == nullptr) return nullptr;
  return new (mem) T();
}

template <typename T>
void destroy(T* obj) {
  obj->~T();
  kfree(obj);
}

}  // namespace libos::fs
